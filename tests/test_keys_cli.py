"""`automl-server keys create|list|revoke`: a created key works, the list shows its prefix and
times but never the key, and a revoked key gets 401 at once, on every API process."""

import pytest
from fastapi.testclient import TestClient

from app.cli import main
from app.main import create_app
from tests.conftest import Client, make_settings


def _create(capsys, *args) -> str:
    assert main(["keys", "create", *args]) == 0
    return capsys.readouterr().out.strip()


def test_create_list_revoke_embedded(tmp_path, capsys):
    data = ["--data-dir", str(tmp_path)]
    key = _create(capsys, "carol", *data)
    other = _create(capsys, "dan", *data)
    assert main(["create-key", "carol", *data]) == 0  # the older spelling still works
    third = capsys.readouterr().out.strip()
    with TestClient(create_app(make_settings(tmp_path, api_keys=""))) as http:
        Client(http, key).ok("create_project", project_name="P")
        Client(http, third).ok("get_project_list")

        assert main(["keys", "list", *data]) == 0
        listing = capsys.readouterr().out
        assert key not in listing and other not in listing and third not in listing
        lines = listing.strip().splitlines()
        assert lines[0].split("\t") == ["id", "user", "prefix", "created", "last_used",
                                        "revoked"]
        rows = [line.split("\t") for line in lines[1:]]
        assert [r[1] for r in rows] == ["carol", "dan", "carol"]
        assert rows[0][2] == key[:10] and rows[0][4] != "-"  # used once: last_used set
        assert rows[1][4] == "-" and all(r[5] == "-" for r in rows)

        assert main(["keys", "list", "dan", *data]) == 0
        assert [line.split("\t")[1] for line in
                capsys.readouterr().out.strip().splitlines()[1:]] == ["dan"]

        assert main(["keys", "revoke", rows[0][0], *data]) == 0
        assert "revoked key" in capsys.readouterr().out
        assert "revoked" in Client(http, key).fails("get_project_list", 401)
        Client(http, third).ok("get_project_list")  # carol's other key still works
        assert main(["keys", "revoke", "--key", other, *data]) == 0
        assert "of dan" in capsys.readouterr().out
        Client(http, other).fails("get_project_list", 401)

        assert main(["keys", "list", *data]) == 0
        rows = [line.split("\t") for line in capsys.readouterr().out.strip().splitlines()[1:]]
        assert [r[5] != "-" for r in rows] == [True, True, False]


def test_revoke_unknown_id_fails(tmp_path, capsys):
    assert main(["keys", "revoke", "999", "--data-dir", str(tmp_path)]) == 1
    assert "no such API key" in capsys.readouterr().err


@pytest.fixture
def stack(bare_production_stack):
    return bare_production_stack


def test_revoked_key_is_refused_at_once_by_every_api_process(stack, tmp_path, capsys,
                                                             monkeypatch):
    for name, value in stack.env().items():
        if name.startswith("AUTOML_"):
            monkeypatch.setenv(name, value)
    key = _create(capsys, "carol", "--data-dir", str(tmp_path / "cli"))
    with TestClient(create_app(stack.settings(tmp_path / "a"))) as one, \
            TestClient(create_app(stack.settings(tmp_path / "b"))) as two:
        Client(one, key).ok("create_project", project_name="P")
        assert Client(two, key).ok("get_project_list")["project_list"] == ["P"]
        assert main(["keys", "revoke", "--key", key, "--data-dir", str(tmp_path / "cli")]) == 0
        for http in (one, two):
            assert "revoked" in Client(http, key).fails("get_project_list", 401)


def test_production_cli_without_a_secret_is_refused(stack, tmp_path, capsys, monkeypatch):
    for name, value in stack.env().items():
        if name.startswith("AUTOML_"):
            monkeypatch.setenv(name, value)
    monkeypatch.delenv("AUTOML_KEY_SECRET")
    assert main(["keys", "create", "carol", "--data-dir", str(tmp_path)]) == 2
    assert "AUTOML_KEY_SECRET is not set" in capsys.readouterr().err
    assert main(["serve", "--data-dir", str(tmp_path)]) == 2

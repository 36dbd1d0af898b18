from fastapi.testclient import TestClient

from app.cli import main
from app.main import create_app
from tests.conftest import Client, make_settings


def test_create_key_prints_a_working_key(tmp_path, capsys):
    assert main(["create-key", "carol", "--data-dir", str(tmp_path)]) == 0
    key = capsys.readouterr().out.strip()
    assert len(key) > 30
    with TestClient(create_app(make_settings(tmp_path, api_keys=""))) as http:
        Client(http, key).ok("create_project", project_name="P")
        Client(http, key + "x").fails("get_project_list", 401)


def test_migrate_command(tmp_path, capsys):
    assert main(["migrate", "--data-dir", str(tmp_path)]) == 0
    assert "up to date" in capsys.readouterr().out

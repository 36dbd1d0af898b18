"""A client generated from /openapi.json (openapi-python-client) is generated without a warning,
passes `mypy --strict`, and talks to the server: its models read the real answers, and its
request models send what the server accepts."""

import importlib
import json
import subprocess
import sys

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.conftest import ALICE, Client, make_settings

PACKAGE = "automl_openapi_client"


def _run(*args: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """The directory holding the generated package PACKAGE."""
    root = tmp_path_factory.mktemp("generated")
    with TestClient(create_app(make_settings(root / "data"))) as http:
        response = http.get("/openapi.json")
    assert response.status_code == 200
    (root / "openapi.json").write_text(json.dumps(response.json()))
    # no post hooks: they would run ruff from PATH to format the code, nothing more
    (root / "config.json").write_text(json.dumps({"post_hooks": []}))
    result = _run("openapi_python_client", "generate", "--path", "openapi.json",
                  "--config", "config.json", "--output-path", PACKAGE, "--meta", "none",
                  "--fail-on-warning", cwd=root)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "warning" not in output.lower(), output
    return root


def test_generated_client_type_checks(generated):
    result = _run("mypy", "--strict", "--cache-dir", str(generated / "mypy_cache"), PACKAGE,
                  cwd=generated)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def package(generated, monkeypatch):
    monkeypatch.syspath_prepend(str(generated))
    yield importlib.import_module(PACKAGE)
    for name in [name for name in sys.modules if name.split(".")[0] == PACKAGE]:
        del sys.modules[name]


def test_generated_client_reads_answers_and_sends_requests(package, tmp_path):
    models = importlib.import_module(f"{PACKAGE}.models")
    get_project_list = importlib.import_module(f"{PACKAGE}.api.projects.get_project_list")
    add_data = importlib.import_module(f"{PACKAGE}.api.datasets_and_data.add_data")
    with TestClient(create_app(make_settings(tmp_path / "data"))) as http:
        raw = Client(http)
        raw.ok("create_project", project_name="P")
        raw.ok("init", project_name="P", collection_name="c", vector_type="sparse")
        client = package.Client(base_url=str(http.base_url),
                                raise_on_unexpected_status=True).set_httpx_client(http)

        answer = raw.ok("get_project_list")
        parsed = models.ProjectListResponse.from_dict(answer)
        assert parsed.success is True and parsed.project_list == ["P"]
        assert parsed.to_dict() == answer
        listed = get_project_list.sync(client=client, body=models.Body(user_api_key=ALICE))
        assert isinstance(listed, models.ProjectListResponse) and listed.project_list == ["P"]

        # the [index, value] pairs form, the one data field a generated client once mistyped
        body = models.AddDataRequest(user_api_key=ALICE, project_name="P", collection_name="c",
                                     data=[[0, 1.5], [4, -2.0]], string_id="v")
        assert models.AddDataRequest.from_dict(body.to_dict()).data == [[0, 1.5], [4, -2.0]]
        started = add_data.sync(client=client, body=body)
        assert isinstance(started, models.JobStartedResponse), started
        raw.finished(started.job_id)
        info = raw.ok("get_collection_info", project_name="P", collection_name="c")
        assert info["num_vectors"] == 1 and info["vector_dim"] == 5, info

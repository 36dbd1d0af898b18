"""Shared fixtures: an embedded-mode app on a temporary data dir, with two users' keys."""

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.config import Settings
from app.main import create_app

ALICE = "key-alice"
BOB = "key-bob"
SHARED = Path(__file__).resolve().parents[2] / "shared"


def make_settings(data_dir: Path, **overrides) -> Settings:
    values = {"data_dir": data_dir, "api_keys": f"{ALICE}:alice,{BOB}:bob"}
    values.update(overrides)
    return Settings(**values)


class Client:
    """Calls the API the way VecML clients do: POST /api/<endpoint> with the key in the body."""

    def __init__(self, http: TestClient, key: str = ALICE):
        self.http = http
        self.key = key

    def as_key(self, key: str) -> "Client":
        return Client(self.http, key)

    def post(self, endpoint: str, **body):
        body.setdefault("user_api_key", self.key)
        return self.http.post(f"/api/{endpoint}", json=body)

    def ok(self, endpoint: str, **body) -> dict:
        response = self.post(endpoint, **body)
        payload = response.json()
        assert response.status_code == 200 and payload["success"] is True, payload
        return payload

    def fails(self, endpoint: str, status: int, **body) -> str:
        response = self.post(endpoint, **body)
        payload = response.json()
        assert response.status_code == status, (response.status_code, payload)
        assert payload["success"] is False and payload["error_message"], payload
        return payload["error_message"]

    def wait(self, job_id: str, endpoint: str = "get_upload_data_status",
             timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            status = self.ok(endpoint, job_id=job_id)
            if status["status"] in ("finished", "failed"):
                return status
            assert time.monotonic() < deadline, f"job {job_id} still {status['status']}"
            time.sleep(0.05)

    def finished(self, job_id: str, endpoint: str = "get_upload_data_status",
                 timeout: float = 60) -> dict:
        status = self.wait(job_id, endpoint, timeout)
        assert status["status"] == "finished", status
        return status


@pytest.fixture(scope="session")
def production_stack():
    from tests.production import ProductionStack, require_services

    require_services()
    stack = ProductionStack()
    stack.start_worker()
    yield stack
    stack.close()


@pytest.fixture(scope="module")
def bare_production_stack():
    """Postgres and Redis without a worker, for a module whose tests run API apps only (each
    module gets its own, as before)."""
    from tests.production import ProductionStack, require_services

    require_services()
    stack = ProductionStack()
    yield stack
    stack.close()


@pytest.fixture(params=["embedded", "production"])
def mode(request) -> str:
    return request.param


@pytest.fixture
def settings(tmp_path, mode, request) -> Settings:
    """The API tests run against both modes through this one fixture."""
    if mode == "embedded":
        return make_settings(tmp_path / "data")
    stack = request.getfixturevalue("production_stack")
    stack.reset()
    return stack.settings(tmp_path / "data", api_keys=f"{ALICE}:alice,{BOB}:bob")


@pytest.fixture
def client(settings):
    with TestClient(create_app(settings)) as http:
        yield Client(http)


@pytest.fixture
def project(client) -> str:
    client.ok("create_project", project_name="P", application="Machine Learning")
    return "P"

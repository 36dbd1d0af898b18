"""The client's tests: `automl_client` from client/ (no install needed), and live servers
(`automl-server serve` in a subprocess on a free port), one per mode (embedded; production on
this machine's PostgreSQL and Redis), shared by the test modules unless one needs its own.
Servers run in open access, so every test takes a key of its own and is its own tenant."""

import sys
from pathlib import Path

import pytest

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"
if str(CLIENT_DIR) not in sys.path:
    sys.path.insert(0, str(CLIENT_DIR))

from tests.client.support import LiveServer  # noqa: E402


@pytest.fixture(scope="package")
def embedded_server(tmp_path_factory):
    """One embedded-mode server for the client's tests (each test is a tenant of its own)."""
    running = LiveServer(tmp_path_factory.mktemp("client-server"))
    yield running
    running.stop()


@pytest.fixture(scope="package")
def production_server(tmp_path_factory, production_stack):
    """One production-mode server (PostgreSQL, a Celery worker) for the client's tests."""
    running = LiveServer(tmp_path_factory.mktemp("client-production"),
                         env=production_stack.env())
    yield running
    running.stop()


@pytest.fixture(scope="module", params=["embedded", "production"])
def server(request):
    """The server a module's tests use: each mode in turn (the production one is skipped when
    PostgreSQL or Redis is not reachable). A module may override it (another setting)."""
    return request.getfixturevalue(f"{request.param}_server")


@pytest.fixture
def client(server):
    with server.client(poll_interval=0.2) as c:
        yield c

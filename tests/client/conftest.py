"""The client's tests: `automl_client` from client/ (no install needed), and a live server
(`automl-server serve` in a subprocess on a free port) per test module. Servers run in open
access, so every test takes a key of its own and is its own tenant."""

import sys
from pathlib import Path

import pytest

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"
if str(CLIENT_DIR) not in sys.path:
    sys.path.insert(0, str(CLIENT_DIR))

from tests.client.support import LiveServer  # noqa: E402


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """An embedded-mode server for the module."""
    running = LiveServer(tmp_path_factory.mktemp("client-server"))
    yield running
    running.stop()


@pytest.fixture
def client(server):
    with server.client(poll_interval=0.2) as c:
        yield c

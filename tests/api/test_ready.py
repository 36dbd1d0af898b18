"""GET /health says the process is alive; GET /ready says it can work: database reachable with
the head schema, and in production mode the broker reachable. 503 with the reason otherwise."""

from urllib.parse import urlsplit, urlunsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from app.main import create_app
from tests.conftest import make_settings
from tests.production import BROKER_URL, wait_until
from tests.tcp_proxy import TcpProxy


def _through(url: str, proxy: TcpProxy) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = f"127.0.0.1:{proxy.port}"
    netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
    return urlunsplit(parts._replace(netloc=netloc))


def _status(http: TestClient) -> int:
    return http.get("/ready").status_code


def test_embedded_ready_and_health(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as http:
        assert http.get("/health").json() == {"success": True, "status": "ok"}
        answer = http.get("/ready")
        assert answer.status_code == 200
        assert answer.json() == {"success": True, "status": "ready"}


def test_embedded_schema_behind_is_not_ready(tmp_path):
    with TestClient(create_app(make_settings(tmp_path))) as http:
        db = http.app.state.api.db
        with db.engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = '0001'"))
        answer = http.get("/ready")
        assert answer.status_code == 503
        body = answer.json()
        assert body["success"] is False and "revision 0001" in body["error_message"]
        assert http.get("/health").status_code == 200


@pytest.fixture
def stack(bare_production_stack):
    return bare_production_stack


def test_production_ready_follows_the_database(stack, tmp_path):
    target = urlsplit(stack.url)
    pg = TcpProxy(target.hostname, target.port or 5432).start()
    settings = stack.settings(tmp_path, database_url=_through(stack.url, pg))
    try:
        with TestClient(create_app(settings)) as http:
            assert _status(http) == 200
            pg.stop()
            answer = http.get("/ready")
            assert answer.status_code == 503
            assert "database unreachable" in answer.json()["error_message"]
            assert http.get("/health").status_code == 200
            pg.start()
            wait_until(lambda: _status(http) == 200, timeout=30)
    finally:
        pg.stop()


def test_production_ready_follows_the_broker(stack, tmp_path):
    target = urlsplit(BROKER_URL)
    broker = TcpProxy(target.hostname, target.port or 6379).start()
    settings = stack.settings(tmp_path, broker_url=_through(BROKER_URL, broker))
    try:
        with TestClient(create_app(settings)) as http:
            assert _status(http) == 200
            broker.stop()
            answer = http.get("/ready")
            assert answer.status_code == 503
            assert "broker unreachable" in answer.json()["error_message"]
            broker.start()
            wait_until(lambda: _status(http) == 200, timeout=30)
    finally:
        broker.stop()

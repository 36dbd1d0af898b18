"""`GET /ready`: the server can do its work now. The database answers and its schema is at the
revision this code needs; in production mode the broker answers too. Otherwise 503 with the
reason in the error envelope (`GET /health` only says the process is alive)."""

from functools import lru_cache

from alembic.script import ScriptDirectory
from fastapi import APIRouter, Request
from sqlalchemy import text

from app.api.envelope import failure, success
from app.api.responses import ReadyResponse, ok
from app.config import Settings
from app.db.migrate import alembic_config, current_revision
from app.db.session import Database

router = APIRouter(tags=["health"])

PROBE_TIMEOUT = 3.0
"""Seconds a probe of the broker may take before it counts as unreachable."""


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def database_problem(db: Database) -> str | None:
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = current_revision(db)
    except Exception as err:  # any driver error means the same to an operator: unreachable
        return f"database unreachable: {type(err).__name__}: {str(err).splitlines()[0][:200]}"
    head = head_revision()
    if current != head:
        return (f"database schema is at revision {current or 'none'}, this server needs {head}; "
                "run `automl-server migrate`")
    return None


def broker_problem(settings: Settings) -> str | None:
    url = settings.broker_url
    if not url:
        return None
    try:
        if url.startswith(("redis://", "rediss://", "unix://")):
            import redis

            client = redis.Redis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT,
                                          socket_timeout=PROBE_TIMEOUT)
            try:
                client.ping()
            finally:
                client.close()
        else:
            from kombu import Connection

            with Connection(url, connect_timeout=PROBE_TIMEOUT) as connection:
                connection.ensure_connection(max_retries=1)
    except Exception as err:
        return f"broker unreachable: {type(err).__name__}: {str(err).splitlines()[0][:200]}"
    return None


@router.get("/ready", responses=ok(ReadyResponse))
def ready(request: Request):
    api = getattr(request.app.state, "api", None)
    if api is None:
        return failure(503, "not ready: the server is still starting")
    problem = database_problem(api.db) or broker_problem(api.settings)
    if problem:
        return failure(503, f"not ready: {problem}")
    return success(status="ready")

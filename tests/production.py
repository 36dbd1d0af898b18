"""The production mode for tests: a throwaway PostgreSQL database and a real Celery worker
process on this machine's Redis, with queues of their own."""

import os
import secrets
import subprocess
import sys
import time

import pytest
from sqlalchemy import create_engine, text

from app.config import Settings
from app.db.migrate import upgrade
from app.db.models import Base
from app.db.session import Database

SERVER_URL = os.environ.get("AUTOML_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432")
BROKER_URL = os.environ.get("AUTOML_TEST_REDIS", "redis://127.0.0.1:6379/15")
KEY_SECRET = "test-key-secret-" + secrets.token_hex(8)


def services_available() -> str | None:
    """None when Postgres and Redis answer, else why not."""
    try:
        engine = create_engine(f"{SERVER_URL}/test")
        with engine.connect():
            pass
        engine.dispose()
    except Exception as err:
        return f"PostgreSQL is not reachable: {err}"
    try:
        import redis

        redis.Redis.from_url(BROKER_URL).ping()
    except Exception as err:
        return f"Redis is not reachable: {err}"
    return None


def require_services() -> None:
    missing = services_available()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)


class ProductionStack:
    """A database named for this test session, migrated; workers started on demand."""

    def __init__(self, **env):
        self.extra_env = {k: str(v) for k, v in env.items()}
        self.name = f"automl_test_{secrets.token_hex(4)}"
        admin = create_engine(f"{SERVER_URL}/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        admin.dispose()
        self.url = f"{SERVER_URL}/{self.name}"
        self.prefix = f"test-{self.name}"
        self.db = Database(self.url)
        upgrade(self.db)
        self.workers: list[subprocess.Popen] = []

    def env(self) -> dict:
        return {**os.environ, "AUTOML_DATABASE_URL": self.url, "AUTOML_BROKER_URL": BROKER_URL,
                "AUTOML_QUEUE_PREFIX": self.prefix, "AUTOML_LOG_LEVEL": "warning",
                "AUTOML_KEY_SECRET": KEY_SECRET,
                **self.extra_env}

    def settings(self, data_dir, **overrides) -> Settings:
        values = {"data_dir": data_dir, "database_url": self.url, "broker_url": BROKER_URL,
                  "queue_prefix": self.prefix, "republish_after": 3.0,
                  "key_secret": KEY_SECRET, **overrides}
        return Settings(**values)

    def start_worker(self, concurrency: int = 2) -> subprocess.Popen:
        worker = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "worker", "--concurrency", str(concurrency),
             "--hostname", f"w{len(self.workers)}-{secrets.token_hex(3)}@%h"],
            env=self.env(), start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.workers.append(worker)
        return worker

    def stop_workers(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
        for worker in self.workers:
            try:
                worker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                worker.kill()
        self.workers = []

    def reset(self) -> None:
        """Empty every table between tests (ids keep counting, so caches never collide)."""
        tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
        with self.db.engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} CASCADE"))

    def close(self) -> None:
        self.stop_workers()
        self.db.dispose()
        admin = create_engine(f"{SERVER_URL}/test", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        admin.dispose()


def wait_until(predicate, timeout: float = 60, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(interval)

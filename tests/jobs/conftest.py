"""A job database of one user, on SQLite in the test's directory."""

import pytest

from app.db.migrate import ensure_schema
from app.db.models import User
from app.db.session import Database


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'jobs.db'}")
    ensure_schema(database, auto_upgrade=True)
    with database.session() as session:
        session.add(User(id=1, name="someone"))
    yield database
    database.dispose()

"""Projects: the dashboard's list counts every project's datasets in one query, and only the
user's own."""

import pytest
from sqlalchemy import event, select

from app.db.migrate import upgrade
from app.db.models import User
from app.db.session import Database
from app.services import collections, projects


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'p.db'}")
    upgrade(database)
    with database.session() as session:
        session.add_all([User(name="alice"), User(name="bob")])
    yield database
    database.dispose()


def user(session, name: str) -> User:
    return session.scalar(select(User).where(User.name == name))


def test_dataset_counts_are_one_query_over_the_users_own_projects(db):
    with db.session() as session:
        alice, bob = user(session, "alice"), user(session, "bob")
        first = projects.create_project(session, alice, "first", None)
        projects.create_project(session, alice, "empty", None)
        theirs = projects.create_project(session, bob, "theirs", None)
        for name in ("a", "b"):
            collections.create_collection(session, first, name, "dense", 3)
        collections.create_collection(session, theirs, "c", "dense", 3)

    statements = []
    with db.session() as session:
        alice = user(session, "alice")

        def record(conn, cursor, statement, *rest):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        counts = projects.dataset_counts(session, alice)
        event.remove(db.engine, "before_cursor_execute", record)
    assert counts == {"first": 2, "empty": 0}
    assert list(counts) == ["first", "empty"]  # creation order
    assert len(statements) == 1

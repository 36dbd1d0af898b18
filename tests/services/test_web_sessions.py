"""Dashboard sign-ins: the database keeps a hash of the session token (never the token nor the
API key), a session ends at sign-out or after SESSION_IDLE unused, and each session has its
own form token."""

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.db.migrate import upgrade
from app.db.models import User, WebSession
from app.db.session import Database
from app.services import web_sessions
from app.services.web_sessions import SESSION_IDLE, end_session, find_session, start_session


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 'w.db'}")
    upgrade(database)
    with database.session() as session:
        session.add(User(name="alice"))
    yield database
    database.dispose()


def alice(session) -> User:
    return session.scalar(select(User).where(User.name == "alice"))


def test_a_token_finds_its_user_and_only_its_hash_is_stored(db):
    with db.session() as session:
        token = start_session(session, alice(session))
    with db.session() as session:
        stored = session.scalars(select(WebSession)).all()
        signed = find_session(session, token)
    assert len(stored) == 1 and token not in stored[0].token_hash
    assert signed is not None and signed.user.name == "alice"
    assert signed.csrf_token == stored[0].csrf_token != token


def test_each_session_has_its_own_form_token(db):
    with db.session() as session:
        first, second = (start_session(session, alice(session)) for _ in range(2))
    with db.session() as session:
        assert find_session(session, first).csrf_token != find_session(session, second).csrf_token


@pytest.mark.parametrize("token", [None, "", "not-a-token"])
def test_unknown_tokens_find_nobody(db, token):
    with db.session() as session:
        assert find_session(session, token) is None


def test_sign_out_ends_the_session(db):
    with db.session() as session:
        token = start_session(session, alice(session))
    with db.session() as session:
        end_session(session, token)
    with db.session() as session:
        assert find_session(session, token) is None
        assert session.scalars(select(WebSession)).all() == []


def test_an_idle_session_ends(db, monkeypatch):
    with db.session() as session:
        token = start_session(session, alice(session))
    later = datetime.now(UTC) + SESSION_IDLE * 1.01

    class Later(datetime):
        @classmethod
        def now(cls, tz=None):
            return later

    monkeypatch.setattr(web_sessions, "datetime", Later)
    with db.session() as session:
        assert find_session(session, token) is None
    with db.session() as session:
        assert session.scalars(select(WebSession)).all() == []


def test_use_keeps_a_session_alive(db, monkeypatch):
    with db.session() as session:
        token = start_session(session, alice(session))
    now = datetime.now(UTC)
    for step in (0.6, 1.2):  # each use within SESSION_IDLE of the last one
        moment = now + SESSION_IDLE * step

        class At(datetime):
            @classmethod
            def now(cls, tz=None, moment=moment):
                return moment

        monkeypatch.setattr(web_sessions, "datetime", At)
        with db.session() as session:
            assert find_session(session, token) is not None

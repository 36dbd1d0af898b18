"""Dashboard sign-ins: an API key is exchanged once for a random session token that the browser
keeps in an http-only cookie; the database keeps only the token's SHA-256. A session ends when
its user signs out or after SESSION_IDLE without a request."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.db.models import User, WebSession

SESSION_IDLE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
"""last_seen_at is written at most this often (a polling page would write on every poll)."""


@dataclass(frozen=True)
class SignedIn:
    user: User
    csrf_token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """A new session for `user`; returns the token for the cookie (shown nowhere else)."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(token_hash=_digest(token), user_id=user.id,
                           csrf_token=secrets.token_urlsafe(32)))
    now = datetime.now(UTC)
    session.execute(delete(WebSession).where(WebSession.last_seen_at < now - SESSION_IDLE))
    return token


def find_session(session: Session, token: str | None) -> SignedIn | None:
    """The signed-in user of a cookie's token; None when it is unknown, ended or idle too long."""
    if not token:
        return None
    web = session.get(WebSession, _digest(token))
    if web is None:
        return None
    now = datetime.now(UTC)
    if now - web.last_seen_at > SESSION_IDLE:
        session.delete(web)
        return None
    if now - web.last_seen_at > TOUCH_EVERY:
        web.last_seen_at = now
    user = session.get(User, web.user_id)
    return SignedIn(user=user, csrf_token=web.csrf_token) if user else None


def end_session(session: Session, token: str | None) -> None:
    if token:
        session.execute(delete(WebSession).where(WebSession.token_hash == _digest(token)))


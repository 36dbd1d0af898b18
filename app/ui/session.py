"""Who is signed in: the session cookie, checked on every page, and the form token that every
POST must carry (a page of another site cannot read it, so it cannot forge our forms)."""

import hmac
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.orm import Session

from app.api.deps import Api
from app.db.models import User
from app.errors import AppError
from app.services.web_sessions import SESSION_IDLE, find_session

SESSION_COOKIE = "automl_session"
LOGIN_CSRF_COOKIE = "automl_login_csrf"
COOKIE_PATH = "/ui"


class SignInRequired(Exception):
    """No valid session: pages answer with a redirect to the sign-in page."""


class BadFormToken(Exception):
    """A POST without this session's form token (a forged or stale form): 403."""


@dataclass
class Visit:
    """One signed-in request: its database session (committed when the request's block ends),
    its user and the session's form token."""

    db: Session
    user: User
    csrf_token: str
    api: Api

    @property
    def user_name(self) -> str:
        return self.user.name


@dataclass(frozen=True)
class Visitor:
    """What the page header needs of a visit that has ended (an error page)."""

    user_name: str
    csrf_token: str


class PageError(Exception):
    """A service refused a signed-in request: the error page keeps the signed-in header."""

    def __init__(self, error: AppError, visitor: Visitor):
        super().__init__(error.message)
        self.error = error
        self.visitor = visitor


def api_of(request: Request) -> Api:
    return request.app.state.api


@contextmanager
def visit(request: Request, csrf_token: str | None = None) -> Iterator[Visit]:
    """The signed-in visit of `request`; a POST passes the form's `csrf_token` to be checked."""
    api = api_of(request)
    with api.db.session() as db:
        signed = find_session(db, request.cookies.get(SESSION_COOKIE))
        if signed is None:
            db.commit()  # an idle session found is deleted
            raise SignInRequired()
        if csrf_token is not None and not same_token(csrf_token, signed.csrf_token):
            raise BadFormToken()
        current = Visit(db=db, user=signed.user, csrf_token=signed.csrf_token, api=api)
        try:
            yield current
        except AppError as err:  # the session rolls back: nothing of the request is kept
            raise PageError(err, Visitor(current.user_name, current.csrf_token)) from err


def same_token(given: str | None, expected: str | None) -> bool:
    return bool(given) and bool(expected) and hmac.compare_digest(given, expected)


def cookie_options(request: Request) -> dict:
    return {"httponly": True, "samesite": "strict", "path": COOKIE_PATH,
            "secure": request.url.scheme == "https",
            "max_age": int(SESSION_IDLE.total_seconds())}

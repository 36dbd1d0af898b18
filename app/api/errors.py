"""Every failure answered in the error envelope (`app.api.envelope.failure`): application
errors, invalid requests, unknown routes, database outages and bugs."""

import logging

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError
from starlette.exceptions import HTTPException

from app.api.envelope import failure
from app.api.routing import EMPTY_BODY, FIELDS
from app.errors import AppError, Unauthorized
from app.services.accounts import find_user

log = logging.getLogger(__name__)


# Where a field accepts several types (id_column: a name or a number), pydantic tags each
# type's error with it ('str', 'function-before[_integral(), constrained-int]'): not a field.
_TYPE_TAGS = {"str", "int", "float", "bool", "list", "dict", "none"}


def _where(error: dict) -> str:
    return ".".join(str(p) for p in error.get("loc", ())
                    if p != "body" and not (isinstance(p, str) and (
                        p in _TYPE_TAGS or "[" in p or p.startswith("constrained-"))))


def _describe(error: dict) -> str:
    where = _where(error)
    kind = error.get("type", "")
    if kind == "json_invalid":
        return "the request body is not valid JSON"
    if kind == "missing":
        return f"missing field '{where}'" if where else EMPTY_BODY
    if kind in ("model_attributes_type", "dict_type") and not where:
        return f"the request body must be a JSON object; {FIELDS}"
    return f"field '{where}': {error.get('msg', 'invalid value')}"


def _describe_all(errors: list[dict]) -> str:
    """One clause per field: a field of several types gets its types' errors joined by 'or'."""
    by_field: dict[str, list[str]] = {}
    for error in errors:
        by_field.setdefault(_where(error), []).append(_describe(error))
    clauses = []
    for where, described in list(by_field.items())[:5]:
        prefix = f"field '{where}': "
        if len(described) > 1 and all(d.startswith(prefix) for d in described):
            described = [prefix + ", or ".join(d[len(prefix):] for d in described)]
        clauses.extend(described)
    return "; ".join(clauses)


def _unauthenticated(request: Request, body: object) -> Unauthorized | None:
    """A body that fails validation is authenticated all the same, and first: a missing, blank
    or unknown key is a 401 whatever else is wrong. A key of the wrong type is left to the 400
    that says so."""
    key = body.get("user_api_key") if isinstance(body, dict) else None
    api = getattr(request.app.state, "api", None)
    if api is None or (key is not None and not isinstance(key, str)):
        return None
    try:
        with api.db.session() as session:
            find_user(session, key, open_access=api.settings.open_access,
                      secret=api.key_secret)
    except Unauthorized as err:
        return err
    return None


# Requests that race each other (two deletes of one model, a training sent while its dataset is
# deleted): the loser's transaction is rolled back, and it is answered as if it had come after
# the winner, not with a 500.
DELETED_MEANWHILE = ("it was deleted by another request while this one ran; nothing was "
                     "changed")
CONFLICTED = ("this request conflicted with another one that changed the same objects at the "
              "same time (such as a delete); nothing was changed: check their state and retry")


def _database_failure(err: DBAPIError) -> JSONResponse:
    if isinstance(err, IntegrityError):
        log.warning("concurrent requests conflicted: %s", err.orig)
        return failure(409, CONFLICTED)
    if err.connection_invalidated or "connect" in str(err.orig).lower():
        log.warning("database unavailable: %s", err.orig)
        return failure(503, "the database is unavailable right now; nothing was changed, "
                            "try again shortly")
    log.exception("database error")
    return failure(500, f"internal database error: {type(err.orig).__name__}")


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(_request: Request, err: AppError):
        return failure(err.status_code, err.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, err: RequestValidationError):
        try:
            unauthenticated = await run_in_threadpool(_unauthenticated, request, err.body)
        except DBAPIError as db_error:
            return _database_failure(db_error)
        if unauthenticated is not None:
            return failure(unauthenticated.status_code, unauthenticated.message)
        return failure(400, _describe_all(err.errors()))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, err: HTTPException):
        message = str(err.detail)
        if err.status_code == 404:
            message = "no such endpoint"
        elif err.status_code == 405 and err.headers and "Allow" in err.headers:
            message = (f"method {request.method} is not allowed on {request.url.path}; "
                       f"use {err.headers['Allow']}")
        return failure(err.status_code, message, err.headers)

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, err: DBAPIError):
        return _database_failure(err)

    @app.exception_handler(ObjectDeletedError)
    @app.exception_handler(StaleDataError)
    async def deleted_meanwhile(_request: Request, err: Exception):
        log.warning("request raced a deletion: %s", err)
        return failure(404, DELETED_MEANWHILE)

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, err: Exception):
        log.exception("unhandled error")
        return failure(500, f"internal error: {type(err).__name__}")

"""One envelope for every failure: {"success": false, "error_message": "..."}."""

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException

from app.errors import AppError

log = logging.getLogger(__name__)


def failure(status: int, message: str) -> JSONResponse:
    return JSONResponse({"success": False, "error_message": message}, status_code=status)


def _describe(error: dict) -> str:
    where = ".".join(str(p) for p in error.get("loc", ()) if p != "body")
    kind = error.get("type", "")
    if kind == "json_invalid":
        return "the request body is not valid JSON"
    if kind == "missing":
        return f"missing field '{where}'"
    if kind in ("model_attributes_type", "dict_type") and not where:
        return "the request body must be a JSON object"
    return f"field '{where}': {error.get('msg', 'invalid value')}"


def install(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def app_error(_request: Request, err: AppError):
        return failure(err.status_code, err.message)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_request: Request, err: RequestValidationError):
        return failure(400, "; ".join(_describe(e) for e in err.errors()[:5]))

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, err: HTTPException):
        message = "no such endpoint" if err.status_code == 404 else str(err.detail)
        return failure(err.status_code, message)

    @app.exception_handler(DBAPIError)
    async def database_error(_request: Request, err: DBAPIError):
        if err.connection_invalidated or "connect" in str(err.orig).lower():
            log.warning("database unavailable: %s", err.orig)
            return failure(503, "the database is unavailable right now; nothing was changed, "
                                "try again shortly")
        log.exception("database error")
        return failure(500, f"internal database error: {type(err.orig).__name__}")

    @app.exception_handler(Exception)
    async def unexpected(_request: Request, err: Exception):
        log.exception("unhandled error")
        return failure(500, f"internal error: {type(err).__name__}")

"""Typed errors. Every failure of the API (`{"success": false, "error_message": ...}`) becomes an
`APIError` subclass chosen by the HTTP status (and, where a server answers 200 or 400 for
everything, by VecML's message phrases); a job that ends `failed` becomes `JobFailed`."""

from __future__ import annotations

from typing import Any


class AutoMLError(Exception):
    """Base of every error this client raises."""


class APIError(AutoMLError):
    """The server refused a request. `status` is the HTTP status, `message` the server's
    `error_message`, `endpoint` the API endpoint called."""

    def __init__(self, message: str, *, status: int | None = None, endpoint: str | None = None,
                 payload: Any = None):
        self.message = message
        self.status = status
        self.endpoint = endpoint
        self.payload = payload
        where = f"{endpoint}: " if endpoint else ""
        code = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{where}{message}{code}")


class BadRequest(APIError):
    """400: invalid input (a missing or malformed field, a bad name, a dimension mismatch...)."""


class PayloadTooLarge(BadRequest):
    """413: the request body is over the server's limit."""


class Unauthorized(APIError):
    """401/403: a missing or unknown API key."""


class NotFound(APIError):
    """404: an unknown project, dataset, model or job (or endpoint)."""


class Conflict(APIError):
    """409: a duplicate name, or a model that is still training or failed."""


class RateLimited(APIError):
    """The server's rate limit (VecML answers 400 "Request limit reached, please try again
    later"; others 429). Raised once the client's retries with backoff are used up."""


class ServerError(APIError):
    """5xx: the server failed (a bug, or a database that is unavailable)."""


class Unsupported(AutoMLError):
    """The server lacks an endpoint or field this call needs (an extension of VecML's API)."""


class TransportError(AutoMLError):
    """The server could not be reached, or the connection broke."""


class JobFailed(AutoMLError):
    """An async job ended `failed`. `reason` is the server's `error`, `status` the whole job
    status."""

    def __init__(self, job_id: str, reason: str, status: dict[str, Any] | None = None):
        self.job_id = job_id
        self.reason = reason
        self.status = status or {}
        super().__init__(f"job {job_id} failed: {reason}")


class TrainingFailed(JobFailed):
    """A training job ended `failed`."""


class WaitTimeout(AutoMLError, TimeoutError):
    """`wait(timeout=...)` ran out before the job ended; the job itself goes on."""


_RATE_LIMIT_PHRASE = "request limit reached"


def error_for(status: int, message: str, *, endpoint: str | None = None,
              payload: Any = None) -> APIError:
    """The exception for a failed request, from its HTTP status and message."""
    kwargs = {"status": status, "endpoint": endpoint, "payload": payload}
    lowered = message.lower()
    if status == 429 or _RATE_LIMIT_PHRASE in lowered:
        return RateLimited(message, **kwargs)
    if status >= 500:
        return ServerError(message, **kwargs)
    if status == 413:
        return PayloadTooLarge(message, **kwargs)
    if status in (401, 403):
        return Unauthorized(message, **kwargs)
    if status == 404:
        return NotFound(message, **kwargs)
    if status == 409:
        return Conflict(message, **kwargs)
    # a server that answers every failure with one status: VecML's phrases decide
    if "does not exist" in lowered:
        return NotFound(message, **kwargs)
    if "already exists" in lowered:
        return Conflict(message, **kwargs)
    return BadRequest(message, **kwargs)

"""One log line and the metrics of every HTTP request, and its X-Request-ID (the client's when
it sent a sane one, else a new one), echoed in the response."""

import logging
import re
import time
import uuid

from app.observability import logs, metrics

log = logging.getLogger("app.requests")
SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _request_id(scope) -> str:
    for name, value in scope.get("headers", ()):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if SANE_ID.match(text):
                return text
    return uuid.uuid4().hex


def _route(scope) -> str:
    """The route template (`/api/{endpoint}` style), never the raw path."""
    # a route of an included router: FastAPI keeps its full path (prefix too) here
    effective = (scope.get("fastapi") or {}).get("effective_route_context")
    route = effective or scope.get("route")
    path = getattr(route, "path_format", None) or getattr(route, "path", None)
    if path:
        return path
    root = scope.get("root_path", "")
    if scope.get("app_root_path") is not None and root:
        return root  # a mount (static files)
    return "unmatched"


class RequestObservability:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        request_id = _request_id(scope)
        context = {"request_id": request_id, "user": None}
        token = logs.request_context.set(context)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = _route(scope)
            metrics.observe_request(scope["method"], route, status, seconds)
            log.info("%s %s %s", scope["method"], route, status,
                     extra={"user": context["user"], "route": route, "method": scope["method"],
                            "status": status, "duration_ms": round(seconds * 1000, 2)})
            logs.request_context.reset(token)

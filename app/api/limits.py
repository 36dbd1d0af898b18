"""Refuse bodies over the size limit before reading them whole (pure ASGI middleware)."""

from html import escape

from starlette.exceptions import HTTPException
from starlette.responses import HTMLResponse, Response

from app.api.envelope import failure


class BodyTooLarge(HTTPException):
    """Raised while a body without Content-Length streams in past the limit. An HTTPException,
    so that FastAPI's body parsing lets it through to the error envelope as a 413."""

    def __init__(self, message: str):
        super().__init__(status_code=413, detail=message)


class BodySizeLimit:
    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes
        self.message = (f"the request body exceeds the {max_bytes // (1024 * 1024)} MB limit "
                        f"({max_bytes} bytes); split the data into several requests")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > self.max_bytes:
            return await self._refusal(scope)(scope, receive, send)
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.message)
            return message

        await self.app(scope, limited_receive, send)

    def _refusal(self, scope) -> Response:
        """The API's error envelope, or for the dashboard's forms a page that says it."""
        if scope["path"].startswith("/ui/"):
            return HTMLResponse(
                f"<!doctype html><title>Too large</title><p class=error role=alert>"
                f"{escape(self.message)}.</p><p><a href=/ui/projects>Back to your projects</a>",
                status_code=413)
        return failure(413, self.message)

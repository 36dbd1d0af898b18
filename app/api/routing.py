"""Request bodies parsed with orjson (data batches and base64 files are large JSON documents),
and refused with a plain message when they are not one JSON object.

A large body's dense `data` rows are read straight into a float array, on a worker thread and
in slices (`app/api/body.py`); anything else is parsed by orjson, which also words the errors.
"""

from collections.abc import Callable
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from app.api.body import parse_large
from app.errors import BadRequest

FIELDS = "send a JSON object with user_api_key and the endpoint's fields"
EMPTY_BODY = f"the request body is empty; {FIELDS}"
NOT_JSON_TYPE = ("the request body must be JSON, sent with the header "
                 "Content-Type: application/json")
FAST_PARSE_BYTES = 1 << 20
"""Bodies at least this large may take the rows shortcut (below, orjson is as fast)."""
PARSED = b"{}"
"""What a large body's bytes are replaced with once parsed (FastAPI only checks that there is
a body before it asks for the parsed value)."""
_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number",
          bool: "a boolean", type(None): "null"}


def _is_json(content_type: str | None) -> bool:
    """What is read as JSON: application/json, application/*+json, or no Content-Type at all
    (clients that post `json.dumps(body)` as data send none; the routers are not strict)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or (media.startswith("application/")
                                                 and media.endswith("+json"))


class OrjsonRequest(Request):
    async def body(self) -> bytes | bytearray:
        """The body, grown in place as it arrives (starlette joins a list of chunks: twice
        the body's size at once)."""
        if not hasattr(self, "_body"):
            body = bytearray()
            async for chunk in self.stream():
                body += chunk
            self._body = body
        return self._body

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = orjson.loads(await self.body())
        return self._json

    async def read_object(self) -> dict:
        """The body as a JSON object, or a BadRequest that says what is wrong with it."""
        body = await self.body()
        if not body.strip(b" \t\r\n"):
            raise BadRequest(EMPTY_BODY)
        if not _is_json(self.headers.get("content-type")):
            raise BadRequest(NOT_JSON_TYPE)
        try:
            value = await run_in_threadpool(parse_large, body) \
                if len(body) >= FAST_PARSE_BYTES else None
            if value is None:
                value = orjson.loads(body)
        except orjson.JSONDecodeError as err:
            where = f"{err.msg} (line {err.lineno}, column {err.colno})"
            why = "it is not UTF-8 text" if "UTF-8" in err.msg else where
            raise BadRequest(f"the request body is not valid JSON: {why}") from None
        if not isinstance(value, dict):
            raise BadRequest(f"the request body must be a JSON object, not "
                             f"{_KINDS.get(type(value), 'that')}; {FIELDS}")
        self._json = value
        if len(body) >= FAST_PARSE_BYTES:
            self._body = PARSED  # the bytes are not needed again: free them now
        return value


class OrjsonRoute(APIRoute):
    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()
        has_body = self.body_field is not None

        async def route_handler(request: Request) -> Response:
            request = OrjsonRequest(request.scope, request.receive)
            if has_body:
                await request.read_object()
            return await handler(request)

        return route_handler

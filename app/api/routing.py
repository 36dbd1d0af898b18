"""Request bodies parsed with orjson (data batches and base64 files are large JSON documents),
and refused with a plain message when they are not one JSON object.

A large body is parsed with simdjson, whose parse builds no Python objects: a batch's dense
`data` rows are read straight into one float array (`dense_rows`), the rest of the body into
Python values. On a 150 MB add_data_batch body that takes 0.6 s where orjson, which makes one
Python float per value, took 5.8 s and 3x the body's size in memory; either holds the GIL
(parsing in a thread would not free the event loop), so the fast parse is what keeps status
polls and other users' calls from waiting. Anything the fast path does not recognise (or a
body simdjson refuses) is parsed by orjson, which also words the errors.
"""

from collections.abc import Callable
from typing import Any

import numpy as np
import orjson
import simdjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

from app.errors import BadRequest

FIELDS = "send a JSON object with user_api_key and the endpoint's fields"
EMPTY_BODY = f"the request body is empty; {FIELDS}"
NOT_JSON_TYPE = ("the request body must be JSON, sent with the header "
                 "Content-Type: application/json")
FAST_PARSE_BYTES = 1 << 20
"""Bodies at least this large go through simdjson (below, orjson is as fast)."""
_KINDS = {list: "an array", str: "a string", int: "a number", float: "a number",
          bool: "a boolean", type(None): "null"}


def _is_json(content_type: str | None) -> bool:
    """What is read as JSON: application/json, application/*+json, or no Content-Type at all
    (clients that post `json.dumps(body)` as data send none; the routers are not strict)."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in ("", "application/json") or (media.startswith("application/")
                                                 and media.endswith("+json"))


def dense_rows(rows: simdjson.Array) -> np.ndarray | None:
    """Rows that are all lists of the same number of JSON numbers, as one float64 array; None
    for anything else (nulls, sparse forms, ragged rows), which the vector parser words."""
    n = len(rows)
    if n == 0 or not isinstance(rows[0], simdjson.Array):
        return None
    width = len(rows[0])
    try:
        values = np.frombuffer(rows.as_buffer(of_type="d"), dtype=np.float64)
    except (TypeError, ValueError):  # not numbers only
        return None
    if values.size != n * width or not all(
            isinstance(row, simdjson.Array) and len(row) == width for row in rows):
        return None
    return values.reshape(n, width)


def _fast_parse(body: bytes) -> dict | None:
    """A large JSON object, its `data` rows as a float array when they are dense; None when
    simdjson refuses the body or it is not an object (orjson then says why)."""
    try:
        document = simdjson.Parser().parse(body)
    except (ValueError, RuntimeError, UnicodeDecodeError):
        return None
    if not isinstance(document, simdjson.Object):
        return None
    keys = list(document.keys())
    if len(set(keys)) != len(keys):
        return None  # a repeated key: orjson keeps the last one, simdjson the first
    value, rows = {}, None
    for key in keys:
        item = document[key]
        if key == "data" and isinstance(item, simdjson.Array):
            rows = dense_rows(item)
            if rows is not None:
                continue
        if isinstance(item, simdjson.Array):
            value[key] = item.as_list()
        elif isinstance(item, simdjson.Object):
            value[key] = item.as_dict()
        else:
            value[key] = item
    if rows is not None:
        # as_buffer flattens nested lists: [[1], [[2]]] would pass as [[1], [2]]. Every "["
        # of the body is the data list's, one per row, or one of the rest of the body.
        if body.count(b"[") != 1 + len(rows) + orjson.dumps(value).count(b"["):
            return None
        value["data"] = rows
    return value


class OrjsonRequest(Request):
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
            value = _fast_parse(body) if len(body) >= FAST_PARSE_BYTES else None
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

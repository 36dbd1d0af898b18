"""Large JSON bodies parsed without a Python object per number, and without holding the GIL for
long.

An add_data_batch body is mostly its `data` rows. orjson makes one Python float per value (a
150 MB body: 5.8 s, 3x its size in memory) and a whole-document simdjson parse builds a tape of
about 4x the body; either holds the GIL from start to end, so every other request (status
polls, other users' calls) waits behind it. Here the rows are found in the raw bytes and parsed
by simdjson in slices of about `SLICE_BYTES`, each straight into a float32 block; the rest of
the body, with the rows cut out, goes to orjson. Between two slices the event loop runs.

The shortcut is taken only when it gives exactly what orjson would: the rows are the value of
the top-level key "data" (checked by parsing the rest with a marker in their place), they are
lists of the same number of JSON numbers (a slice with anything else, null included, fails the
check), and none lies beyond float32's range. Anything else returns None, and the caller parses
the whole body with orjson, which also words the errors.
"""

import secrets
import time

import numpy as np
import orjson
import simdjson

SLICE_BYTES = 8 << 20
"""About how much of the rows one simdjson call parses (some 30 ms)."""
_SPACE = b" \t\r\n"
_NUMBER_ROWS = b"0123456789+-.eE,[] \t\r\n"
"""The bytes rows of JSON numbers are made of (no quote, brace, or letter of null/true)."""


def _skip_space(body, i: int) -> int:
    while i < len(body) and body[i] in _SPACE:
        i += 1
    return i


def rows_span(body: bytes | bytearray) -> tuple[int, int] | None:
    """Where the value of a key "data" starts (its "[") and ends (after the first "]]"), when
    it opens like rows: "[[", spaces allowed."""
    at = body.find(b'"data"')
    while at != -1:
        colon = _skip_space(body, at + 6)
        if colon < len(body) and body[colon] == ord(":"):
            start = _skip_space(body, colon + 1)
            first_row = _skip_space(body, start + 1)
            if body[start:start + 1] == b"[" and body[first_row:first_row + 1] == b"[":
                end = body.find(b"]]", start)
                if end == -1:
                    return None
                return start, end + 2
        at = body.find(b'"data"', at + 6)
    return None


def _slices(body, start: int, end: int):
    """The rows between `start` ("[" of the outer list) and `end`, as JSON lists of rows of
    about SLICE_BYTES each, cut after a row's "],"."""
    inner_start, inner_end = start + 1, end - 1
    cut = inner_start
    while cut < inner_end:
        stop = body.find(b"],", min(cut + SLICE_BYTES, inner_end), inner_end)
        stop = inner_end if stop == -1 else stop + 1
        yield b"[" + bytes(memoryview(body)[cut:stop]) + b"]"
        cut = _skip_space(body, stop + 1)  # past the comma (the outer "]" stops it)


def _dense_block(document, width: int | None) -> np.ndarray | None:
    """One slice's rows as float32: all lists of `width` numbers (the first row's length when
    None), none beyond float32's range; None otherwise."""
    if not isinstance(document, simdjson.Array) or len(document) == 0:
        return None
    rows = len(document)
    first = document[0]
    if not isinstance(first, simdjson.Array):
        return None
    width = len(first) if width is None else width
    try:
        values = np.frombuffer(document.as_buffer(of_type="d"), dtype=np.float64)
    except (TypeError, ValueError):  # something else than numbers
        return None
    if values.size != rows * width or not all(
            isinstance(row, simdjson.Array) and len(row) == width for row in document):
        return None
    with np.errstate(over="ignore"):
        block = values.astype(np.float32).reshape(rows, width)
    return None if np.isinf(block).any() else block


def parse_large(body: bytes | bytearray) -> dict | None:
    """The body as orjson would parse it, its "data" rows as one float32 array; None when the
    shortcut does not apply. Run it on a worker thread: it lets the event loop run between
    two slices."""
    span = rows_span(body)
    if span is None:
        return None
    rows = parse_rows(body, *span)
    value = rest_of_body(body, *span) if rows is not None else None
    if value is None:
        return None
    value["data"] = rows
    return value


def parse_rows(body, start: int, end: int) -> np.ndarray | None:
    """The rows in body[start:end] as one float32 array, or None (see the module's rules)."""
    parser = simdjson.Parser()
    blocks: list[np.ndarray] = []
    width = None
    for piece in _slices(body, start, end):
        if piece.translate(None, _NUMBER_ROWS):
            return None
        try:
            document = parser.parse(piece)
        except (ValueError, RuntimeError):
            return None
        block = _dense_block(document, width)
        del document
        # A list nested in a row flattens into as_buffer's numbers: count the brackets.
        if block is None or piece.count(b"[") != len(block) + 1:
            return None
        width = block.shape[1]
        blocks.append(block)
        time.sleep(0)  # let the event loop's thread take the GIL
    if not blocks:
        return None
    return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def rest_of_body(body, start: int, end: int) -> dict | None:
    """The body parsed with its rows replaced by a marker; None unless the marker is the value
    of the top-level "data" (the span was not, say, inside a string or a nested object)."""
    marker = f"rows-{secrets.token_hex(16)}"
    if body.find(marker.encode()) != -1:
        return None
    try:
        value = orjson.loads(b"".join([memoryview(body)[:start], b'"', marker.encode(), b'"',
                                       memoryview(body)[end:]]))
    except orjson.JSONDecodeError:
        return None
    if not isinstance(value, dict) or value.get("data") != marker:
        return None
    return value

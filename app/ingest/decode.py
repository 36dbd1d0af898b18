"""base64 + optional gzip decoding of the ``file_data`` request field."""

from __future__ import annotations

import base64
import binascii
import re
import zlib

from .errors import IngestError

GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 20
_WHITESPACE = str.maketrans("", "", " \t\r\n\v\f")
_NOT_B64 = re.compile(r"[^A-Za-z0-9+/=\s]")


def decode_file(file_data: str, compression_type: str | None, *, max_bytes: int) -> bytes:
    """Return the file bytes carried by ``file_data``.

    ``compression_type``: ``"gzip"`` (case-insensitive) gunzips; ``None`` or ``""`` gunzips only
    when the bytes start with the gzip magic ``1f 8b``; ``"none"`` never decompresses (an escape
    hatch for a raw binary file that happens to start with those two bytes).
    The result may not exceed ``max_bytes``; gzip is inflated chunk by chunk so that a small
    "gzip bomb" is rejected before it can use more than ``max_bytes`` of memory.
    """
    mode = _compression_mode(compression_type)
    raw = _b64decode(file_data)
    if mode == "gzip":
        if not raw.startswith(GZIP_MAGIC):
            raise IngestError(
                'compression_type is "gzip" but file_data is not gzip data (it does not start '
                "with the gzip magic bytes 1f 8b); send the .gz file itself, or omit "
                "compression_type for an uncompressed file"
            )
        raw = _gunzip(raw, max_bytes)
    elif mode == "auto" and raw.startswith(GZIP_MAGIC):
        raw = _gunzip(raw, max_bytes)
    if len(raw) > max_bytes:
        raise IngestError(
            f"the file is {len(raw)} bytes, more than the limit of {max_bytes} bytes; "
            "split it into several uploads"
        )
    return raw


def _compression_mode(compression_type: str | None) -> str:
    if compression_type is None or compression_type.strip() == "":
        return "auto"
    value = compression_type.strip().lower()
    if value in ("gzip", "none"):
        return value
    raise IngestError(
        f'unsupported compression_type "{compression_type}": the only supported compression is '
        '"gzip" (omit compression_type for an uncompressed file)'
    )


def _b64decode(file_data: str) -> bytes:
    if isinstance(file_data, bytes | bytearray):
        try:
            file_data = bytes(file_data).decode("ascii")
        except UnicodeDecodeError:
            raise IngestError("file_data is not valid base64 (it has non-ASCII bytes)") from None
    if not isinstance(file_data, str):
        raise IngestError("file_data must be a base64 string")
    compact = file_data.translate(_WHITESPACE).rstrip("=")
    if len(compact) % 4 == 1:
        raise _invalid_base64(file_data, "its length is impossible; is it truncated?")
    compact += "=" * (-len(compact) % 4)
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise _invalid_base64(file_data, "misplaced '=' padding") from None


def _invalid_base64(file_data: str, fallback: str) -> IngestError:
    bad = _NOT_B64.search(file_data)
    reason = f"invalid character {bad.group()!r} at position {bad.start()}" if bad else fallback
    return IngestError(
        f"file_data is not valid base64 ({reason}); encode the file with standard base64"
    )


def _gunzip(data: bytes, max_bytes: int) -> bytes:
    """Inflate possibly multi-member gzip data, never holding more than max_bytes of output."""
    out = bytearray()
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pending = data
        try:
            while True:
                chunk = inflater.decompress(pending, _CHUNK)
                out += chunk
                if len(out) > max_bytes:
                    raise IngestError(
                        f"the decompressed file is larger than the limit of {max_bytes} bytes; "
                        "split it into several uploads"
                    )
                pending = inflater.unconsumed_tail
                if inflater.eof or (not pending and not chunk):
                    break
        except zlib.error as exc:
            raise IngestError(f"file_data is not valid gzip data ({exc})") from None
        if not inflater.eof:
            raise IngestError("the gzip data is truncated (the file ends before the gzip stream)")
        rest = inflater.unused_data
        if not rest.strip(b"\0"):
            return bytes(out)
        if not rest.startswith(GZIP_MAGIC):
            raise IngestError("file_data has unexpected bytes after the end of the gzip data")
        data = rest

"""base64 + optional gzip decoding of the ``file_data`` request field.

A request only checks a gzip file: :func:`read_file_data` inflates it as a stream, counting the
bytes and discarding them, so it needs O(1) memory beyond the compressed bytes and refuses a
"gzip bomb" as soon as the running total (all members together) passes the limit. The file is
kept compressed (:class:`FileData`) and inflated where it is parsed, once, in linear time and
never past the limit: as a stream of pieces (:func:`inflate_pieces`) by the CSV and libsvm
readers, whole (:func:`gunzip`) by the others.
"""

from __future__ import annotations

import binascii
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from .errors import IngestError
from .limits import file_too_large

GZIP_MAGIC = b"\x1f\x8b"
_IN_STEP = 1 << 16
"""Compressed bytes fed to zlib at once (a memoryview slice: no copy). zlib keeps what a
bounded call could not consume as `unconsumed_tail`, a copy; feeding small slices keeps that
copy small (re-slicing a whole remaining input at every step would be quadratic)."""
_OUT_STEP = 1 << 20
"""Most bytes one zlib call may produce."""
_NOT_B64 = re.compile(r"[^A-Za-z0-9+/= \t\r\n\v\f]")
_SPACE = re.compile(r"[ \t\r\n\v\f]")
_WHITESPACE = str.maketrans("", "", " \t\r\n\v\f")


@dataclass(frozen=True)
class FileData:
    """A decoded ``file_data``: the bytes as sent (gzip-compressed when ``gzip``), and the size
    of the file they hold, which is within the limit they were read with."""

    data: bytes
    gzip: bool
    size: int

    def inflate(self, max_bytes: int | None = None) -> bytes | bytearray:
        """The file itself (inflated when gzip), at most ``max_bytes`` (default: its size)."""
        if not self.gzip:
            return self.data
        return gunzip(self.data, self.size if max_bytes is None else max_bytes)


def read_file_data(file_data: str, compression_type: str | None, *, max_bytes: int) -> FileData:
    """Decode base64 and check ``compression_type``, without inflating gzip data in memory.

    ``compression_type``: ``"gzip"`` (case-insensitive) gunzips; ``None`` or ``""`` gunzips only
    when the bytes start with the gzip magic ``1f 8b``; ``"none"`` never decompresses (an escape
    hatch for a raw binary file that happens to start with those two bytes).
    The file (decompressed: all gzip members together) may not exceed ``max_bytes``; gzip data
    is inflated as a stream and refused as soon as it passes the limit.
    """
    raw, gzipped = _decode(file_data, compression_type)
    if gzipped:
        return FileData(raw, True, _inflate(raw, max_bytes, None))
    if len(raw) > max_bytes:
        raise file_too_large(max_bytes, compressed=False)
    return FileData(raw, False, len(raw))


def decode_file(
    file_data: str, compression_type: str | None, *, max_bytes: int
) -> bytes | bytearray:
    """The file carried by ``file_data``, inflated, for a caller that parses it right away:
    the rules of :func:`read_file_data`, in one pass over gzip data."""
    raw, gzipped = _decode(file_data, compression_type)
    if gzipped:
        return gunzip(raw, max_bytes)
    if len(raw) > max_bytes:
        raise file_too_large(max_bytes, compressed=False)
    return raw


def _decode(file_data: str, compression_type: str | None) -> tuple[bytes, bool]:
    """The bytes of ``file_data`` and whether they are to be gunzipped."""
    mode = _compression_mode(compression_type)
    raw = _b64decode(file_data)
    if mode == "gzip" and not raw.startswith(GZIP_MAGIC):
        raise IngestError(
            'compression_type is "gzip" but file_data is not gzip data (it does not start '
            "with the gzip magic bytes 1f 8b); send the .gz file itself, or omit "
            "compression_type for an uncompressed file"
        )
    return raw, mode == "gzip" or (mode == "auto" and raw.startswith(GZIP_MAGIC))


def gunzip(data: bytes, max_bytes: int) -> bytearray:
    """Inflate possibly multi-member gzip data, refusing it once it passes ``max_bytes``.
    Linear time; the result is the only large buffer (it grows in place)."""
    out = bytearray()
    _inflate(data, max_bytes, out.extend)
    return out


def _inflate(data: bytes, max_bytes: int, sink: Callable[[bytes], object] | None) -> int:
    """Inflate every gzip member of ``data`` in bounded steps, handing the output to ``sink``
    (or dropping it); returns the total size. Raises once the total passes ``max_bytes``."""
    total = 0
    for piece in inflate_pieces(data, max_bytes):
        total += len(piece)
        if sink is not None:
            sink(piece)
    return total


def inflate_pieces(data: bytes, max_bytes: int | None = None) -> Iterator[bytes]:
    """The inflated bytes of every gzip member of ``data``, in pieces of at most 1 MB, in
    linear time. Raises :class:`IngestError` for data that is not valid gzip (truncated,
    corrupt, followed by anything but NUL padding) and :class:`TooLarge` once the running
    total passes ``max_bytes`` (None: no limit)."""
    view = memoryview(data)
    size = len(data)
    total = 0
    start = 0  # where the current member starts
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        pos = start  # the next byte to feed
        try:
            while not inflater.eof:
                if pos >= size:
                    raise IngestError(
                        "the gzip data is truncated (the file ends before the gzip stream does)"
                    )
                piece = view[pos : pos + _IN_STEP]
                pos += len(piece)
                out = inflater.decompress(piece, _OUT_STEP)
                while True:
                    if out:
                        total += len(out)
                        if max_bytes is not None and total > max_bytes:
                            raise file_too_large(max_bytes, compressed=True)
                        yield out
                    # A full output step may leave output inside zlib even without input left.
                    if inflater.eof or (not inflater.unconsumed_tail and len(out) < _OUT_STEP):
                        break
                    out = inflater.decompress(inflater.unconsumed_tail, _OUT_STEP)
        except zlib.error as exc:
            raise IngestError(f"file_data is not valid gzip data ({exc})") from None
        end = pos - len(inflater.unused_data)  # where this member ended
        if data.count(b"\0", end) == size - end:  # nothing left, or only NUL padding
            return
        if data[end : end + 2] != GZIP_MAGIC:
            raise IngestError("file_data has unexpected bytes after the end of the gzip data")
        start = end


def _compression_mode(compression_type: str | None) -> str:
    if compression_type is None or (
        isinstance(compression_type, str) and compression_type.strip() == ""
    ):
        return "auto"
    value = str(compression_type).strip().lower()
    if value in ("gzip", "none"):
        return value
    raise IngestError(
        f'unsupported compression_type "{compression_type}": the only supported compression is '
        '"gzip" (omit compression_type for an uncompressed file)'
    )


def _b64decode(file_data: str) -> bytes:
    """Standard base64; whitespace is skipped and '=' padding may be left out. Copies the text
    only when it has whitespace or odd padding."""
    if isinstance(file_data, bytes | bytearray):
        try:
            file_data = bytes(file_data).decode("ascii")
        except UnicodeDecodeError:
            raise IngestError("file_data is not valid base64 (it has non-ASCII bytes)") from None
    if not isinstance(file_data, str):
        raise IngestError("file_data must be a base64 string")
    bad = _NOT_B64.search(file_data)
    if bad:
        raise _invalid_base64(f"invalid character {bad.group()!r} at position {bad.start()}")
    compact = file_data.translate(_WHITESPACE) if _SPACE.search(file_data) else file_data
    padding = 0
    while padding < len(compact) and compact[-1 - padding] == "=":
        padding += 1
    body = len(compact) - padding
    if body % 4 == 1:
        raise _invalid_base64("its length is impossible; is it truncated?")
    if padding != -body % 4:
        compact = compact[:body] + "=" * (-body % 4)
    try:
        return binascii.a2b_base64(compact, strict_mode=True)
    except (binascii.Error, ValueError):
        raise _invalid_base64("misplaced '=' padding") from None


def _invalid_base64(reason: str) -> IngestError:
    return IngestError(
        f"file_data is not valid base64 ({reason}); encode the file with standard base64"
    )

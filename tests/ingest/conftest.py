import base64
import gzip

import pytest

from app.ingest import IngestError, ParseOptions, decode_file, parse_file


def encode(raw: bytes, gz: bool = False) -> str:
    return base64.b64encode(gzip.compress(raw) if gz else raw).decode("ascii")


def roundtrip(raw: bytes, gz: bool = False, compression_type: str | None = None, **options):
    """What the /upload handler does: decode_file then parse_file."""
    data = decode_file(encode(raw, gz), compression_type, max_bytes=10_000_000)
    return parse_file(data, ParseOptions(**options))


def parse(raw: bytes, **options):
    return parse_file(raw, ParseOptions(**options))


def error_of(func, *args, **kwargs) -> str:
    with pytest.raises(IngestError) as info:
        func(*args, **kwargs)
    return str(info.value)

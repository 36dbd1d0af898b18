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


@pytest.fixture(params=["exact", "fast"])
def both_readers(request, monkeypatch):
    """Run a CSV or libsvm test with the exact readers only (small files' default) and with
    the fast reader tried first on every file (as on files from FAST_MIN_BYTES on): the
    results and the error messages must be the same. Yields the outcomes of the fast CSV
    reader's tries."""
    from app.ingest import csv_format, libsvm_format

    outcomes: list[str] = []
    if request.param == "fast":
        monkeypatch.setattr(csv_format, "FAST_MIN_BYTES", 0)
        monkeypatch.setattr(libsvm_format, "FAST_MIN_BYTES", 0)
        read_fast = csv_format._parse_fast

        def spy(file, options):
            rows = read_fast(file, options)
            outcomes.append("fast" if rows is not None else "exact")
            return rows

        monkeypatch.setattr(csv_format, "_parse_fast", spy)
    yield outcomes

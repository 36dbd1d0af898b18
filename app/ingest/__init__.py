"""Turn uploaded data (JSON bodies and files) into rows of vectors, string ids and attributes.

A plain library: no HTTP, no database. Every user mistake raises :class:`IngestError` whose
message is meant for the end user. The file formats are documented in docs/ingest-formats.md.
"""

from __future__ import annotations

from .binary_format import parse_binary
from .csv_format import parse_csv
from .decode import decode_file
from .errors import IngestError
from .json_format import parse_json
from .libsvm_format import parse_libsvm
from .types import ParsedRows, ParseOptions
from .vectors import parse_vectors

SUPPORTED_FORMATS = ("csv", "json", "libsvm", "binary")
_PARSERS = {"csv": parse_csv, "json": parse_json, "libsvm": parse_libsvm, "binary": parse_binary}
_ALIASES = {"jsonl": "json", "ndjson": "json", "svmlight": "libsvm", "bin": "binary"}

__all__ = [
    "SUPPORTED_FORMATS",
    "IngestError",
    "ParseOptions",
    "ParsedRows",
    "decode_file",
    "parse_file",
    "parse_vectors",
]


def parse_file(raw: bytes, options: ParseOptions) -> ParsedRows:
    """Parse decoded file bytes (see :func:`decode_file`) according to ``options``."""
    fmt = str(options.file_format or "").strip().lower()
    fmt = _ALIASES.get(fmt, fmt)
    if fmt not in _PARSERS:
        raise IngestError(
            f'unsupported file_format "{options.file_format}"; supported formats: '
            + ", ".join(f'"{f}"' for f in SUPPORTED_FORMATS)
        )
    if not raw or (fmt != "binary" and not raw.strip()):
        raise IngestError("the file is empty")
    return _PARSERS[fmt](raw, options)

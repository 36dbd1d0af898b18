"""Turn uploaded data (JSON bodies and files) into :class:`Columns`: a block of vectors, string
ids and attribute columns.

A plain library: no HTTP, no database. Every user mistake raises :class:`IngestError` whose
message is meant for the end user (:class:`TooLarge` when a size limit is passed). The file
formats are documented in docs/ingest-formats.md.
"""

from __future__ import annotations

from scipy import sparse

from .binary_format import parse_binary
from .csv_format import parse_csv
from .decode import FileData, decode_file, gunzip, read_file_data
from .errors import IngestError, TooLarge
from .ids import MAX_ID_LENGTH, id_problem
from .json_format import parse_json
from .libsvm_format import parse_libsvm
from .limits import IngestLimits, check_rows, check_vector_dim, check_width, layout_of
from .types import Columns, ParseOptions, columns_of
from .vectors import parse_vectors

SUPPORTED_FORMATS = ("csv", "json", "libsvm", "binary")
_PARSERS = {"csv": parse_csv, "json": parse_json, "libsvm": parse_libsvm, "binary": parse_binary}
FORMAT_ALIASES = {"jsonl": "json", "ndjson": "json", "svmlight": "libsvm", "bin": "binary"}

__all__ = [
    "Columns",
    "FORMAT_ALIASES",
    "MAX_ID_LENGTH",
    "SUPPORTED_FORMATS",
    "FileData",
    "IngestError",
    "IngestLimits",
    "ParseOptions",
    "TooLarge",
    "check_rows",
    "check_vector_dim",
    "check_width",
    "columns_of",
    "decode_file",
    "gunzip",
    "id_problem",
    "layout_of",
    "normalize_file_format",
    "parse_file",
    "parse_vectors",
    "read_file_data",
]


def normalize_file_format(value: object, allowed: tuple[str, ...] = SUPPORTED_FORMATS) -> str:
    """The canonical name of a ``file_format``: any letter case and surrounding spaces, and the
    aliases jsonl/ndjson (json), svmlight (libsvm) and bin (binary), are accepted."""
    name = value.strip().lower() if isinstance(value, str) else ""
    name = FORMAT_ALIASES.get(name, name)
    if name in allowed:
        return name
    supported = ", ".join(f'"{f}"' for f in allowed)
    if name in SUPPORTED_FORMATS:
        raise IngestError(f'file_format "{value}" cannot be used here; use one of {supported}')
    shown = f'"{value}"' if isinstance(value, str) else repr(value)
    raise IngestError(
        f"unsupported file_format {shown}; supported formats: {supported} (any letter case; "
        "also jsonl and ndjson for json, svmlight for libsvm, bin for binary)"
    )


def parse_file(data: bytes | bytearray | FileData, options: ParseOptions) -> Columns:
    """Parse a file according to ``options``: its decoded bytes (see :func:`decode_file`), or
    the file as sent (:class:`FileData`, see :func:`read_file_data`), which a large CSV or
    libsvm file is read from as a stream (gzip inflated as it goes) and any other inflates
    first. The result
    is within ``options.limits`` (rows, width)."""
    fmt = normalize_file_format(options.file_format)
    if isinstance(data, FileData):
        if data.size == 0:
            raise IngestError("the file is empty")
        if fmt not in ("csv", "libsvm"):
            data = data.inflate()
    if not isinstance(data, FileData) and (not data or (fmt != "binary" and data.isspace())):
        raise IngestError("the file is empty")
    rows = _PARSERS[fmt](data, options)
    # Each parser checks before it allocates; this says the same of whatever it returns.
    check_rows(rows.n, options.limits, "the file")
    layout = "sparse" if sparse.issparse(rows.vectors) else "dense"
    width = int(rows.vectors.shape[1])
    check_width(layout, width, options.limits, f"the file's vectors are {width} wide")
    return rows

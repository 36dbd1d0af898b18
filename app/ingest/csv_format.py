"""CSV files: one row per vector; see docs/ingest-formats.md."""

from __future__ import annotations

import csv
import io
import itertools
from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import IngestError
from .limits import check_rows
from .tabular import Column, assemble, check_columns
from .types import Columns, ParseOptions

# Cells that mean "missing value" (besides an empty cell).
MISSING_MARKERS = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None")
_MISSING_SET = frozenset(MISSING_MARKERS)
# Header detection looks at the first row and this many rows after it.
HEADER_SAMPLE_ROWS = 1000


@dataclass
class _Layout:
    """Where each non-blank CSV record starts (byte offset, 1-based line) and its field count."""

    starts: np.ndarray
    lines: np.ndarray
    fields: np.ndarray


def _scan(raw: bytes) -> _Layout:
    """Count the fields of every record without a full parse, so that ragged rows are reported
    with their line number (pandas silently pads short rows). A comma or newline separates only
    when an even number of double quotes precedes it, which is exact for RFC 4180 quoting."""
    b = np.frombuffer(raw, dtype=np.uint8)
    newline = b == 10
    comma = b == 44
    if b'"' in raw:
        quotes = b == 34
        # uint8 wrap-around keeps the parity right and uses 1 byte per input byte.
        outside = (np.cumsum(quotes, dtype=np.uint8) & 1) == 0
        if int(np.count_nonzero(quotes)) % 2:
            last = int(np.flatnonzero(quotes)[-1])
            line = int(np.count_nonzero(newline[:last])) + 1
            raise IngestError(
                f"line {line}: a double quote is never closed; "
                'quote fields like "a, b" and write a quote inside a field as ""'
            )
        separators = np.flatnonzero(newline & outside)
        commas = np.flatnonzero(comma & outside)
    else:
        separators = np.flatnonzero(newline)
        commas = np.flatnonzero(comma)
    starts = np.concatenate([[0], separators + 1])
    ends = np.concatenate([separators, [len(b)]])
    keep = starts < len(b)
    starts, ends = starts[keep], ends[keep]
    fields = np.searchsorted(commas, ends) - np.searchsorted(commas, starts) + 1
    nonblank = np.ones(len(starts), dtype=bool)
    for k in np.flatnonzero(fields == 1):
        nonblank[k] = bool(raw[starts[k] : ends[k]].strip(b" \t\r"))
    starts, fields = starts[nonblank], fields[nonblank]
    lines = np.searchsorted(np.flatnonzero(newline), starts) + 1
    return _Layout(starts=starts, lines=lines, fields=fields)


def _cell_kind(cell: str) -> str:
    cell = cell.strip()
    if cell in _MISSING_SET:
        return "missing"
    try:
        float(cell)
    except ValueError:
        return "text"
    return "number"


def detect_header(rows: list[list[str]]) -> bool:
    """Header if a first-row cell is text above a column that is numeric below it, or if no
    first-row cell is numeric (and at least one is text)."""
    first, rest = rows[0], rows[1:]
    kinds = [_cell_kind(c) for c in first]
    if "number" not in kinds and "text" in kinds:
        return True
    for j, kind in enumerate(kinds):
        if kind != "text":
            continue
        below = [_cell_kind(r[j]) for r in rest if j < len(r)]
        if "number" in below and "text" not in below:
            return True
    return False


def _sample_rows(raw: bytes, layout: _Layout, count: int) -> list[list[str]]:
    end = int(layout.starts[count]) if len(layout.starts) > count else len(raw)
    reader = csv.reader(io.StringIO(raw[:end].decode("utf-8")))
    return list(itertools.islice((r for r in reader if any(c.strip() for c in r)), count))


def _column(name: str, position: int, series: pd.Series) -> Column:
    if series.dtype.kind in "iuf":
        nums = series.to_numpy(dtype=np.float64)
        missing = np.isnan(nums)
        return Column(name, position, nums, missing, np.zeros(len(nums), dtype=bool), series)
    missing = series.isna().to_numpy()
    nums = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    nonnumeric = ~missing & np.isnan(nums)
    return Column(name, position, nums, missing, nonnumeric, series)


def parse_csv(raw: bytes, options: ParseOptions) -> Columns:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        raw.decode("utf-8")  # only to check: the text is not kept
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise IngestError(
            f"line {line}: the file is not UTF-8 text; save the CSV as UTF-8, and send the "
            "file itself base64-encoded (if it is compressed, only gzip is supported)"
        ) from None
    if not raw or raw.isspace():
        raise IngestError("the file is empty")
    layout = _scan(raw)
    width = int(layout.fields[0])
    # Before pandas builds a column per field and a value per cell.
    check_columns(width, options, f"line {layout.lines[0]} has {{n}} fields")
    ragged = np.flatnonzero(layout.fields != width)
    if len(ragged):
        k = int(ragged[0])
        raise IngestError(
            f"line {layout.lines[k]} has {layout.fields[k]} fields but line {layout.lines[0]} "
            f"has {width}; every row needs the same number of comma-separated fields "
            '(quote values that contain commas, like "a, b")'
        )
    sample = _sample_rows(raw, layout, HEADER_SAMPLE_ROWS + 1)
    header = options.has_field_names
    if header is None:
        header = detect_header(sample)
    if header:
        names = [n.strip() or f"column_{j}" for j, n in enumerate(sample[0])]
        dupes = sorted(n for n, k in Counter(names).items() if k > 1)
        if dupes:
            raise IngestError(
                f"the header row has duplicate column names: {', '.join(map(repr, dupes))}; "
                "rename them so each column name is unique"
            )
    else:
        names = [f"column_{j}" for j in range(width)]
    first_data = 1 if header else 0
    if len(layout.starts) <= first_data:
        raise IngestError("the file has a header row but no data rows")
    check_rows(len(layout.starts) - first_data, options.limits, "the file")

    text_positions = _text_positions(names, options, named=bool(header))
    body = raw[int(layout.starts[first_data]) :]
    try:
        frame = pd.read_csv(
            io.BytesIO(body),
            header=None,
            names=list(range(width)),
            dtype={p: str for p in text_positions},
            keep_default_na=False,
            na_values=list(MISSING_MARKERS),
            skipinitialspace=True,
            encoding="utf-8",
            low_memory=False,
        )
    except (ValueError, pd.errors.ParserError) as exc:
        raise IngestError(f"the CSV file could not be parsed: {exc}") from None
    bools = [p for p in range(width) if frame[p].dtype.kind == "b"]
    if bools:  # keep "True"/"yes"-style text exactly as written
        again = pd.read_csv(
            io.BytesIO(body),
            header=None,
            names=list(range(width)),
            usecols=bools,
            dtype=str,
            keep_default_na=False,
            na_values=list(MISSING_MARKERS),
            skipinitialspace=True,
        )
        for p in bools:
            frame[p] = again[p]

    lines = layout.lines[first_data:]

    def where(i: int) -> str:
        return f"line {lines[i]}" if len(lines) == len(frame) else f"data row {i + 1}"

    columns = [_column(names[p], p, frame[p]) for p in range(width)]
    unnamed_last = not header or not sample[0][-1].strip()
    if width > 1 and unnamed_last and columns[-1].missing.all():
        columns.pop()  # a trailing comma on every line adds an empty, unnamed column
    return assemble(columns, named=bool(header), options=options, where=where, n_rows=len(frame))


def _text_positions(names: list[str], options: ParseOptions, named: bool) -> set[int]:
    """Columns read as text so that ids like "007" and listed attributes keep their spelling."""
    keys: list[str | int] = [k for k in [options.label_column, *options.attribute_columns] if k]
    if options.id_column is None:
        keys += [n for n in names if n.casefold() in ("string_id", "id")] if named else []
    elif options.id_column != "":
        keys.append(options.id_column)
    positions = set()
    folded = [n.casefold() for n in names]
    for key in keys:
        if isinstance(key, int) and 0 <= key < len(names):
            positions.add(key)
        elif isinstance(key, str):
            if named and key in names:
                positions.add(names.index(key))
            elif named and key.strip().casefold() in folded:
                positions.add(folded.index(key.strip().casefold()))
            elif key.strip().isdigit() and int(key) < len(names):
                positions.add(int(key))
    return positions

"""CSV files: one row per vector; see docs/ingest-formats.md.

Two readers give the same result. The exact reader (:func:`_parse_exact`) holds the whole file:
it checks UTF-8, counts the fields of every record (:func:`_scan`), reads the cells with pandas
and words every error with its line. The fast reader (:func:`_parse_fast`) streams the file as
sent (inflating gzip as it goes) through pyarrow, writing the numeric columns batch by batch
into one float32 block: no float64 copy of the matrix, no whole inflated text in memory. It only
ever returns a result it can vouch for: on an error, or on anything it cannot tell apart from
the exact reader's reading (a ragged row, text in a column whose first rows were numbers,
quoting or whitespace the two could read differently, ...), it gives up and the exact reader
reads the file.
"""

from __future__ import annotations

import csv
import io
import itertools
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .decode import FileData
from .errors import IngestError
from .limits import check_rows
from .stream import NeedsExactParse, TextSource, blank_lines, text_source
from .tabular import BlockColumn, Column, assemble, check_columns, exact_parse_needed
from .types import Columns, ParseOptions

# Cells that mean "missing value" (besides an empty cell).
MISSING_MARKERS = ("", "NA", "N/A", "NaN", "nan", "null", "NULL", "None")
_MISSING_SET = frozenset(MISSING_MARKERS)
# Header detection looks at the first row and this many rows after it.
HEADER_SAMPLE_ROWS = 1000
FAST_MIN_BYTES = 1 << 20
"""Files from this size on (inflated) try the fast reader; smaller ones take the exact reader,
which then costs milliseconds."""
_PREFIX_STEP = 1 << 20
_MAX_PREFIX = 64 << 20
"""The fast reader decides the header and the columns' types from the first records, inflated
and held: at most this many bytes (wider files take the exact reader)."""
_CHUNK_BYTES = 8 << 20
"""Text (whole lines) handed to pyarrow at once."""
_BATCH_BYTES = 1 << 20
"""Text pyarrow parses at once (one record batch), on several threads."""
_MAX_FIRST_BLOCK = 1 << 30
"""Most bytes the block is first made for (the file's size may be an upper bound only)."""
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_SUSPECT_TEXT = r'["\r\n\x00]|^ '
"""A text cell that the two readers might read differently: a quote in it (unbalanced quoting,
read apart by the exact reader's field count), a line break or NUL, or a leading space (which
the exact reader drops from an unquoted cell, and keeps in a quoted one)."""


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
    try:
        return list(itertools.islice((r for r in reader if any(c.strip() for c in r)), count))
    except csv.Error as exc:  # a carriage return alone inside a field
        raise IngestError(f"the CSV file could not be parsed: {exc}") from None


def _booleans(series: pd.Series) -> bool:
    """pandas read the column as booleans (an object column when some cells are missing)."""
    if series.dtype.kind == "b":
        return True
    return series.dtype == object and pd.api.types.infer_dtype(series, skipna=True) == "boolean"


def _column(name: str, position: int, series: pd.Series) -> Column:
    if series.dtype.kind in "iuf":
        nums = series.to_numpy(dtype=np.float64)
        missing = np.isnan(nums)
        return Column(name, position, nums, missing, np.zeros(len(nums), dtype=bool), series)
    # pandas leaves a missing marker as text in some columns of numbers (one past int64, and
    # another not an integer): a marker is missing wherever it is.
    missing = (series.isna() | series.isin(MISSING_MARKERS)).to_numpy()
    nums = pd.to_numeric(series, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    nonnumeric = ~missing & np.isnan(nums)
    return Column(name, position, nums, missing, nonnumeric, series)


def parse_csv(data: bytes | bytearray | FileData, options: ParseOptions) -> Columns:
    """Read a CSV file, given as its bytes or as sent (:class:`FileData`, maybe gzip)."""
    file = data if isinstance(data, FileData) else FileData(data, False, len(data))
    if file.size >= FAST_MIN_BYTES:
        rows = _parse_fast(file, options)
        if rows is not None:
            return rows
    return _parse_exact(file.inflate(), options)


def _parse_exact(raw: bytes | bytearray, options: ParseOptions) -> Columns:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        if not raw.isascii():  # ASCII is UTF-8; the check makes no copy of the text
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
    header, names = _header(sample, width, options)
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
    bools = [p for p in range(width) if _booleans(frame[p])]
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


def _header(sample: list[list[str]], width: int, options: ParseOptions) -> tuple[bool, list[str]]:
    """Whether the first row is a header (``has_field_names``, else detected on the sample),
    and the column names."""
    if not sample:  # every record's cells are blank
        sample = [[""] * width]
    header = options.has_field_names
    if header is None:
        header = detect_header(sample)
    if not header:
        return False, [f"column_{j}" for j in range(width)]
    names = [n.strip() or f"column_{j}" for j, n in enumerate(sample[0])]
    dupes = sorted(n for n, k in Counter(names).items() if k > 1)
    if dupes:
        raise IngestError(
            f"the header row has duplicate column names: {', '.join(map(repr, dupes))}; "
            "rename them so each column name is unique"
        )
    return True, names


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


# ---- the fast reader ----


def _parse_fast(file: FileData, options: ParseOptions) -> Columns | None:
    """The fast reader's result, or None where the exact reader is to read the file."""
    try:
        return _read_fast(file, options)
    except (NeedsExactParse, IngestError, pa.ArrowException, UnicodeDecodeError, zlib.error):
        return None


@dataclass
class _Plan:
    """What the first records tell: the header, the names, where the data starts, and how to
    read each column."""

    header: bool
    names: list[str]
    data_offset: int
    text: list[bool]
    """Read as text (an id, a label, an attribute, text in the first rows, a trailing empty
    column), not into the block."""
    trailing: bool
    """The last column may be the empty one that a trailing comma adds."""
    bytes_per_row: float


def _plan(source: TextSource, options: ParseOptions) -> _Plan:
    """Read the first records (at least HEADER_SAMPLE_ROWS + 1, as the exact reader's header
    detection does) and decide how to read the file."""
    size = _PREFIX_STEP
    while True:
        prefix, whole = source.peek(size)
        if whole or prefix.count(b"\n") > HEADER_SAMPLE_ROWS + 2:
            break
        if size >= _MAX_PREFIX:
            raise NeedsExactParse
        size *= 2
    bom = 3 if prefix.startswith(b"\xef\xbb\xbf") else 0
    if not whole:
        prefix = prefix[: prefix.rfind(b"\n") + 1]  # whole lines (not inside quotes: _scan)
    text = prefix[bom:]
    if not text.strip():
        raise NeedsExactParse
    text.decode("utf-8")
    layout = _scan(text)
    width = int(layout.fields[0])
    check_columns(width, options, "{n}")
    if width < 2 or np.any(layout.fields != width):
        raise NeedsExactParse  # one column: blank-looking cells; ragged: the exact reader
    records = len(layout.starts)
    if not whole and records <= HEADER_SAMPLE_ROWS + 1:
        raise NeedsExactParse
    sample = _sample_rows(text, layout, HEADER_SAMPLE_ROWS + 1)
    header, names = _header(sample, width, options)
    if any('"' in cell for row in sample for cell in row):
        raise NeedsExactParse  # a quote left in a cell: quoting the exact reader reads apart
    first_data = 1 if header else 0
    if records <= first_data:
        raise NeedsExactParse
    kinds = [set() for _ in range(width)]
    for row in sample[first_data:]:
        for j, cell in enumerate(row):
            kinds[j].add(_cell_kind(cell))
    as_text = _text_positions(names, options, named=bool(header))
    text_columns = [j in as_text or "text" in kinds[j] for j in range(width)]
    unnamed_last = not header or not sample[0][-1].strip()
    trailing = unnamed_last and kinds[-1] <= {"missing"}
    if trailing:
        text_columns[-1] = True  # checked once read: all missing, or a column like the others
    start = int(layout.starts[first_data])
    data_rows = records - first_data
    return _Plan(
        header=bool(header), names=names, data_offset=bom + start, text=text_columns,
        trailing=trailing, bytes_per_row=max(1.0, (len(text) - start) / data_rows),
    )


def _read_fast(file: FileData, options: ParseOptions) -> Columns:
    source = text_source(file)
    plan = _plan(source, options)
    source.skip(plan.data_offset)
    chunks = source.lines(_CHUNK_BYTES)
    try:
        return _read_rows(plan, chunks, file.size - plan.data_offset, options)
    finally:
        chunks.close()  # stops the inflating thread, whatever happened


def _record_batches(plan: _Plan, chunks: Iterator[tuple[pa.Buffer, int]]
                    ) -> Iterator[pa.RecordBatch]:
    """The file's data rows, read by pyarrow: the numeric columns as float64, the others as
    text (each chunk of whole lines on pyarrow's threads, without the GIL)."""
    width = len(plan.names)
    read_options = pacsv.ReadOptions(
        column_names=[str(p) for p in range(width)], block_size=_BATCH_BYTES, use_threads=True)
    parse_options = pacsv.ParseOptions(
        delimiter=",", quote_char='"', double_quote=True, escape_char=False,
        newlines_in_values=False, ignore_empty_lines=True)
    convert_options = pacsv.ConvertOptions(
        column_types={str(p): pa.string() if plan.text[p] else pa.float64()
                      for p in range(width)},
        null_values=list(MISSING_MARKERS), strings_can_be_null=True,
        quoted_strings_can_be_null=True, check_utf8=True)
    for chunk, lines in chunks:
        table = pacsv.read_csv(chunk, read_options=read_options,
                               parse_options=parse_options, convert_options=convert_options)
        # A row per line that is not empty: pyarrow drops the rest of a buffer in which a
        # quote is never closed, and a quoted line break joins lines.
        if table.num_rows != lines and table.num_rows != lines - blank_lines(chunk):
            raise NeedsExactParse
        yield from table.to_batches()


def _read_rows(plan: _Plan, chunks: Iterator[tuple[pa.Buffer, int]], size: int,
               options: ParseOptions) -> Columns:
    """Stream the data rows into one float32 block (the numeric columns) and text columns."""
    width = len(plan.names)
    block_positions = [p for p in range(width) if not plan.text[p]]
    text_positions = [p for p in range(width) if plan.text[p]]
    max_rows = options.limits.max_rows if options.limits is not None else None
    # Rows as long as the first ones (most files), and then some; the block grows if need be
    # (in place where the allocator can) and gives back what it did not use.
    capacity = min(int(size / plan.bytes_per_row * 1.1) + 1024,
                   _MAX_FIRST_BLOCK // (4 * max(1, len(block_positions))))
    if max_rows is not None:
        capacity = min(capacity, max_rows + 1)
    block = np.empty((capacity, len(block_positions)), dtype=np.float32)
    texts: dict[int, list[pa.Array]] = {p: [] for p in text_positions}
    n = 0
    for batch in _record_batches(plan, chunks):
        m = batch.num_rows
        if n + m > capacity:
            if max_rows is not None and n + m > max_rows:
                raise NeedsExactParse  # too many rows: the exact reader counts and says so
            capacity = max(n + m, int(capacity * 1.25))
            if max_rows is not None:
                capacity = min(capacity, max_rows + 1)
            block.resize((capacity, block.shape[1]), refcheck=False)
        part = block[n : n + m]
        nulls = 0
        for k, p in enumerate(block_positions):
            column = batch.column(p)
            nulls += column.null_count
            part[:, k] = column.to_numpy(zero_copy_only=False)
        # NaN only where a cell was missing ("NAN", "-nan" are text to the exact reader);
        # every number a finite float32 (the exact reader words the error).
        if np.count_nonzero(np.isnan(part)) != nulls or np.any(np.abs(part) >= _FLOAT32_MAX):
            raise NeedsExactParse
        for p in text_positions:
            texts[p].append(batch.column(p))
        n += m
    if n == 0:
        raise NeedsExactParse
    check_rows(n, options.limits, "the file")
    block.resize((n, block.shape[1]), refcheck=False)

    columns: list[Column | BlockColumn] = []
    for p in range(width):
        if plan.text[p]:
            columns.append(_text_column(plan.names[p], p, texts.pop(p)))
        else:
            columns.append(BlockColumn(plan.names[p], p, block, block_positions.index(p)))
    if plan.trailing and columns[-1].missing.all():
        columns.pop()
    return assemble(columns, named=plan.header, options=options, where=exact_parse_needed,
                    n_rows=n)


def _text_column(name: str, position: int, chunks: list[pa.Array]) -> Column:
    """A column read as text, as :func:`_column` makes it of the exact reader's strings: each
    distinct value converted once, the cells' values made only if they are asked for."""
    encoded = pa.chunked_array(chunks, type=pa.string()).combine_chunks().dictionary_encode()
    chunks.clear()
    words = encoded.dictionary
    if len(words) and pc.any(pc.match_substring_regex(words, _SUSPECT_TEXT)).as_py():
        raise NeedsExactParse
    word_list = words.to_pylist()
    word_list.append(None)  # the value of a missing cell
    nulls = len(words)
    which = encoded.indices.fill_null(nulls).to_numpy(zero_copy_only=False)
    missing = which == nulls
    word_nums = pd.to_numeric(pd.Series(word_list, dtype=object), errors="coerce")
    nums = word_nums.to_numpy(dtype=np.float64, na_value=np.nan)[which]
    nonnumeric = ~missing & np.isnan(nums)

    def make_raw() -> list:
        return np.asarray(word_list, dtype=object)[which].tolist()

    return Column(name, position, nums, missing, nonnumeric, make_raw=make_raw)

"""libsvm / svmlight files: ``<label> <index>:<value> ...`` per line.

Three readers, one result. A file from 1 MB on is first read by a fast reader: whole lines
(inflated as they stream when the file came gzip-compressed) are checked to be plain, with
numpy (one space before each ``index:value``, digits-only indices, no comment, no qid), and
all their numbers parsed at once by pyarrow; it gives up on anything else. scikit-learn's
loader reads what it gives up on, and the line parser below words any error with its line.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
from scipy import sparse
from sklearn.datasets import load_svmlight_file

from .decode import FileData
from .errors import IngestError
from .limits import IngestLimits, check_rows, check_width, layout_of, too_wide
from .stream import NeedsExactParse, arrow_copy, text_source
from .types import Columns, ParseOptions
from .vectors import check_vector_dim, convert_vectors

_FLOAT32_MAX = float(np.finfo(np.float32).max)
FAST_MIN_BYTES = 1 << 20
"""Files from this size on (inflated) try the fast reader."""
_CHUNK_BYTES = 4 << 20
"""Text (whole lines) the fast reader checks and parses at once (its arrays are a few times
that)."""
_MAX_INDEX_DIGITS = 9
"""Longer indices take scikit-learn's loader (which reads them into a C int)."""
_PLAIN = b"0123456789 :\n.-+eE"
"""The bytes of a plain file: digits, the separators, and what numbers are written with."""
_TOKENS = bytes.maketrans(b" :", b"\n\n")


def parse_libsvm(data: bytes | bytearray | FileData, options: ParseOptions) -> Columns:
    """The fast reader where it applies; else scikit-learn's loader; on any problem the slower
    line parser below runs, which either accepts the file (e.g. unsorted indices, which
    scikit-learn rejects) or raises an IngestError naming the offending line."""
    check_vector_dim(options.vector_dim)
    layout = layout_of(options.vector_type or "sparse")
    limits = options.limits
    if options.vector_dim is not None:
        check_width(layout, options.vector_dim, limits, f"vector_dim is {options.vector_dim}")
    file = data if isinstance(data, FileData) else FileData(data, False, len(data))
    if file.size >= FAST_MIN_BYTES:
        try:
            matrix, labels = _read_fast(file, options, layout)
            return _columns(matrix, labels, options)
        except (NeedsExactParse, IngestError, pa.ArrowException):
            pass
    raw = file.inflate()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw or raw.isspace():
        raise IngestError("the file is empty")
    # Deciding this here is much cheaper than scikit-learn's zero_based="auto".
    zero_based = _has_zero_index(raw)
    try:
        matrix, labels = load_svmlight_file(
            io.BytesIO(raw),
            zero_based=zero_based,
            dtype=np.float32,  # overflow becomes inf, which _acceptable rejects
            query_id=False,
        )
        ok = _acceptable(matrix, labels, options.vector_dim)
    except (ValueError, OverflowError, TypeError, UnicodeDecodeError):
        ok = False
    if not ok:
        matrix, labels = _parse_lines(raw, options.vector_dim, layout, limits)
    # Both parsers return a CSR matrix, whose size does not grow with its width: the width is
    # checked here, before anything as wide as the largest index is built.
    n, width = matrix.shape
    check_rows(n, limits, "the file")
    if limits is not None and width > limits.max_dim(layout):
        _refuse_index(raw, layout, limits, zero_based)
        raise too_wide(layout, limits, f"the largest feature index makes the vectors {width} wide")
    return _columns(matrix, labels, options)


def _columns(matrix: sparse.csr_matrix, labels: np.ndarray, options: ParseOptions) -> Columns:
    n, width = matrix.shape
    if options.vector_dim is not None:
        width = options.vector_dim
    matrix = sparse.csr_matrix(
        (matrix.data.astype(np.float32, copy=False), matrix.indices, matrix.indptr),
        shape=(n, width),
    )
    vectors = convert_vectors(matrix, options.vector_type or "sparse")
    name = options.libsvm_label_name or "label"
    whole = np.all(labels == np.round(labels))
    values = labels.astype(np.int64) if whole else labels.astype(np.float64)
    return Columns(ids=None, vectors=vectors, attributes={name: values.tolist()})


def _refuse_index(raw: bytes, layout: str, limits: IngestLimits, zero_based: bool) -> None:
    """Raise for the first feature index (outside comments) that makes the vectors wider than
    the limit, with its line. Only indices with as many digits as the limit are looked at (the
    regular expression skips the others without a Python step each)."""
    limit = limits.max_dim(layout)
    pattern = re.compile(rb"(?<=[ \t])0*([1-9][0-9]{%d,}):" % (len(str(limit)) - 1))
    for match in pattern.finditer(raw):
        digits = match.group(1)
        line_start = raw.rfind(b"\n", 0, match.start()) + 1
        if b"#" in raw[line_start : match.start()]:
            continue  # in a comment
        if len(digits) <= 30:
            width = int(digits) + (1 if zero_based else 0)
            if width <= limit:
                continue
            subject = f"feature index {int(digits)} makes the vectors {width} wide"
        else:
            subject = (f"feature index {digits[:20].decode()}... ({len(digits)} digits) makes "
                       "the vectors wider than that")
        line = raw.count(b"\n", 0, match.start()) + 1
        raise too_wide(layout, limits, f"line {line}: {subject}")


def _has_zero_index(raw: bytes) -> bool:
    """A feature token with index 0 (" 0:1.5") makes the whole file 0-based."""
    return b" 0:" in raw or b"\t0:" in raw


def _acceptable(matrix: sparse.csr_matrix, labels: np.ndarray, vector_dim: int | None) -> bool:
    if matrix.shape[0] == 0:
        return False
    if vector_dim is not None and matrix.shape[1] > vector_dim:
        return False
    if not np.all(np.isfinite(labels)):
        return False
    return bool(np.all(np.isfinite(matrix.data)) and np.all(np.abs(matrix.data) <= _FLOAT32_MAX))


def _parse_lines(
    raw: bytes, vector_dim: int | None, layout: str = "sparse", limits: IngestLimits | None = None
) -> tuple[sparse.csr_matrix, np.ndarray]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise IngestError(f"line {line}: the file is not UTF-8 text") from None
    rows: list[tuple[int, float, list[int], list[float]]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        tokens = line.split("#", 1)[0].split()
        if not tokens:
            continue
        try:
            label = float(tokens[0])
        except ValueError:
            label = float("nan")
        if not np.isfinite(label):
            raise IngestError(
                f"line {lineno}: the label {tokens[0]!r} is not a number; lines must look like "
                "'1 3:0.5 10:1.2' (label, then index:value pairs)"
            )
        indices, values = [], []
        for token in tokens[1:]:
            key, sep, value = token.partition(":")
            if not sep:
                raise IngestError(
                    f"line {lineno}: {token!r} is not of the form index:value "
                    "(a label may only come first)"
                )
            if key == "qid":
                continue
            if not (key.isascii() and key.isdigit()):
                raise IngestError(f"line {lineno}: feature index {key!r} is not an integer >= 0")
            if len(key.lstrip("0")) > 18:
                subject = (f"line {lineno}: feature index {key.lstrip('0')[:20]}... "
                           f"({len(key.lstrip('0'))} digits) is far too large")
                if limits is not None:
                    raise too_wide(layout, limits, subject)
                raise IngestError(subject)
            try:
                number = float(value)
            except ValueError:
                number = float("nan")
            if not np.isfinite(number) or abs(number) > _FLOAT32_MAX:
                raise IngestError(
                    f"line {lineno}: value {value!r} of feature {key} is not a finite number"
                )
            indices.append(int(key))
            values.append(number)
        if len(set(indices)) != len(indices):
            dup = next(k for k in indices if indices.count(k) > 1)
            raise IngestError(f"line {lineno}: feature index {dup} appears more than once")
        rows.append((lineno, label, indices, values))
    if not rows:
        raise IngestError("the file has no data lines")
    zero_based = any(0 in r[2] for r in rows)
    shift = 0 if zero_based else 1
    if vector_dim is not None:
        for lineno, _label, indices, _values in rows:
            top = max(indices, default=-1) - shift
            if top >= vector_dim:
                first = 0 if zero_based else 1
                raise IngestError(
                    f"line {lineno}: feature index {top + shift} is out of range for vector_dim "
                    f"{vector_dim} (indices must be {first}..{vector_dim - 1 + first}; they are "
                    "read as 1-based unless some index is 0)"
                )
    indptr = np.cumsum([0, *(len(r[2]) for r in rows)])
    indices = np.asarray([k - shift for r in rows for k in r[2]], dtype=np.int64)
    values = np.asarray([v for r in rows for v in r[3]], dtype=np.float64)
    width = int(indices.max()) + 1 if len(indices) else 0
    matrix = sparse.csr_matrix((values, indices, indptr), shape=(len(rows), width))
    matrix.sort_indices()
    return matrix, np.asarray([r[1] for r in rows], dtype=np.float64)


# ---- the fast reader ----


class _Growing:
    """A 1-d array appended to in pieces: grown geometrically in place (where the allocator
    can), first sized by an estimate, trimmed to what was used."""

    def __init__(self, dtype: type, capacity: int) -> None:
        self.array = np.empty(max(capacity, 1024), dtype=dtype)
        self.size = 0

    def extend(self, values: np.ndarray) -> None:
        end = self.size + len(values)
        if end > len(self.array):
            self.array.resize(max(end, len(self.array) * 5 // 4), refcheck=False)
        self.array[self.size : end] = values
        self.size = end

    def done(self) -> np.ndarray:
        self.array.resize(self.size, refcheck=False)
        return self.array


def _read_fast(file: FileData, options: ParseOptions,
               layout: str) -> tuple[sparse.csr_matrix, np.ndarray]:
    """The rows of a plain file, streamed; :class:`NeedsExactParse` for any other file."""
    source = text_source(file)
    if source.peek(3)[0].startswith(b"\xef\xbb\xbf"):
        raise NeedsExactParse
    limits = options.limits
    max_rows = limits.max_rows if limits is not None else None
    chunks = source.lines(_CHUNK_BYTES)
    try:
        labels = indptr = indices = values = None
        rows = entries = 0
        low, high = np.inf, -1
        for chunk, _lines in chunks:
            part = _chunk(chunk)
            if part is None:
                continue
            chunk_labels, counts, chunk_indices, chunk_values = part
            if labels is None:  # sized as if every chunk were like the first
                scale = file.size / max(1, len(chunk)) * 1.1
                labels = _Growing(np.float64, int(len(chunk_labels) * scale))
                indptr = _Growing(np.int64, int(len(chunk_labels) * scale))
                indices = _Growing(np.int32, int(len(chunk_indices) * scale))
                values = _Growing(np.float32, int(len(chunk_indices) * scale))
                indptr.extend(np.zeros(1, dtype=np.int64))
            if max_rows is not None and rows + len(chunk_labels) > max_rows:
                raise NeedsExactParse  # the exact reader counts them all and says so
            labels.extend(chunk_labels)
            indptr.extend(entries + np.cumsum(counts))
            indices.extend(chunk_indices)
            values.extend(chunk_values)
            rows += len(chunk_labels)
            entries += len(chunk_indices)
            if len(chunk_indices):
                low = min(low, int(chunk_indices.min()))
                high = max(high, int(chunk_indices.max()))
    finally:
        chunks.close()
    if labels is None or entries == 0:
        raise NeedsExactParse
    all_indices = indices.done()
    zero_based = low == 0  # as the other readers decide: 1-based unless some index is 0
    if not zero_based:
        all_indices -= 1
    width = high + 1 if zero_based else high
    if options.vector_dim is not None and width > options.vector_dim:
        raise NeedsExactParse  # the line parser names the line
    if limits is not None and width > limits.max_dim(layout):
        raise NeedsExactParse  # the exact reader names the line
    matrix = sparse.csr_matrix((values.done(), all_indices, indptr.done()), shape=(rows, width))
    return matrix, labels.done()


def _chunk(chunk: pa.Buffer):
    """Labels, entries per line, indices and float32 values of a chunk of whole lines, or
    None when it has none; :class:`NeedsExactParse` unless every line is plain."""
    chunk = chunk.to_pybytes()  # bytes.translate checks and turns separators fast
    if chunk.translate(None, _PLAIN):
        raise NeedsExactParse  # comments, tabs, CR, qid, inf, nan, non-ASCII, ...
    text = np.frombuffer(chunk, dtype=np.uint8)
    at = np.flatnonzero((text == 10) | (text == 32) | (text == 58))  # the separators
    kind = text[at]
    ends = at[kind == 10]
    if len(text) and text[-1] != 10:
        ends = np.append(ends, len(text))  # the last line of the file, without its LF
    starts = np.concatenate([[0], ends[:-1] + 1])
    lines = ends > starts
    starts, ends = starts[lines], ends[lines]  # empty lines are skipped
    if not len(starts):
        return None
    spaces = at[kind == 32]
    colons = at[kind == 58]
    # Each entry is " index:value": as many spaces as colons on each line, alternating.
    counts = np.searchsorted(colons, ends) - np.searchsorted(colons, starts)
    if len(spaces) != len(colons) or np.any(
            np.searchsorted(spaces, ends) - np.searchsorted(spaces, starts) != counts):
        raise NeedsExactParse
    line_of = np.repeat(np.arange(len(starts)), counts)
    first = np.ones(len(spaces), dtype=bool)
    first[1:] = line_of[1:] != line_of[:-1]
    last = np.ones(len(spaces), dtype=bool)
    last[:-1] = first[1:]
    following = np.append(spaces[1:], 0)  # what ends each value
    following[last] = ends[line_of[last]]
    digits = colons - spaces - 1
    if (np.any(digits < 1) or np.any(digits > _MAX_INDEX_DIGITS)
            or np.any(following - colons < 2)
            or np.any(spaces[first] - starts[line_of[first]] < 1)):
        raise NeedsExactParse  # an empty label, index or value; a long index
    # Indices are digits only: no '.', 'e', '+' or '-' between a space and its colon.
    region = np.zeros(len(text) + 1, dtype=np.int8)
    region[spaces + 1] = 1
    region[colons] = -1
    inside = np.cumsum(region[:-1], dtype=np.int8).view(bool)
    if np.any(inside & ((text - 48) > 9)):
        raise NeedsExactParse
    tokens = _numbers(chunk)
    if len(tokens) != len(starts) + 2 * len(spaces):
        raise NeedsExactParse
    at_label = np.zeros(len(tokens), dtype=bool)
    at_label[np.cumsum(1 + 2 * counts) - (1 + 2 * counts)] = True
    labels = tokens[at_label]
    entries = tokens[~at_label]
    indices = entries[0::2].astype(np.int32)  # at most _MAX_INDEX_DIGITS digits
    with np.errstate(over="ignore"):
        values = entries[1::2].astype(np.float32)  # as scikit-learn stores them
    if not (np.isfinite(labels).all() and np.isfinite(values).all()):
        raise NeedsExactParse
    same_line = ~first[1:]
    if np.any((indices[1:] <= indices[:-1])[same_line]):
        raise NeedsExactParse  # unsorted or repeated indices: the other readers
    return labels, counts, indices, values


def _numbers(chunk: bytes) -> np.ndarray:
    """Every label, index and value of the chunk, in order, parsed by pyarrow (as float64,
    which holds the indices exactly): one token per line once spaces and colons are line
    breaks."""
    lines = arrow_copy(chunk.translate(_TOKENS))
    table = pacsv.read_csv(
        lines,
        read_options=pacsv.ReadOptions(column_names=["t"], use_threads=True),
        parse_options=pacsv.ParseOptions(delimiter=",", quote_char=False, escape_char=False,
                                         ignore_empty_lines=True),
        convert_options=pacsv.ConvertOptions(column_types={"t": pa.float64()}, null_values=[],
                                             strings_can_be_null=False,
                                             quoted_strings_can_be_null=False),
    )
    return table.column(0).to_numpy()

"""libsvm / svmlight files: ``<label> <index>:<value> ...`` per line."""

from __future__ import annotations

import io
import re

import numpy as np
from scipy import sparse
from sklearn.datasets import load_svmlight_file

from .errors import IngestError
from .limits import IngestLimits, check_rows, check_width, layout_of, too_wide
from .types import Columns, ParseOptions
from .vectors import check_vector_dim, convert_vectors

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def parse_libsvm(raw: bytes, options: ParseOptions) -> Columns:
    """Fast path through scikit-learn; on any problem the slower line parser below runs, which
    either accepts the file (e.g. unsorted indices, which scikit-learn rejects) or raises an
    IngestError naming the offending line."""
    check_vector_dim(options.vector_dim)
    layout = layout_of(options.vector_type or "sparse")
    limits = options.limits
    if options.vector_dim is not None:
        check_width(layout, options.vector_dim, limits, f"vector_dim is {options.vector_dim}")
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
    if options.vector_dim is not None:
        width = options.vector_dim
    matrix = sparse.csr_matrix(
        (matrix.data.astype(np.float32), matrix.indices, matrix.indptr), shape=(n, width)
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

"""libsvm / svmlight files: ``<label> <index>:<value> ...`` per line."""

from __future__ import annotations

import io

import numpy as np
from scipy import sparse
from sklearn.datasets import load_svmlight_file

from .errors import IngestError
from .types import ParsedRows, ParseOptions
from .vectors import check_vector_dim, convert_vectors

_FLOAT32_MAX = float(np.finfo(np.float32).max)


def parse_libsvm(raw: bytes, options: ParseOptions) -> ParsedRows:
    """Fast path through scikit-learn; on any problem the slower line parser below runs, which
    either accepts the file (e.g. unsorted indices, which scikit-learn rejects) or raises an
    IngestError naming the offending line."""
    check_vector_dim(options.vector_dim)
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise IngestError("the file is empty")
    try:
        matrix, labels = load_svmlight_file(
            io.BytesIO(raw),
            # Deciding this here is much cheaper than scikit-learn's zero_based="auto".
            zero_based=_has_zero_index(raw),
            dtype=np.float32,  # overflow becomes inf, which _acceptable rejects
            query_id=False,
        )
        ok = _acceptable(matrix, labels, options.vector_dim)
    except (ValueError, OverflowError, TypeError, UnicodeDecodeError):
        ok = False
    if not ok:
        matrix, labels = _parse_lines(raw, options.vector_dim)
    n, width = matrix.shape
    if options.vector_dim is not None:
        width = options.vector_dim
    matrix = sparse.csr_matrix(
        (matrix.data.astype(np.float32), matrix.indices, matrix.indptr), shape=(n, width)
    )
    vectors = convert_vectors(matrix, options.vector_type or "sparse")
    name = options.libsvm_label_name or "label"
    if np.all(labels == np.round(labels)):
        attributes = [{name: int(v)} for v in labels]
    else:
        attributes = [{name: float(v)} for v in labels]
    return ParsedRows(ids=None, vectors=vectors, attributes=attributes, feature_names=None)


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


def _parse_lines(raw: bytes, vector_dim: int | None) -> tuple[sparse.csr_matrix, np.ndarray]:
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
            if not key.isdigit():
                raise IngestError(f"line {lineno}: feature index {key!r} is not an integer >= 0")
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

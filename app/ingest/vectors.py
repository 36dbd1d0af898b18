"""Vectors given as JSON values (add_data / add_data_batch bodies and JSON files)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import sparse

from .errors import IngestError
from .limits import IngestLimits, check_rows, check_width, too_wide

Where = Callable[[int], str]
_NUMBER_TYPES = {int, float}
_DENSE_CELL_TYPES = {int, float, type(None)}
_FLOAT32_MAX = float(np.finfo(np.float32).max)
# Refuse to densify sparse data beyond this many cells (about 1 GB of float32).
MAX_DENSE_CELLS = 250_000_000
# Widest vector any index type here can hold, whatever the configured limits.
_MAX_INDEX = 1 << 62


def _data_index(i: int) -> str:
    return f"data[{i}]"


def parse_vectors(
    data: list, *, vector_type: str, vector_dim: int | None, limits: IngestLimits | None = None
) -> np.ndarray | sparse.csr_matrix:
    """Parse the ``data`` array of a JSON body into float32 dense rows or a CSR matrix.

    Row errors name the row as ``data[i]`` (0-based, as in the JSON array).
    """
    return parse_vector_rows(
        data, vector_type=vector_type, vector_dim=vector_dim, where=_data_index, limits=limits
    )


def normalize_vector_type(vector_type: str | None) -> str | None:
    """'dense' / 'sparse' / None. The SDK's quantized types (dense8Bit, ...) count as dense."""
    if vector_type is None:
        return None
    value = str(vector_type).strip()
    if value.lower() == "sparse":
        return "sparse"
    if value.lower().startswith("dense"):
        return "dense"
    raise IngestError(f'unsupported vector_type "{vector_type}": use "dense" or "sparse"')


def check_vector_dim(vector_dim: int | None) -> None:
    if vector_dim is None:
        return
    if isinstance(vector_dim, bool) or not isinstance(vector_dim, int) or vector_dim <= 0:
        raise IngestError(f"vector_dim must be a positive integer, got {vector_dim!r}")


def parse_vector_rows(
    rows: Sequence,
    *,
    vector_type: str | None,
    vector_dim: int | None,
    where: Where,
    limits: IngestLimits | None = None,
) -> np.ndarray | sparse.csr_matrix:
    """Rows in the dense or sparse forms of docs/ingest-formats.md; within ``limits`` (rows,
    width: checked before anything as wide as a vector is built)."""
    kind = normalize_vector_type(vector_type) or "dense"
    check_vector_dim(vector_dim)
    if isinstance(rows, np.ndarray):
        if kind == "dense" and rows.ndim == 2 and rows.dtype.kind == "f":
            return _dense_block(rows, vector_dim, where, limits)
        rows = rows.tolist()
    if not isinstance(rows, list | tuple):
        raise IngestError("data must be a list of vectors")
    if len(rows) == 0:
        raise IngestError("data is empty: send at least one vector")
    check_rows(len(rows), limits, "data")
    if kind == "dense":
        return _parse_dense(rows, vector_dim, where, limits)
    return _parse_sparse(rows, vector_dim, where, limits)


def is_dense_row(row: object) -> bool:
    """True for a flat list of numbers/nulls (the dense form)."""
    return isinstance(row, list | tuple) and set(map(type, row)) <= _DENSE_CELL_TYPES


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean (true/false)"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )


def _parse_dense(
    rows: Sequence, vector_dim: int | None, where: Where, limits: IngestLimits | None = None
) -> np.ndarray:
    width = vector_dim
    if rows and isinstance(rows[0], list | tuple):
        check_width("dense", len(rows[0]), limits, f"{where(0)} has {len(rows[0])} values")
    for i, row in enumerate(rows):
        if not isinstance(row, list | tuple):
            hint = (
                ' (sparse vectors need a collection with vector_type "sparse")'
                if isinstance(row, dict | str)
                else ""
            )
            raise IngestError(
                f"{where(i)} is {_describe(row)}; a dense vector must be a list of numbers{hint}"
            )
        # A value that is no number is the first thing to say (a list in a list, say).
        if not set(map(type, row)) <= _DENSE_CELL_TYPES:
            for j, value in enumerate(row):
                if value is not None and not _is_number(value):
                    raise IngestError(
                        f"{where(i)}[{j}] is {_describe(value)}; vector values must be numbers "
                        '(use null for a missing value; strings such as "NaN" or "inf" are '
                        "not accepted)"
                    )
        if width is None:
            width = len(row)
        elif len(row) != width:
            if vector_dim is not None:
                raise IngestError(
                    f"{where(i)} has {len(row)} values but the collection has vector_dim "
                    f"{vector_dim}"
                )
            raise IngestError(
                f"{where(i)} has {len(row)} values but {where(0)} has {width}; "
                "all vectors must have the same length"
            )
    if not width:
        raise IngestError("the vectors have no values (every vector is an empty list)")
    try:
        values = np.array(rows, dtype=np.float64)
    except OverflowError:
        raise IngestError("a vector value is too large to be stored as float32") from None
    return _finite_float32(values, where)


def _dense_block(values: np.ndarray, vector_dim: int | None, where: Where,
                 limits: IngestLimits | None) -> np.ndarray:
    """Dense rows already parsed into one float array (a large JSON body's ``data``, read
    straight into numbers): the checks of :func:`_parse_dense`, without a Python object per
    value."""
    n, width = values.shape
    if n == 0:
        raise IngestError("data is empty: send at least one vector")
    check_rows(n, limits, "data")
    check_width("dense", width, limits, f"{where(0)} has {width} values")
    if vector_dim is not None and width != vector_dim:
        raise IngestError(
            f"{where(0)} has {width} values but the collection has vector_dim {vector_dim}")
    if not width:
        raise IngestError("the vectors have no values (every vector is an empty list)")
    return _finite_float32(values, where)


def _finite_float32(values: np.ndarray, where: Where) -> np.ndarray:
    """float32 values, or an error naming the first one that is infinite or beyond float32's
    range (NaN, a missing value, passes). Two passes over the data: the cast (beyond the range
    it gives inf) and the check of its result; the original is looked at only where the cast
    reached the largest float32 exactly."""
    with np.errstate(over="ignore"):
        cast = values.astype(np.float32, copy=False)  # a float32 block stays as it is
    bad = np.isinf(cast)
    edge = np.abs(cast) == _FLOAT32_MAX
    if edge.any():
        bad |= edge & (np.abs(values) > _FLOAT32_MAX)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise IngestError(
            f"{where(i)}[{j}] = {values[i, j]} is not a finite float32 number; "
            "vector values must be finite (use null/empty for a missing value)"
        )
    return cast


def _parse_index(raw: object, where: str) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        index = raw
    elif isinstance(raw, str) and raw.strip().isascii() and raw.strip().isdigit():
        digits = raw.strip().lstrip("0") or "0"
        if len(digits) > 19:  # int() of thousands of digits is slow, then refused
            raise IngestError(f"{where}: sparse index {raw[:30]!r}... is far too large")
        index = int(digits)
    else:
        raise IngestError(
            f"{where}: sparse index {raw!r} is not a non-negative integer (indices are 0-based)"
        )
    if index < 0:
        raise IngestError(f"{where}: sparse index {index} is negative (indices are 0-based)")
    return index


def _parse_value(raw: object, where: str) -> float:
    if not _is_number(raw):
        raise IngestError(f"{where}: sparse value is {_describe(raw)}; it must be a number")
    value = float(raw)
    if not np.isfinite(value) or abs(value) > _FLOAT32_MAX:
        raise IngestError(f"{where}: sparse value {raw!r} is not a finite float32 number")
    return value


def _text_value(text: str, where: str) -> float:
    """A value written in the "index:value" string form."""
    try:
        return float(text)
    except ValueError:
        raise IngestError(f"{where}: sparse value {text!r} is not a number") from None


def _sparse_pairs(row: object, where: str) -> list[tuple[object, object]]:
    """The (index, value) pairs of one row in any accepted sparse form."""
    if isinstance(row, dict):
        if "indices" in row or "values" in row:
            if set(row) != {"indices", "values"}:
                raise IngestError(f'{where}: expected exactly the keys "indices" and "values"')
            indices, values = row["indices"], row["values"]
            if not isinstance(indices, list) or not isinstance(values, list):
                raise IngestError(f'{where}: "indices" and "values" must be lists')
            if len(indices) != len(values):
                raise IngestError(
                    f'{where}: "indices" has {len(indices)} items but "values" has {len(values)}'
                )
            return list(zip(indices, values, strict=True))
        return list(row.items())
    if isinstance(row, str):
        pairs = []
        for token in row.split():
            index, sep, value = token.partition(":")
            if not sep:
                raise IngestError(f"{where}: token {token!r} is not of the form index:value")
            pairs.append((index, _text_value(value, where)))
        return pairs
    if isinstance(row, list | tuple):
        pairs = []
        for item in row:
            if not isinstance(item, list | tuple) or len(item) != 2:
                raise IngestError(
                    f"{where}: expected [index, value] pairs, found {_describe(item)}"
                )
            pairs.append((item[0], item[1]))
        return pairs
    raise IngestError(
        f"{where} is {_describe(row)}; a sparse vector must be an object like "
        '{"3": 0.5}, a list of [index, value] pairs, {"indices": [...], "values": [...]} '
        'or a string like "3:0.5 10:1.0"'
    )


def _parse_sparse(
    rows: Sequence, vector_dim: int | None, where: Where, limits: IngestLimits | None = None
) -> sparse.csr_matrix:
    top = limits.max_sparse_dim if limits is not None else None
    indptr = [0]
    indices: list[int] = []
    values: list[float] = []
    widest_dense = 0
    for i, row in enumerate(rows):
        if isinstance(row, list | tuple) and row and is_dense_row(row):
            # A plain list of numbers in a sparse collection: keep its non-zero entries.
            if vector_dim is not None and len(row) != vector_dim:
                raise IngestError(
                    f"{where(i)} has {len(row)} values but the collection has vector_dim "
                    f"{vector_dim}"
                )
            check_width("sparse", len(row), limits, f"{where(i)} has {len(row)} values")
            dense = _parse_dense([row], None, lambda _k, i=i: where(i))[0]
            widest_dense = max(widest_dense, len(row))
            nz = np.flatnonzero(np.nan_to_num(dense))
            indices.extend(nz.tolist())
            values.extend(dense[nz].tolist())
            indptr.append(len(indices))
            continue
        label = where(i)
        row_indices = []
        for raw_index, raw_value in _sparse_pairs(row, label):
            index = _parse_index(raw_index, label)
            if top is not None and index >= top:
                raise too_wide(
                    "sparse", limits, f"{label}: sparse index {index} makes the vectors "
                    f"{index + 1} wide"
                )
            if vector_dim is not None and index >= vector_dim:
                raise IngestError(
                    f"{label}: sparse index {index} is out of range; the collection has "
                    f"vector_dim {vector_dim}, so indices must be 0..{vector_dim - 1}"
                )
            row_indices.append(index)
            values.append(_parse_value(raw_value, label))
        if len(set(row_indices)) != len(row_indices):
            dup = next(k for k in row_indices if row_indices.count(k) > 1)
            raise IngestError(f"{label}: sparse index {dup} appears more than once")
        indices.extend(row_indices)
        indptr.append(len(indices))
    if vector_dim is not None:
        width = vector_dim
    else:
        width = max(max(indices) + 1 if indices else 0, widest_dense)
    if width > _MAX_INDEX:
        raise IngestError(
            f"a sparse index is {width - 1}, too large for this server (at most {_MAX_INDEX - 1})"
        )
    index_type = np.int32 if width <= np.iinfo(np.int32).max else np.int64
    matrix = sparse.csr_matrix(
        (
            np.asarray(values, dtype=np.float32),
            np.asarray(indices, dtype=index_type),
            np.asarray(indptr, dtype=np.int64),
        ),
        shape=(len(rows), width),
    )
    matrix.sort_indices()
    return matrix


def convert_vectors(
    vectors: np.ndarray | sparse.csr_matrix, vector_type: str | None
) -> np.ndarray | sparse.csr_matrix:
    """Convert to the requested layout. Missing (NaN) dense cells are simply not stored."""
    kind = normalize_vector_type(vector_type)
    if kind == "sparse" and not sparse.issparse(vectors):
        matrix = sparse.csr_matrix(np.nan_to_num(vectors, nan=0.0))
        matrix.eliminate_zeros()
        return matrix.astype(np.float32)
    if kind == "dense" and sparse.issparse(vectors):
        n, d = vectors.shape
        if n * d > MAX_DENSE_CELLS:
            raise IngestError(
                f"the data is too large to store densely ({n} x {d}); "
                'use a collection with vector_type "sparse"'
            )
        return np.asarray(vectors.toarray(), dtype=np.float32)
    if sparse.issparse(vectors):
        return sparse.csr_matrix(vectors, dtype=np.float32)
    return vectors

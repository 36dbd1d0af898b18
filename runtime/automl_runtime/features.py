"""Feature input (`Features`) and its encoding (`Encoder.transform`) into the matrix the
learners see; the server's `FeatureEncoder` learns the layout (`fit`) and inherits the rest.

The encoded matrix has the kept numeric columns first (constant and duplicate columns are
dropped) followed by one column per categorical attribute holding integer category codes
(as floats; NaN = missing or unseen). LightGBM consumes these codes natively; the linear
learner one-hot encodes them itself. Sparse numeric input stays sparse: the code columns are
hstacked as sparse columns (code 0 is an implicit zero, missing codes are stored NaNs).

Nothing here costs memory or time per declared column of sparse input: a sparse dataset of
width 2**24 whose rows use a few hundred indices is encoded from its stored entries only, and
unnamed columns are not given names unless asked for (`Encoder.numeric_name`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .columns import factorize


@dataclass
class Features:
    """Feature values of n rows: a numeric block plus named categorical attributes.

    `numeric_names` names the numeric columns; it may be empty for unnamed columns, which are
    then called f0, f1, ... by position (as are names that are exactly f0, f1, ...).
    """

    numeric: np.ndarray | sp.csr_matrix
    numeric_names: list[str]
    categorical: dict[str, Sequence] = field(default_factory=dict)

    def __post_init__(self):
        # A model stores its column names as strings: a column named 5 is the column "5".
        if any(not isinstance(name, str) for name in self.categorical):
            self.categorical = {str(name): values for name, values in self.categorical.items()}

    @property
    def n_rows(self) -> int:
        if self.numeric is not None:
            return int(self.numeric.shape[0])
        for values in self.categorical.values():
            return len(values)
        return 0

    def take(self, rows) -> Features:
        """The given rows (indices, in that order) of every column."""
        index = np.asarray(rows, dtype=np.int64)
        numeric = self.numeric[index] if self.numeric is not None else None
        positions = index.tolist()
        categorical = {name: [values[i] for i in positions]
                       for name, values in self.categorical.items()}
        return Features(numeric, list(self.numeric_names), categorical)


def category_key(value) -> str | None:
    """Canonical string for a categorical value; None when missing.

    Numbers become category strings, and integral floats match ints (3.0 and 3 -> "3"),
    because loaders often turn integer columns with gaps into floats.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        number = float(value)
        if math.isnan(number):
            return None
        if number.is_integer():
            return str(int(number))
        return repr(number)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace") or None
    try:
        if value != value:  # NaN-like objects, e.g. pandas.NA raises and lands below
            return None
    except (TypeError, ValueError):
        return None
    return str(value)


_UNSET = object()


def given(factorized: dict | None, name: str) -> tuple:
    """The arguments that pass on a column's known factorisation, if any."""
    return (factorized[name],) if factorized is not None and name in factorized else ()


def numeric_block(X: Features, error: type[Exception] = ValueError):
    """The numeric block as float32/float64 (dense or csr), infinities made missing; `error`
    is raised for a block that is not 2-D or not numeric."""
    block = X.numeric
    if block is None:
        return np.empty((X.n_rows, 0))
    if sp.issparse(block):
        block = sp.csr_matrix(block)
        if block.dtype not in (np.float32, np.float64):
            block = block.astype(np.float64)
        if block.nnz and not np.isfinite(block.data).all():
            block = block.copy()
            block.data[np.isinf(block.data)] = np.nan
        return block
    block = np.asarray(block)
    if block.ndim != 2:
        raise error(f"numeric features must be 2-dimensional, got shape {block.shape}")
    if block.dtype not in (np.float32, np.float64):
        try:
            block = block.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise error("numeric features contain non-numeric values") from exc
    if block.size and np.isinf(block).any():
        block = np.where(np.isinf(block), np.nan, block)
    return block


def positional_name(j: int) -> str:
    return f"f{j}"


def take_columns(block, columns: Sequence[int]):
    """block[:, columns], for sparse input in time and memory linear in its stored entries
    (scipy's own column indexing allocates an array as wide as the matrix): a position map as
    wide as the matrix where that costs less than the entries, else a sorted lookup."""
    if not sp.issparse(block):
        return block[:, list(columns)]
    csr = sp.csr_matrix(block)
    columns = np.asarray(columns, dtype=np.int64)
    index = np.int32 if max(csr.nnz, len(columns)) < 2**31 - 1 else np.int64
    if csr.shape[1] <= max(4 * csr.nnz, 1 << 16):
        position = np.full(csr.shape[1], -1, dtype=index)
        position[columns] = np.arange(len(columns), dtype=index)
        moved = position[csr.indices]
        hit = moved >= 0
        moved = moved[hit]
    else:
        order = np.argsort(columns, kind="stable")
        ordered = columns[order]
        at = np.searchsorted(ordered, csr.indices) if len(columns) else None
        if at is None:
            hit = np.zeros(csr.nnz, dtype=bool)
        else:
            np.minimum(at, len(columns) - 1, out=at)
            hit = ordered[at] == csr.indices
        moved = order[at[hit]].astype(index) if at is not None else np.zeros(0, dtype=index)
    before = np.zeros(csr.nnz + 1, dtype=index)
    np.cumsum(hit, out=before[1:])
    taken = sp.csr_matrix(
        (csr.data[hit], moved, before[csr.indptr]), shape=(csr.shape[0], len(columns))
    )
    taken.sort_indices()
    return taken


class Encoder:
    """Maps any `Features` to the matrix of a fitted layout (see `from_manifest`)."""

    # What a malformed numeric block raises (the server's training raises its own error).
    input_error: type[Exception] = ValueError

    def _build_lookups(self) -> None:
        self._codes = {
            name: {key: code for code, key in enumerate(keys)}
            for name, keys in self.categories_.items()
        }

    def numeric_name(self, j: int) -> str:
        return self.names_[j] if self.names_ is not None else positional_name(j)

    @property
    def numeric_names_(self) -> list[str]:
        """Names of all numeric input columns (built on demand: the input may be very wide)."""
        return (
            list(self.names_)
            if self.names_ is not None
            else [positional_name(j) for j in range(self.n_numeric_)]
        )

    @property
    def feature_names_(self) -> list[str]:
        """Names of the encoded matrix columns."""
        return [self.numeric_name(j) for j in self.kept_numeric_] + self.kept_categorical_

    @property
    def categorical_indices_(self) -> list[int]:
        """Positions of the category-code columns in the encoded matrix."""
        start = len(self.kept_numeric_)
        return list(range(start, start + len(self.kept_categorical_)))

    def _align_numeric(self, X: Features):
        block = numeric_block(X, self.input_error)
        expected = self.n_numeric_
        if block.shape[1] != expected:
            raise ValueError(f"expected {expected} numeric features, got {block.shape[1]}")
        if self.names_ is None:
            return block  # unnamed columns match by position
        names = [str(name) for name in (X.numeric_names or [])]
        if (
            names
            and names != self.names_
            and sorted(names) == sorted(self.names_)
            and len(set(names)) == len(names)
        ):
            # Same columns in a different order: align by name.
            position = {name: i for i, name in enumerate(names)}
            block = take_columns(block, [position[name] for name in self.names_])
        return block

    def encode_category(self, name: str, values: Sequence, found=_UNSET) -> np.ndarray:
        """Category codes of one attribute (float, NaN for missing or unseen); `found`:
        `factorize(values)`, when the caller has it."""
        lookup = self._codes[name]
        found = factorize(values) if found is _UNSET else found
        if found is not None:
            codes, uniques = found
            table = np.full(len(uniques) + 1, np.nan)  # the last entry: missing (code -1)
            for k, value in enumerate(uniques.tolist()):
                code = lookup.get(category_key(value))
                if code is not None:
                    table[k] = code
            return table[codes]
        out = np.empty(len(values), dtype=np.float64)
        cache: dict[str, float] = {}
        for i, value in enumerate(values):
            if isinstance(value, str) and value in cache:
                out[i] = cache[value]
                continue
            code = lookup.get(category_key(value))
            out[i] = np.nan if code is None else code
            if isinstance(value, str):
                cache[value] = out[i]
        return out

    def transform(self, X: Features, factorized: dict | None = None):
        """Encoded matrix (dense ndarray or csr) with the fitted layout. `factorized`: what
        `factorize` gave for some of the categorical columns, to reuse."""
        missing = [name for name in self.kept_categorical_ if name not in X.categorical]
        if missing:
            raise ValueError(f"categorical attributes missing from the data: {missing}")
        n_rows = X.n_rows
        block = take_columns(self._align_numeric(X), self.kept_numeric_)
        dtype = np.float32 if self.dtype_ == "float32" else np.float64
        codes = np.empty((n_rows, len(self.kept_categorical_)), dtype=dtype)
        for k, name in enumerate(self.kept_categorical_):
            values = X.categorical[name]
            if len(values) != n_rows:
                raise ValueError(
                    f"categorical attribute '{name}' has {len(values)} values for {n_rows} rows"
                )
            codes[:, k] = self.encode_category(name, values, *given(factorized, name))
        if self.sparse_:
            block = sp.csr_matrix(block, dtype=dtype)
            if codes.shape[1]:
                block = sp.hstack([block, sp.csr_matrix(codes)], format="csr")
            return block
        if sp.issparse(block):
            block = block.toarray()
        return np.hstack([np.asarray(block, dtype=dtype), codes])

    @classmethod
    def from_manifest(cls, manifest: dict) -> Encoder:
        encoder = cls()
        names = manifest["numeric_names"]
        encoder.names_ = list(names) if names is not None else None
        # Artifacts of format version 2 and before list every name and have no width.
        encoder.n_numeric_ = int(manifest.get("n_numeric", len(names or [])))
        encoder.categorical_names_ = list(manifest["categorical_names"])
        encoder.kept_numeric_ = [int(j) for j in manifest["kept_numeric"]]
        encoder.kept_categorical_ = list(manifest["kept_categorical"])
        encoder.categories_ = {k: list(v) for k, v in manifest["categories"].items()}
        encoder.sparse_ = bool(manifest["sparse"])
        encoder.dtype_ = manifest["dtype"]
        encoder._build_lookups()
        return encoder

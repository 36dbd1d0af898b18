"""Feature input (`Features`) and its encoding into the matrix the learners see: the layout
is learnt here (`FeatureEncoder.fit`); `Features`, the encoding (`transform`) and reading a
layout back live with the scoring code in `automl_runtime.features`, the one implementation
the server and the standalone runtime share.

The encoded matrix has the kept numeric columns first (constant and duplicate columns are
dropped) followed by one column per categorical attribute holding integer category codes
(as floats; NaN = missing or unseen). LightGBM consumes these codes natively; the linear
learner one-hot encodes them itself. Sparse numeric input stays sparse: the code columns are
hstacked as sparse columns (code 0 is an implicit zero, missing codes are stored NaNs).

Nothing here costs memory or time per declared column of sparse input: a sparse dataset of
width 2**24 whose rows use a few hundred indices is encoded from its stored entries only
(the kept columns are a subset of the indices that occur), and unnamed columns are not given
names unless asked for (`FeatureEncoder.numeric_name`).
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
from automl_runtime.features import (
    Encoder,
    Features,
    category_key,
    numeric_block,
    positional_name,
    take_columns,
)
from automl_runtime.features import given as _given

from .columns import factorize
from .errors import TrainingError

__all__ = [
    "ALL_CATEGORIES", "MAX_CATEGORIES", "FeatureEncoder", "Features", "category_counts",
    "category_key", "kept_categories", "positional_name", "take_columns", "top_categories",
    "used_columns",
]

# Which categories of an attribute get a code (the others count as missing): every one while
# the attribute has at most ALL_CATEGORIES distinct values; beyond, the most frequent down to
# those seen at least twice (one sighting teaches a model nothing it can use again; a column of
# unique ids gets none beyond the first ALL_CATEGORIES), MAX_CATEGORIES at most. On scorecard
# (6,247 college names in 26,191 training rows) CatBoost predicted with 4,957 RMSE given every
# name seen twice, against 6,192 given the 1,000 most frequent (AutoGluon medium: 5,480).
ALL_CATEGORIES = 1000
MAX_CATEGORIES = 50_000


_UNSET = object()


def category_counts(values: Sequence, found=_UNSET) -> Counter:
    """How often each category key occurs (None: missing), judged once per distinct value.
    `found`: `factorize(values)`, when the caller has it."""
    found = factorize(values) if found is _UNSET else found
    if found is None:
        return Counter(category_key(v) for v in values)
    codes, uniques = found
    counts: Counter = Counter()
    present = codes[codes >= 0]
    per_unique = np.bincount(present, minlength=len(uniques)).tolist()
    distinct = uniques.tolist()
    if pd.api.types.infer_dtype(uniques, skipna=False) == "string":
        # Distinct strings are their own keys ("" is missing): no call per distinct value.
        counts.update(dict(zip(distinct, per_unique, strict=True)))
        if "" in counts:
            counts[None] += counts.pop("")
    else:
        for value, count in zip(distinct, per_unique, strict=True):
            counts[category_key(value)] += count
    if len(present) < len(codes):
        counts[None] += len(codes) - len(present)
    return counts


def top_categories(counts: Counter, limit: int = MAX_CATEGORIES) -> list[str]:
    """The `limit` most frequent keys of `counts` (no None), most frequent first, ties in key
    order: `sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]`'s keys, without
    sorting every distinct value of a column of many (60,000 ids: 0.1 s)."""
    if len(counts) <= 2 * limit:
        return [key for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
    keys = list(counts)
    values = np.fromiter(counts.values(), dtype=np.int64, count=len(keys))
    # the limit-th largest count: every key ranked within the limit counts at least this much
    threshold = int(np.partition(values, len(values) - limit)[len(values) - limit])
    above = np.flatnonzero(values > threshold).tolist()
    ranked = sorted(((keys[i], int(values[i])) for i in above), key=lambda kv: (-kv[1], kv[0]))
    ties = sorted(keys[i] for i in np.flatnonzero(values == threshold).tolist())
    return [key for key, _ in ranked] + ties[: limit - len(ranked)]


def kept_categories(counts: Counter) -> list[str]:
    """The categories that get a code, most frequent first (see ALL_CATEGORIES).

    Ranked by count, those seen twice come first: with ALL_CATEGORIES of them or more, they
    are the answer; else the first ALL_CATEGORIES of all. Neither ranks every category of a
    column of unique ids (`top_categories` partitions instead)."""
    seen_twice = Counter({key: n for key, n in counts.items() if n >= 2})
    if len(seen_twice) >= ALL_CATEGORIES:
        return top_categories(seen_twice, MAX_CATEGORIES)
    return top_categories(counts, ALL_CATEGORIES)


def _numeric_block(X: Features):
    return numeric_block(X, TrainingError)


def _positional(names: Sequence) -> bool:
    """True when `names` are exactly f0, f1, ... (the names of unnamed columns); compared a
    block at a time (a few seconds for 2**24 names)."""
    step = 1 << 16
    return all(
        list(names[i : i + step]) == [f"f{j}" for j in range(i, min(i + step, len(names)))]
        for i in range(0, len(names), step)
    )


def used_columns(block) -> np.ndarray:
    """Sorted indices of the columns of a sparse block that store a nonzero (or NaN) value."""
    csr = sp.csr_matrix(block)
    return np.unique(csr.indices[csr.data != 0])


def _kept_columns(block) -> list[int]:
    """Indices of the columns to keep: not constant, and the first of identical columns."""
    if sp.issparse(block):
        # A column without a stored nonzero is constant (zero): look only at the others.
        used = used_columns(block)
        return [int(used[j]) for j in _kept_columns_of(take_columns(block, used))]
    return _kept_columns_of(block)


def _kept_columns_of(block) -> list[int]:
    n_rows, n_cols = block.shape
    if sp.issparse(block):
        csc = sp.csc_matrix(block, copy=True)
        csc.eliminate_zeros()
        csc.sort_indices()

        def column(j):
            lo, hi = csc.indptr[j], csc.indptr[j + 1]
            return csc.indices[lo:hi], csc.data[lo:hi]

        def signature(j) -> bytes:
            rows, data = column(j)
            return rows.tobytes() + b"|" + np.where(np.isnan(data), np.nan, data).tobytes()

        def constant(j) -> bool:
            _, data = column(j)
            return len(data) == 0 or (
                len(data) == n_rows and (np.isnan(data).all() or bool((data == data[0]).all()))
            )

    else:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo, hi = np.nanmin(block, axis=0), np.nanmax(block, axis=0)
        has_nan = np.isnan(block).any(axis=0)
        all_nan = np.isnan(lo)

        def signature(j) -> bytes:
            col = block[:, j] + 0.0  # folds -0.0 into 0.0
            return np.where(np.isnan(col), np.nan, col).tobytes()

        def constant(j) -> bool:
            return bool(all_nan[j] or (not has_nan[j] and lo[j] == hi[j]))

    keep: list[int] = []
    by_hash: dict[int, list[int]] = {}
    for j in range(n_cols):
        if constant(j):
            continue
        sig = signature(j)
        twins = by_hash.setdefault(hash(sig), [])
        if any(signature(k) == sig for k in twins):
            continue
        twins.append(j)
        keep.append(j)
    return keep


class FeatureEncoder(Encoder):
    """Learns the training feature layout and maps any `Features` with it to a matrix."""

    input_error = TrainingError

    def fit_transform(self, X: Features):
        """`fit(X)` then `transform(X)`, hashing each categorical column once."""
        factorized = {name: factorize(values) for name, values in X.categorical.items()}
        return self.fit(X, factorized).transform(X, factorized)

    def fit(self, X: Features, factorized: dict | None = None) -> FeatureEncoder:
        block = _numeric_block(X)
        names = X.numeric_names if X.numeric_names is not None else []
        if len(names) and len(names) != block.shape[1]:
            raise TrainingError(f"{block.shape[1]} numeric columns but {len(names)} names")
        self.n_numeric_ = int(block.shape[1])
        # Real names are kept; positional ones (f0, f1, ...) are implied by the width.
        self.names_ = None if _positional(names) else [str(name) for name in names]
        self.sparse_ = bool(sp.issparse(block))
        self.dtype_ = "float32" if block.dtype == np.float32 else "float64"
        self.categorical_names_ = [str(name) for name in X.categorical]
        self.kept_numeric_ = _kept_columns(block) if X.n_rows else []
        self.categories_: dict[str, list[str]] = {}
        self.kept_categorical_: list[str] = []
        for name, values in X.categorical.items():
            if len(values) != X.n_rows:
                raise TrainingError(
                    f"categorical attribute '{name}' has {len(values)} values for {X.n_rows} rows"
                )
            counts = category_counts(values, *_given(factorized, name))
            has_missing = counts.pop(None, 0) > 0
            ranked = kept_categories(counts)
            self.categories_[str(name)] = ranked
            if len(ranked) > 1 or (len(ranked) == 1 and has_missing):
                self.kept_categorical_.append(str(name))
        if not self.kept_numeric_ and not self.kept_categorical_:
            # Nothing carries information; keep one column so the learners still run
            # (they will predict the label prior).
            if block.shape[1]:
                self.kept_numeric_ = [0]
            elif self.categorical_names_:
                self.kept_categorical_ = [self.categorical_names_[0]]
            else:
                raise TrainingError("no features: the data has no numeric or categorical columns")
        self._build_lookups()
        return self

    def to_manifest(self) -> dict:
        return {
            "numeric_names": self.names_,  # None: unnamed (f0, f1, ...)
            "n_numeric": self.n_numeric_,
            "categorical_names": self.categorical_names_,
            "kept_numeric": self.kept_numeric_,
            "kept_categorical": self.kept_categorical_,
            "categories": self.categories_,
            "sparse": self.sparse_,
            "dtype": self.dtype_,
        }

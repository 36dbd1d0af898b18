"""Columns of raw values (categorical attributes, labels) handled once per distinct value.

Such columns arrive as Python lists (or numpy arrays) of strings, numbers and missing values,
and every cell must be canonicalised (`features.category_key`, and the server's label codec).
Hashing the column once in C (`pandas.factorize`) and canonicalising only its distinct values
gives the same result as going cell by cell, 5-20x faster on columns of a few distinct values.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# Column kinds (pandas.api.types.infer_dtype, missing cells skipped) whose values hash equal
# only when they canonicalise equal. Not so for mixed kinds: True == 1 == 1.0 hash alike, but
# True is the category "True" and 1 is "1".
_SAFE_KINDS = frozenset(
    {"string", "empty", "integer", "floating", "mixed-integer-float", "boolean"}
)
# Shorter columns are canonicalised cell by cell (a one-row prediction, say).
MIN_CELLS = 32


def factorize(values: Sequence) -> tuple[np.ndarray, np.ndarray] | None:
    """(codes, uniques): `uniques[codes[i]]` is cell i, and codes[i] is -1 for a missing cell
    (None, NaN, pandas.NA). None when the column mixes kinds that would be merged (strings with
    numbers, booleans with numbers, other objects), or is too short for hashing to pay (about
    15 us a call): the caller then goes cell by cell."""
    if len(values) < MIN_CELLS:
        return None
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "biufU":
        return pd.factorize(values, use_na_sentinel=True)
    column = np.empty(len(values), dtype=object)
    try:
        column[:] = values if isinstance(values, list | np.ndarray) else list(values)
    except (TypeError, ValueError):
        return None
    if pd.api.types.infer_dtype(column, skipna=True) not in _SAFE_KINDS:
        return None
    return pd.factorize(column, use_na_sentinel=True)

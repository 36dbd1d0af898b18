"""Turning stored or uploaded `Columns` into the engine's `Features`: where the label and the
categorical features are found (an attribute, or a named vector column), and how prediction
data is aligned by name to the columns a model was trained on (the one place that does)."""

import math
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from app.automl import Features
from app.automl.columns import factorize
from app.errors import BadRequest
from app.ingest import Columns


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def missing_cells(values: Sequence) -> np.ndarray:
    """`is_missing` of every cell, as a boolean array: judged once per distinct value (a
    column hashed once by `factorize`), and cell by cell only where factorize cannot tell
    (cells it calls missing: None, NaN; columns mixing kinds)."""
    found = factorize(values)
    if found is None:
        return np.fromiter((is_missing(v) for v in values), dtype=bool, count=len(values))
    codes, uniques = found
    per_unique = np.fromiter((is_missing(v) for v in uniques.tolist()), dtype=bool,
                             count=len(uniques))
    out = np.append(per_unique, False)[codes]
    absent = np.flatnonzero(codes < 0).tolist()
    if absent:
        out[absent] = [is_missing(values[i]) for i in absent]
    return out


def take_rows(values: Sequence, rows: np.ndarray) -> list:
    """values[i] for each row index i (the list itself when every row is taken in order)."""
    if len(rows) == len(values) and isinstance(values, list):
        return values
    return [values[i] for i in rows.tolist()]


def numeric_layout(table: Columns, exclude: set[str]) -> tuple[Sequence[int], list[str], bool]:
    """Column indices and names of the numeric features: all vector columns except the named
    ones used as label or categorical feature. Unnamed columns get no names (the engine calls
    them f0, f1, ... by position): a sparse dataset may be 2**24 columns wide."""
    width = table.vectors.shape[1]
    if not table.feature_names:
        return range(width), [], False
    names = table.feature_names
    keep = [j for j in range(width) if names[j] not in exclude]
    return keep, [names[j] for j in keep], True


def layout_width(layout: dict) -> int:
    """The model's numeric width (layouts stored before `n_numeric` listed every name)."""
    return int(layout.get("n_numeric", len(layout["numeric_names"])))


def _take_columns(vectors, keep: Sequence[int]):
    if len(keep) == vectors.shape[1]:
        return vectors
    return vectors[:, keep]


def training_features(table: Columns, label: str, categorical: list[str],
                      exclude: Sequence[str] = ()):
    """Features, labels and the layout to remember, for the labelled rows of `table`.
    Columns named in `exclude` (a weight column) are not features."""
    labels = table.column(label)
    if labels is None:
        raise BadRequest(f"label attribute '{label}' is not in the dataset; it has "
                         f"{table.available() or 'no attributes'}")
    missing = [c for c in categorical if table.column(c) is None]
    if missing:
        raise BadRequest(f"categorical features {missing} are not in the dataset; it has "
                         f"{table.available()}")
    keep, names, named = numeric_layout(table, {label, *categorical, *exclude})
    labelled = ~missing_cells(labels)
    if not labelled.any():
        raise BadRequest(f"no row of the dataset has a value for label '{label}'")
    rows = np.flatnonzero(labelled)
    numeric = _take_columns(table.vectors, keep)
    if len(rows) < table.n:
        numeric = numeric[rows]
    cats = {c: take_rows(table.column(c), rows) for c in categorical}
    features = Features(numeric=numeric, numeric_names=names, categorical=cats)
    layout = {"numeric_names": names, "named": named, "n_numeric": len(keep)}
    return features, take_rows(labels, rows), layout


def weight_column(table: Columns, name: str, label: str) -> np.ndarray:
    """The weights of the labelled rows (the rows `training_features` keeps), as floats: NaN
    where missing (the engine leaves those rows out); a 400 naming the first value that is
    not a number, or a negative one."""
    values = table.column(name)
    if values is None:
        raise BadRequest(f"weight_attribute '{name}' is not in the dataset; it has "
                         f"{table.available() or 'no attributes'}")
    rows = np.flatnonzero(~missing_cells(table.column(label))).tolist()
    out = np.empty(len(rows), dtype=float)
    for k, i in enumerate(rows):
        value = values[i]
        if is_missing(value):
            out[k] = np.nan
            continue
        try:
            number = None if isinstance(value, bool) else float(value)
        except (TypeError, ValueError):
            number = None
        if number is None or not 0 <= number < np.inf:
            raise BadRequest(
                f"weight_attribute '{name}' holds {value!r} in row {i + 1}; weights must be "
                "numbers >= 0 (leave a row's weight empty to leave the row out of training)")
        out[k] = number
    return out


def _numeric_column(table: Columns, name: str) -> np.ndarray:
    """A feature column that may be stored as an attribute: its values as floats, or a 400
    naming the first value that is not a number."""
    values = table.column(name)
    out = np.empty(len(values), dtype=float)
    for i, value in enumerate(values):
        try:
            out[i] = np.nan if is_missing(value) else float(value)
        except (TypeError, ValueError):
            raise BadRequest(
                f"column '{name}' holds {value!r} in row {i + 1}, but the model uses it as a "
                "number; fix the value, or leave it empty for a missing one") from None
    return out


def prediction_features(table: Columns, layout: dict, categorical: list[str], label: str,
                        source: str = "the prediction data"):
    """Features in the model's column order and the true labels (None where absent).

    Named data is matched by name (extra columns such as ids are ignored); unnamed data must
    have exactly the model's numeric width. `source` names the rows in errors."""
    names = layout["numeric_names"]
    width = layout_width(layout)
    if layout["named"] and table.feature_names:
        index = {n: j for j, n in enumerate(table.feature_names)}
        lacking = [n for n in names if n not in index and n not in table.attributes]
        if lacking:
            raise BadRequest(
                f"{source} lacks the model's feature columns {lacking[:10]}")
        if all(n in index for n in names):
            numeric = _take_columns(table.vectors, [index[n] for n in names])
        else:
            numeric = np.column_stack([_numeric_column(table, n) for n in names])
    else:
        keep, _, _ = numeric_layout(table, {label, *categorical})
        if sp.issparse(table.vectors) and len(keep) == table.vectors.shape[1] < width:
            # sparse rows only reach their highest index: the rest are implicit zeros
            v = sp.csr_matrix(table.vectors)
            widened = sp.csr_matrix((v.data, v.indices, v.indptr), shape=(table.n, width))
            table = Columns(None, widened, table.attributes)
            keep = range(width)
        if len(keep) != width:
            raise BadRequest(f"{source} has {len(keep)} numeric values per row but the model "
                             f"was trained on {width}")
        numeric = _take_columns(table.vectors, keep)
    if sp.issparse(numeric) and not sp.issparse(table.vectors):
        numeric = numeric.toarray()
    cats = {}
    for c in categorical:
        values = table.column(c)
        if values is None:
            raise BadRequest(f"{source} lacks the categorical attribute '{c}'")
        cats[c] = values
    truth = table.column(label)
    if truth is not None:
        for i in np.flatnonzero(missing_cells(truth)).tolist():
            truth[i] = None
    return Features(numeric=numeric, numeric_names=names, categorical=cats), truth

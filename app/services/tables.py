"""Turning stored or uploaded rows into the engine's `Features`: where the label and the
categorical features are found (an attribute, or a named vector column), and how prediction
data is matched to the columns a model was trained on."""

import math
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from app.automl import Features
from app.errors import BadRequest


@dataclass
class Table:
    vectors: np.ndarray | sp.csr_matrix
    feature_names: list[str] | None
    attributes: dict[str, list]

    @property
    def n(self) -> int:
        return self.vectors.shape[0]

    def column(self, name: str) -> list | None:
        """Values of an attribute, or of a named vector column (NaN → None); None if absent."""
        if name in self.attributes:
            return list(self.attributes[name])
        if self.feature_names and name in self.feature_names:
            j = self.feature_names.index(name)
            values = self.vectors[:, j]
            values = values.toarray().ravel() if sp.issparse(values) else np.asarray(values)
            return [None if math.isnan(v) else (int(v) if v.is_integer() else v)
                    for v in values.astype(float).tolist()]
        return None

    def available(self) -> list[str]:
        return sorted(set(self.attributes) | set(self.feature_names or []))


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or (
        isinstance(value, str) and not value.strip())


def numeric_layout(table: Table, exclude: set[str]) -> tuple[list[int], list[str], bool]:
    """Column indices and names of the numeric features: all vector columns except those used as
    label or categorical feature. Unnamed columns are called f0, f1, ..."""
    width = table.vectors.shape[1]
    named = bool(table.feature_names)
    names = table.feature_names if named else [f"f{j}" for j in range(width)]
    keep = [j for j in range(width) if names[j] not in exclude]
    return keep, [names[j] for j in keep], named


def _take_columns(vectors, keep: list[int]):
    if len(keep) == vectors.shape[1]:
        return vectors
    return vectors[:, keep]


def training_features(table: Table, label: str, categorical: list[str]):
    """Features, labels and the layout to remember, for the labelled rows of `table`."""
    labels = table.column(label)
    if labels is None:
        raise BadRequest(f"label attribute '{label}' is not in the dataset; it has "
                         f"{table.available() or 'no attributes'}")
    missing = [c for c in categorical if table.column(c) is None]
    if missing:
        raise BadRequest(f"categorical features {missing} are not in the dataset; it has "
                         f"{table.available()}")
    keep, names, named = numeric_layout(table, {label, *categorical})
    labelled = np.array([not is_missing(v) for v in labels], dtype=bool)
    if not labelled.any():
        raise BadRequest(f"no row of the dataset has a value for label '{label}'")
    rows = np.flatnonzero(labelled)
    numeric = _take_columns(table.vectors, keep)[rows]
    cats = {c: [table.column(c)[i] for i in rows] for c in categorical}
    features = Features(numeric=numeric, numeric_names=names, categorical=cats)
    layout = {"numeric_names": names, "named": named}
    return features, [labels[i] for i in rows], layout


def prediction_features(table: Table, layout: dict, categorical: list[str], label: str):
    """Features in the model's column order and the true labels (None where absent).

    Named data is matched by name (extra columns such as ids are ignored); unnamed data must
    have exactly the model's numeric width."""
    names = layout["numeric_names"]
    if layout["named"] and table.feature_names:
        index = {n: j for j, n in enumerate(table.feature_names)}
        lacking = [n for n in names if n not in index and n not in table.attributes]
        if lacking:
            raise BadRequest(
                f"the prediction data lacks the model's feature columns {lacking[:10]}")
        if all(n in index for n in names):
            numeric = _take_columns(table.vectors, [index[n] for n in names])
        else:
            numeric = np.column_stack([
                np.array([np.nan if is_missing(v) else v for v in table.column(n)], dtype=float)
                for n in names])
    else:
        keep, _, _ = numeric_layout(table, {label, *categorical})
        if sp.issparse(table.vectors) and len(keep) == table.vectors.shape[1] < len(names):
            # sparse rows only reach their highest index: the rest are implicit zeros
            v = sp.csr_matrix(table.vectors)
            widened = sp.csr_matrix((v.data, v.indices, v.indptr), shape=(table.n, len(names)))
            table = Table(widened, None, table.attributes)
            keep = list(range(len(names)))
        if len(keep) != len(names):
            raise BadRequest(f"the prediction data has {len(keep)} numeric values per row but the "
                             f"model was trained on {len(names)}")
        numeric = _take_columns(table.vectors, keep)
    if sp.issparse(numeric) and not sp.issparse(table.vectors):
        numeric = numeric.toarray()
    cats = {}
    for c in categorical:
        values = table.column(c)
        if values is None:
            raise BadRequest(f"the prediction data lacks the categorical attribute '{c}'")
        cats[c] = values
    truth = table.column(label)
    if truth is not None:
        truth = [None if is_missing(v) else v for v in truth]
    return Features(numeric=numeric, numeric_names=names, categorical=cats), truth

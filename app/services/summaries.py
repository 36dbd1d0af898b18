"""What a dataset holds, for people to look at: a sample of rows, each column's kind and missing
values, and the counts of the values of columns with few distinct ones (the class balance of
a label)."""

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from sqlalchemy.orm import Session

from app.db.models import Collection
from app.storage.collections import read_collection

SAMPLE_ROWS = 10
SAMPLE_FEATURES = 12
FEATURE_ROWS = 50
"""Features listed one by one (a wide dataset shows its first FEATURE_ROWS)."""
MAX_CLASSES_SHOWN = 30


@dataclass
class ColumnSummary:
    name: str
    kind: str  # "number", "text", "boolean", "mixed" or "empty"
    missing: int
    distinct: int | None = None
    counts: list[tuple[object, int]] = field(default_factory=list)
    """The values and their counts, most frequent first, for columns of few distinct values."""


@dataclass
class DatasetSummary:
    rows: int
    features: list[ColumnSummary]
    attributes: list[ColumnSummary]
    sample_columns: list[str]
    sample: list[list[object]]
    mean_nonzeros: float | None = None
    """Sparse datasets: the average stored values per row."""


def _kind(values: list) -> str:
    kinds = {type(v) for v in values if v is not None}
    if not kinds:
        return "empty"
    if kinds <= {bool}:
        return "boolean"
    if kinds <= {int, float}:
        return "number"
    return "text" if kinds == {str} else "mixed"


def _attribute(name: str, values: list) -> ColumnSummary:
    present = [v for v in values if v is not None]
    counter = Counter(present)
    counts = counter.most_common(MAX_CLASSES_SHOWN) if len(counter) <= MAX_CLASSES_SHOWN else []
    return ColumnSummary(name=name, kind=_kind(values), missing=len(values) - len(present),
                         distinct=len(counter), counts=counts)


def _features(vectors: np.ndarray, names: list[str]) -> list[ColumnSummary]:
    shown = vectors[:, :FEATURE_ROWS]
    missing = np.isnan(shown).sum(axis=0) if shown.size else np.zeros(shown.shape[1], int)
    return [ColumnSummary(name=names[j], kind="number", missing=int(missing[j]))
            for j in range(shown.shape[1])]


def _cell(value: object) -> object:
    if isinstance(value, float | np.floating):
        return None if np.isnan(value) else round(float(value), 6)
    return value


def summarize(session: Session, collection: Collection) -> DatasetSummary:
    """Reads the whole dataset once (a dataset page costs one read of its rows)."""
    table = read_collection(session, collection)
    width = table.vectors.shape[1]
    names = list(table.feature_names or [f"f{j}" for j in range(width)])
    head = table.vectors[:SAMPLE_ROWS]
    dense_head = head.toarray() if sp.issparse(head) else head
    shown = names[:SAMPLE_FEATURES]
    attributes = list(table.attributes)
    sample = [[table.ids[i], *(_cell(v) for v in dense_head[i, :len(shown)]),
               *(table.attributes[a][i] for a in attributes)]
              for i in range(min(SAMPLE_ROWS, table.n))]
    summary = DatasetSummary(
        rows=table.n, features=[], sample_columns=["id", *shown, *attributes], sample=sample,
        attributes=[_attribute(name, values) for name, values in table.attributes.items()])
    if sp.issparse(table.vectors):
        summary.mean_nonzeros = table.vectors.nnz / table.n if table.n else 0.0
    else:
        summary.features = _features(table.vectors, names)
    return summary

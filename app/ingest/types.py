"""Result and option types shared by all formats."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import sparse

from .limits import IngestLimits


@dataclass
class Columns:
    """Rows in columnar form, the one representation from parser to storage to engine: a block
    of vectors, optional string ids, and attribute columns.

    A missing value is NaN in a dense vector block, an absent entry in a sparse one, and None in
    an attribute column.
    """

    ids: list[str] | None
    """None when the input carried no ids (they are assigned when the rows are stored)."""
    vectors: np.ndarray | sparse.csr_matrix
    """float32, shape (n, d)."""
    attributes: dict[str, list] = field(default_factory=dict)
    """Attribute name -> one value per row (str, int, float or None)."""
    feature_names: list[str] | None = None
    """Names of the d vector components when the input named them, else None."""

    @property
    def n(self) -> int:
        return int(self.vectors.shape[0])

    def column(self, name: str) -> list | None:
        """The values of an attribute, or of a named vector column (NaN -> None, whole numbers
        as int); None when there is no such column."""
        if name in self.attributes:
            return list(self.attributes[name])
        if self.feature_names and name in self.feature_names:
            values = self.vectors[:, self.feature_names.index(name)]
            values = values.toarray().ravel() if sparse.issparse(values) else np.asarray(values)
            return [None if math.isnan(v) else (int(v) if v.is_integer() else v)
                    for v in values.astype(float).tolist()]
        return None

    def available(self) -> list[str]:
        """Every column name that :meth:`column` answers."""
        return sorted(set(self.attributes) | set(self.feature_names or []))


def columns_of(records: list[dict]) -> dict[str, list]:
    """Per-row attribute objects as columns: a key absent from a row is None there. Keys keep
    the order in which they first appear."""
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    return {name: [record.get(name) for record in records] for name in names}


@dataclass
class ParseOptions:
    """How to read an uploaded file. See docs/ingest-formats.md for the contract."""

    file_format: str
    has_field_names: bool | None = None
    id_column: str | int | None = None
    label_column: str | None = None
    attribute_columns: list[str] = field(default_factory=list)
    vector_dim: int | None = None
    vector_type: str | None = None
    libsvm_label_name: str = "label"
    require_vectors: bool = True
    """When False, a file of attribute columns only is accepted (zero-width vectors), as for the
    label files of attach_automl_label."""
    optional_columns: bool = False
    """When True, label_column and attribute_columns that the file lacks are skipped instead of
    being an error (prediction files may or may not carry the label); so are names given for a
    file without a header row, whose columns have no names."""
    numeric_columns: list[str] = field(default_factory=list)
    """Named columns that must hold numbers (the vector columns of the collection or model the
    file is for): a text value in one is an error naming its row, not a text attribute."""
    feature_count: int | None = None
    """How many vector columns the file must have (the unnamed features of the model it is
    for): when text columns, not read as features, leave fewer, the error names the text."""
    limits: IngestLimits | None = None
    """The server's limits on rows and widths; None: no limits (a plain library call)."""

    def to_dict(self) -> dict:
        """A JSON-able form; :meth:`from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> ParseOptions:
        values = dict(values)
        limits = values.pop("limits", None)
        return cls(**values, limits=IngestLimits(**limits) if limits else None)

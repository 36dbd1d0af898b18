"""Result and option types shared by all formats."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
from scipy import sparse

from .limits import IngestLimits


@dataclass
class ParsedRows:
    """Rows of vectors with optional string ids and per-row attributes."""

    ids: list[str] | None
    """None when the input carried no ids (the caller auto-generates them)."""
    vectors: np.ndarray | sparse.csr_matrix
    """float32, shape (n, d). In dense arrays NaN marks a missing value."""
    attributes: list[dict]
    """One dict per row; values are str, int, float or None; {} when a row has none."""
    feature_names: list[str] | None
    """Names of the d vector components when the input named them, else None."""

    @property
    def n(self) -> int:
        return int(self.vectors.shape[0])


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

"""The server's size limits on uploaded data, and the checks that enforce them.

Each check runs before the allocation it protects (a dense matrix as wide as a vector, a sparse
structure as wide as its largest index), and its message names the limit and the ``AUTOML_*``
setting that raises it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import IngestError, TooLarge


@dataclass(frozen=True)
class IngestLimits:
    max_file_bytes: int
    """Decompressed bytes of one file (all gzip members together)."""
    max_dense_dim: int
    """Widest dense vector."""
    max_sparse_dim: int
    """Widest sparse vector: largest index + 1."""
    max_rows: int
    """Most rows in one request or one uploaded file."""

    @classmethod
    def from_settings(cls, settings) -> IngestLimits:
        """From :class:`app.config.Settings` (or anything with the same four attributes)."""
        return cls(
            max_file_bytes=int(settings.max_file_bytes),
            max_dense_dim=int(settings.max_dense_dim),
            max_sparse_dim=int(settings.max_sparse_dim),
            max_rows=int(settings.max_rows_per_request),
        )

    def max_dim(self, layout: str) -> int:
        return self.max_sparse_dim if layout == "sparse" else self.max_dense_dim


def layout_of(vector_type: object) -> str:
    """'sparse' for "sparse" in any letter case, else 'dense' (the quantized types are dense)."""
    return "sparse" if str(vector_type or "").strip().lower() == "sparse" else "dense"


def too_wide(layout: str, limits: IngestLimits, subject: str) -> IngestError:
    """The error for vectors wider than the limit of `layout`; `subject` says what is too wide,
    e.g. "vector_dim is 1000000" or "line 7: feature index 99999 makes the vectors 99999 wide"."""
    if layout == "sparse":
        return IngestError(
            f"{subject}, more than this server's limit of {limits.max_sparse_dim} for sparse "
            "vectors (setting AUTOML_MAX_SPARSE_DIM); check the indices (one "
            "this large is usually a mistake), or ask the operator to raise AUTOML_MAX_SPARSE_DIM"
        )
    return IngestError(
        f"{subject}, more than this server's limit of {limits.max_dense_dim} for dense vectors "
        '(setting AUTOML_MAX_DENSE_DIM); store wide data in a collection with vector_type '
        '"sparse", or ask the operator to raise AUTOML_MAX_DENSE_DIM'
    )


def check_width(layout: str, width: int, limits: IngestLimits | None, subject: str) -> None:
    if limits is not None and width > limits.max_dim(layout):
        raise too_wide(layout, limits, subject)


def check_rows(n: int, limits: IngestLimits | None, what: str) -> None:
    """`what` names the request part, e.g. "the file" or "data"."""
    if limits is not None and n > limits.max_rows:
        raise TooLarge(
            f"{what} has {n} rows, more than this server's limit of {limits.max_rows} rows per "
            "request (setting AUTOML_MAX_ROWS_PER_REQUEST); split the data into several "
            "requests, or ask the operator to raise AUTOML_MAX_ROWS_PER_REQUEST"
        )


def file_too_large(max_bytes: int, *, compressed: bool) -> TooLarge:
    what = "the decompressed file is" if compressed else "the file is"
    return TooLarge(
        f"{what} larger than this server's limit of {max_bytes} bytes "
        "(setting AUTOML_MAX_FILE_BYTES, which counts all gzip members together); split it "
        "into several uploads, or ask the operator to raise AUTOML_MAX_FILE_BYTES"
    )


def check_vector_dim(vector_type: object, dim: object, limits: IngestLimits | None) -> None:
    """A vector_dim given in a request (init, upload): a positive integer no wider than the
    limit of its layout. ``None`` (no dimension given) passes."""
    if dim is None:
        return
    if isinstance(dim, bool) or not isinstance(dim, int) or dim <= 0:
        raise IngestError(f"vector_dim must be a positive integer, got {dim!r}")
    check_width(layout_of(vector_type), dim, limits, f"vector_dim is {dim}")

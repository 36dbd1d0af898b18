"""Raw binary files: little-endian float32, row-major, n x vector_dim, no header."""

from __future__ import annotations

import numpy as np

from .errors import IngestError
from .limits import check_rows, check_width, layout_of
from .types import Columns, ParseOptions
from .vectors import check_vector_dim, convert_vectors


def parse_binary(raw: bytes, options: ParseOptions) -> Columns:
    dim = options.vector_dim
    if dim is None:
        raise IngestError(
            "vector_dim is required for binary files: the file is a bare sequence of float32 "
            "values and vector_dim says how many make one vector"
        )
    check_vector_dim(dim)
    check_width(layout_of(options.vector_type), dim, options.limits, f"vector_dim is {dim}")
    if not raw:
        raise IngestError("the file is empty")
    row_bytes = 4 * dim
    if len(raw) % row_bytes:
        raise IngestError(
            f"the binary file has {len(raw)} bytes, which is not a multiple of 4 * vector_dim = "
            f"{row_bytes} (each vector is {dim} little-endian float32 values)"
        )
    check_rows(len(raw) // row_bytes, options.limits, "the file")
    values = np.frombuffer(raw, dtype="<f4").reshape(-1, dim).astype(np.float32)
    if np.isinf(values).any():
        i, j = (int(k) for k in np.argwhere(np.isinf(values))[0])
        raise IngestError(
            f"vector {i} (0-based), value {j} is infinite; values must be finite (NaN = missing)"
        )
    vectors = convert_vectors(values, options.vector_type)
    return Columns(None, vectors)

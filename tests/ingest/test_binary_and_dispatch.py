import numpy as np
import pytest
from scipy import sparse

from app.ingest import SUPPORTED_FORMATS

from .conftest import error_of, parse, roundtrip


@pytest.mark.parametrize("gz", [False, True])
def test_binary_roundtrip(gz):
    values = np.arange(12, dtype="<f4").reshape(3, 4)
    values[1, 2] = np.nan
    rows = roundtrip(values.tobytes(), gz=gz, file_format="binary", vector_dim=4)
    assert rows.vectors.dtype == np.float32 and rows.vectors.shape == (3, 4)
    assert np.array_equal(rows.vectors, values, equal_nan=True)
    assert rows.ids is None and rows.attributes == {}


def test_binary_sparse_conversion():
    rows = parse(
        np.eye(3, dtype="<f4").tobytes(), file_format="binary", vector_dim=3, vector_type="sparse"
    )
    assert sparse.isspmatrix_csr(rows.vectors) and rows.vectors.nnz == 3


def test_binary_errors():
    msg = error_of(parse, b"\0" * 24, file_format="binary", vector_dim=4)
    assert "24 bytes, which is not a multiple of 4 * vector_dim = 16" in msg
    assert "vector_dim is required" in error_of(parse, b"\0" * 16, file_format="binary")
    assert "the file is empty" in error_of(parse, b"", file_format="binary", vector_dim=4)
    inf = np.array([1, np.inf], dtype="<f4").tobytes()
    assert "value 1 is infinite" in error_of(parse, inf, file_format="binary", vector_dim=2)


def test_unknown_format_lists_supported():
    msg = error_of(parse, b"1,2\n", file_format="xlsx")
    assert 'unsupported file_format "xlsx"' in msg
    assert all(f'"{f}"' in msg for f in SUPPORTED_FORMATS)


@pytest.mark.parametrize("fmt", ["csv", "json", "libsvm"])
def test_empty_file(fmt):
    assert "the file is empty" in error_of(parse, b"  \n", file_format=fmt)


def test_format_names_are_case_insensitive_with_aliases():
    assert parse(b'{"data": [[1]]}\n', file_format="JSONL").n == 1
    assert parse(b"1 1:1\n", file_format="svmlight").n == 1

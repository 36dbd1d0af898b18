"""Chunk encodings: vectors as uncompressed numpy arrays, and chunks written compressed by
earlier versions still read."""

import io

import numpy as np
import scipy.sparse as sp

from app.storage import codec


def test_dense_vectors_are_stored_as_npy_and_read_back_exactly():
    values = np.array([[1.5, np.nan], [-0.0, 3.4e38]], dtype=np.float32)
    blob = codec.encode_vectors(values)
    assert blob.startswith(b"\x93NUMPY")
    decoded = codec.decode_vectors(blob)
    assert decoded.dtype == np.float32
    np.testing.assert_array_equal(decoded, values)


def test_sparse_vectors_round_trip():
    matrix = sp.csr_matrix(([2.0, 5.0], ([0, 1], [3, 0])), shape=(2, 7), dtype=np.float32)
    decoded = codec.decode_vectors(codec.encode_vectors(matrix))
    assert decoded.shape == (2, 7) and (decoded != matrix).nnz == 0


def test_chunks_of_earlier_versions_still_read():
    values = np.arange(6, dtype=np.float32).reshape(3, 2)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, dense=values)
    np.testing.assert_array_equal(codec.decode_vectors(buffer.getvalue()), values)


def test_attribute_columns_round_trip():
    columns = {"label": [1, None, 2.5], "city": ["x", "y", None]}
    assert codec.decode_attributes(codec.encode_attributes(columns)) == columns

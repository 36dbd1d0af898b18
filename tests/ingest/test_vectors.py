import numpy as np
import pytest
from scipy import sparse

from app.ingest import parse_vectors

from .conftest import error_of


def dense(data, dim=None):
    return parse_vectors(data, vector_type="dense", vector_dim=dim)


def sparse_(data, dim=None):
    return parse_vectors(data, vector_type="sparse", vector_dim=dim)


def test_dense_float32_with_null_as_nan():
    out = dense([[1, 2.5, None], [0, -1, 3]], 3)
    assert out.dtype == np.float32 and out.shape == (2, 3)
    assert np.isnan(out[0, 2]) and out[1, 1] == -1


def test_dense_wrong_length_names_row_and_lengths():
    msg = error_of(dense, [[0.0] * 64, [0.0] * 63], 64)
    assert "data[1] has 63 values but the collection has vector_dim 64" in msg


def test_dense_rows_must_agree_without_vector_dim():
    assert "data[1] has 2 values but data[0] has 3" in error_of(dense, [[1, 2, 3], [1, 2]])


@pytest.mark.parametrize(
    ("value", "words"),
    [(True, "boolean"), ("1.5", "the string '1.5'"), ("NaN", "'NaN'"), ([1], "a list")],
)
def test_dense_rejects_non_numbers(value, words):
    msg = error_of(dense, [[1.0, value]], 2)
    assert "data[0][1]" in msg and words in msg


def test_dense_rejects_infinity_and_float32_overflow():
    assert "data[0][1] = inf is not a finite" in error_of(dense, [[1.0, float("inf")]])
    assert "data[1][0]" in error_of(dense, [[1.0], [1e39]])


def test_dense_rejects_object_rows_with_hint():
    msg = error_of(dense, [{"1": 2.0}], 4)
    assert "data[0] is an object" in msg and "sparse" in msg


def test_empty_data_and_empty_vectors():
    assert "data is empty" in error_of(dense, [], 3)
    assert "no values" in error_of(dense, [[], []])


def test_unknown_vector_type_and_bad_dim():
    assert 'unsupported vector_type "cube"' in error_of(
        parse_vectors, [[1]], vector_type="cube", vector_dim=None
    )
    assert "positive integer" in error_of(dense, [[1]], 0)


def test_quantized_dense_types_count_as_dense():
    out = parse_vectors([[1, 2]], vector_type="dense8Bit", vector_dim=2)
    assert out.tolist() == [[1.0, 2.0]]


def test_sparse_all_forms():
    out = sparse_(
        [
            {"3": 0.5, "10": 1.0},
            {4: 2},
            [[3, 0.5], [10, 1.0]],
            {"indices": [1, 0], "values": [7, 8]},
            "3:0.5 10:1.0",
            "",
        ],
        12,
    )
    assert sparse.isspmatrix_csr(out) and out.dtype == np.float32 and out.shape == (6, 12)
    dense_out = out.toarray()
    assert dense_out[0, 3] == 0.5 and dense_out[0, 10] == 1.0
    assert dense_out[1, 4] == 2
    assert (dense_out[2] == dense_out[0]).all() and (dense_out[4] == dense_out[0]).all()
    assert dense_out[3, 0] == 8 and dense_out[3, 1] == 7
    assert not dense_out[5].any()


def test_sparse_width_from_max_index_without_dim():
    assert sparse_([{"0": 1.0}, {"5": 2.0}]).shape == (2, 6)


def test_sparse_plain_number_list_is_accepted():
    out = sparse_([[0.0, 2.0, 0.0]], 3)
    assert out.nnz == 1 and out[0, 1] == 2.0


@pytest.mark.parametrize(
    ("row", "words"),
    [
        ({"12": 1.0}, "sparse index 12 is out of range"),
        ({"-1": 1.0}, "not a non-negative integer"),
        ([[-1, 1.0]], "sparse index -1 is negative"),
        ({"a": 1.0}, "sparse index 'a'"),
        ({"1": "x"}, "sparse value is the string 'x'"),
        ({"1": None}, "sparse value is null"),
        ("1:inf", "not a finite float32"),
        ("1:nan", "not a finite float32"),
        ("3", "not of the form index:value"),
        ([[1, 2, 3]], "expected [index, value] pairs"),
        ([[1, 1.0], [1, 2.0]], "sparse index 1 appears more than once"),
        ({"indices": [1], "values": [1, 2]}, '"indices" has 1 items but "values" has 2'),
        ({"indices": [1], "values": [1], "x": 1}, 'exactly the keys "indices" and "values"'),
        (5, "a sparse vector must be"),
    ],
)
def test_sparse_errors(row, words):
    msg = error_of(sparse_, [{"0": 1.0}, row], 12)
    assert "data[1]" in msg and words in msg


def test_numpy_array_input():
    out = dense(np.ones((2, 3)), 3)
    assert out.shape == (2, 3) and out.dtype == np.float32

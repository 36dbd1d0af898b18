import numpy as np
import pytest
from scipy import sparse

from .conftest import error_of, parse, roundtrip

pytestmark = pytest.mark.usefixtures("both_readers")

LIBSVM = b"# comment line\n1 1:0.5 3:2 # trailing comment\n\n0 qid:4 2:1.5\n-1\n"


@pytest.mark.parametrize("gz", [False, True])
def test_libsvm_roundtrip_one_based(gz):
    rows = roundtrip(LIBSVM, gz=gz, file_format="libsvm")
    assert sparse.isspmatrix_csr(rows.vectors) and rows.vectors.dtype == np.float32
    assert rows.vectors.shape == (3, 3)
    assert rows.vectors.toarray().tolist() == [[0.5, 0, 2], [0, 1.5, 0], [0, 0, 0]]
    assert rows.attributes == {"label": [1, 0, -1]}
    assert rows.ids is None and rows.feature_names is None


def test_zero_index_means_zero_based():
    rows = parse(b"1 0:1 2:3\n", file_format="libsvm")
    assert rows.vectors.toarray().tolist() == [[1, 0, 3]]


def test_float_labels_dense_and_vector_dim():
    rows = parse(
        b"0.5 1:1\n2 4:1\n",
        file_format="libsvm",
        vector_type="dense",
        vector_dim=6,
        libsvm_label_name="y",
    )
    assert isinstance(rows.vectors, np.ndarray) and rows.vectors.shape == (2, 6)
    assert rows.attributes == {"y": [0.5, 2.0]}


def test_unsorted_indices_are_accepted():
    rows = parse(b"1 3:1 1:2\n", file_format="libsvm")
    assert rows.vectors.toarray().tolist() == [[2, 0, 1]]


def test_index_beyond_vector_dim():
    msg = error_of(parse, b"1 1:1\n0 5:1\n", file_format="libsvm", vector_dim=4)
    assert "line 2: feature index 5 is out of range for vector_dim 4" in msg


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        (b"1 1:1\ncat 2:1\n", "line 2: the label 'cat' is not a number"),
        (b"1 1:1\n1 x:1\n", "line 2: feature index 'x'"),
        (b"1 1:1\n1 2:abc\n", "line 2: value 'abc' of feature 2"),
        (b"1 1:1\n1 2\n", "line 2: '2' is not of the form index:value"),
        (b"1 1:1 1:2\n", "line 1: feature index 1 appears more than once"),
        (b"# only comments\n", "no data lines"),
    ],
)
def test_libsvm_errors(raw, words):
    assert words in error_of(parse, raw, file_format="libsvm")

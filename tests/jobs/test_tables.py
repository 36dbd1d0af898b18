"""Matching prediction rows to a model's columns."""

import numpy as np
import pytest
import scipy.sparse as sp

from app.errors import BadRequest
from app.ingest import Columns
from app.jobs.tables import prediction_features, training_features


def test_text_in_a_numeric_feature_stored_as_attribute_names_column_and_row():
    layout = {"numeric_names": ["height", "age"], "named": True, "n_numeric": 2}
    table = Columns(None, np.array([[1.0], [2.0]], dtype=np.float32), {"age": ["31", "twenty"]},
                    ["height"])
    with pytest.raises(BadRequest, match=r"column 'age' holds 'twenty' in row 2"):
        prediction_features(table, layout, [], "label")
    table.attributes["age"] = ["31", ""]
    features, _ = prediction_features(table, layout, [], "label")
    assert features.numeric[0, 1] == 31 and np.isnan(features.numeric[1, 1])


def test_unnamed_wide_sparse_columns_get_no_names():
    """A sparse dataset 2**24 wide costs nothing per declared column: no names, no index list."""
    width = 1 << 24
    vectors = sp.csr_matrix(([1.0, 2.0], ([0, 1], [3, width - 1])), shape=(2, width))
    table = Columns(None, vectors, {"label": ["a", "b"]})
    features, labels, layout = training_features(table, "label", [])
    assert features.numeric_names == [] and features.numeric.shape == (2, width)
    assert layout == {"numeric_names": [], "named": False, "n_numeric": width}
    narrower = Columns(None, sp.csr_matrix(([5.0], ([0], [3])), shape=(1, 4)))
    predicted, truth = prediction_features(narrower, layout, [], "label")
    assert predicted.numeric.shape == (1, width) and truth is None

"""Matching prediction rows to a model's columns."""

import numpy as np
import pytest
import scipy.sparse as sp

from app.errors import BadRequest
from app.ingest import Columns
from app.jobs.tables import (
    is_missing,
    missing_cells,
    prediction_features,
    take_rows,
    training_features,
)


def test_text_in_a_numeric_feature_stored_as_attribute_names_column_and_row():
    layout = {"numeric_names": ["height", "age"], "named": True, "n_numeric": 2}
    table = Columns(None, np.array([[1.0], [2.0]], dtype=np.float32), {"age": ["31", "twenty"]},
                    ["height"])
    with pytest.raises(BadRequest, match=r"column 'age' holds 'twenty' in row 2"):
        prediction_features(table, layout, [], "label")
    table.attributes["age"] = ["31", ""]
    features, _ = prediction_features(table, layout, [], "label")
    assert features.numeric[0, 1] == 31 and np.isnan(features.numeric[1, 1])


def test_errors_name_the_rows_they_are_about():
    """A validation dataset without a feature column was called 'the prediction data'."""
    layout = {"numeric_names": ["height", "age"], "named": True, "n_numeric": 2}
    table = Columns(None, np.array([[1.0], [2.0]], dtype=np.float32), {}, ["height"])
    with pytest.raises(BadRequest, match=r"^the prediction data lacks .*\['age'\]"):
        prediction_features(table, layout, [], "label")
    with pytest.raises(BadRequest, match=r"^validation_dataset lacks the model's feature"):
        prediction_features(table, layout, [], "label", source="validation_dataset")


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


CELLS = ["a", "", " ", None, float("nan"), "b", 0, 1.5, False, "nan", np.float64("nan"),
         " a", 3, "a"]


def _reference_training_features(table, label, categorical):
    """training_features as it was, judging and copying cell by cell."""
    labels = table.column(label)
    rows = [i for i, v in enumerate(labels) if not is_missing(v)]
    cats = {c: [table.column(c)[i] for i in rows] for c in categorical}
    return np.asarray(table.vectors)[rows], cats, [labels[i] for i in rows]


@pytest.mark.parametrize("values", [
    CELLS * 10,  # mixed kinds: cell by cell
    ["x", "", None, "y", " ", float("nan")] * 20,  # strings and missing cells: hashed
    [1, None, 2.5, float("nan"), 0] * 20,  # numbers
    ["x"] * 3,  # too short to hash
])
def test_missing_cells_match_is_missing(values):
    np.testing.assert_array_equal(missing_cells(values), [is_missing(v) for v in values])


def test_training_features_keep_the_labelled_rows_as_before():
    n = len(CELLS) * 10
    rng = np.random.default_rng(0)
    label = (["yes", "no", "", None, "yes", float("nan"), " "] * n)[:n]
    attributes = {"label": label, "color": [f"c{v}" for v in rng.integers(0, 5, n)],
                  "mixed": CELLS * 10}
    table = Columns(None, rng.normal(size=(n, 3)).astype(np.float32), attributes,
                    ["x0", "x1", "x2"])
    features, labels, layout = training_features(table, "label", ["color", "mixed"])
    numeric, cats, expected_labels = _reference_training_features(table, "label",
                                                                  ["color", "mixed"])
    np.testing.assert_array_equal(features.numeric, numeric)
    assert features.categorical == cats and labels == expected_labels
    assert layout == {"numeric_names": ["x0", "x1", "x2"], "named": True, "n_numeric": 3}
    # every row labelled: the columns are taken whole
    table.attributes["label"] = ["yes", "no"] * (n // 2)
    features, labels, _ = training_features(table, "label", ["color"])
    assert features.numeric.shape == (n, 3) and labels == table.attributes["label"]
    assert features.categorical["color"] == table.attributes["color"]


def test_prediction_truth_is_none_where_missing():
    layout = {"numeric_names": ["x"], "named": True, "n_numeric": 1}
    truth = CELLS * 5
    table = Columns(None, np.zeros((len(truth), 1), dtype=np.float32), {"label": truth}, ["x"])
    _, got = prediction_features(table, layout, [], "label")
    assert got == [None if is_missing(v) else v for v in truth]


def test_take_rows():
    values = ["a", "b", "c"]
    assert take_rows(values, np.array([0, 2])) == ["a", "c"]
    assert take_rows(values, np.arange(3)) is values
    assert take_rows(("a", "b"), np.arange(2)) == ["a", "b"]

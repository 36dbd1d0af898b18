import numpy as np
import pytest

from app.automl import classification_metrics, regression_metric


def test_binary_metrics():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    m = classification_metrics(["a", "b", "b", "a"], ["a", "b", "a", "b"], proba, ["a", "b"])
    assert m["accuracy"] == 0.5
    assert m["auc"] == pytest.approx(0.75)
    assert m["micro_f1"] == pytest.approx(0.5)


def test_multiclass_auc_is_macro_over_present_classes():
    classes = [1, 2, 3]
    proba = np.array([[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.5, 0.4, 0.1]])
    m = classification_metrics([1, 2, 2, 1], [1, 2, 3, 1], proba, classes)
    # class 1: AUC 1, class 2: AUC 0.75, class 3 is absent from y_true: skipped
    assert m["auc"] == pytest.approx(0.875)
    assert m["accuracy"] == 0.75


def test_unseen_true_label_counts_as_wrong_and_auc_survives():
    proba = np.array([[0.9, 0.1], [0.2, 0.8], [0.5, 0.5]])
    m = classification_metrics(["a", "b", "zzz"], ["a", "b", "a"], proba, ["a", "b"])
    assert m["accuracy"] == pytest.approx(2 / 3)
    assert m["auc"] == 1.0  # over the rows of known labels: a and b, perfectly ranked


def test_auc_leaves_out_labels_the_model_does_not_know():
    """A yes/no model scored on maybe/no truths: 'maybe' is not the positive class, so with
    only 'no' among the known labels there is no AUC (it was 0.75, maybe as yes)."""
    proba = np.array([[0.2, 0.8], [0.7, 0.3], [0.6, 0.4], [0.4, 0.6]])
    m = classification_metrics(["maybe", "no", "no", "maybe"], ["yes", "no", "no", "yes"],
                               proba, ["no", "yes"])
    assert m["auc"] is None
    assert m["accuracy"] == 0.5


def test_auc_none_when_single_class():
    proba = np.array([[0.9, 0.1], [0.2, 0.8]])
    m = classification_metrics(["a", "a"], ["a", "b"], proba, ["a", "b"])
    assert m["auc"] is None
    assert all(v is None or np.isfinite(v) for v in m.values())


def test_regression_metric():
    assert regression_metric([1.0, 2.0], [1.0, 4.0]) == pytest.approx(2.0)

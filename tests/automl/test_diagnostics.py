"""Chart data stored with a model (TrainResult.diagnostics) and the leaderboard's prediction
times: shapes, totals and size bounds."""

import json

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from app.automl import diagnostics, train
from app.automl.metrics import selection_scorer
from app.automl.report import leaderboard
from app.automl.search import CandidateResult

from .helpers import make_data


def _check_curve(curve: dict, classes: list) -> None:
    fpr, tpr = curve["fpr"], curve["tpr"]
    assert curve["positive_class"] in classes
    assert 2 <= len(fpr) == len(tpr) <= diagnostics.ROC_POINTS
    assert (fpr[0], tpr[0]) == (0.0, 0.0) and (fpr[-1], tpr[-1]) == (1.0, 1.0)
    assert fpr == sorted(fpr) and tpr == sorted(tpr)
    assert 0.0 <= curve["auc"] <= 1.0


def _check_board(board: list[dict]) -> None:
    for entry in board:
        assert entry["predict_seconds_per_row"] > 0, entry
        assert entry["fit_seconds"] >= 0


def test_binary_diagnostics_from_out_of_fold_predictions():
    X, y = make_data("binary", n=300, seed=1)
    result = train(X, y, task="classification", mode="high_speed", time_budget=5)
    d = json.loads(json.dumps(result.diagnostics))  # JSON-ready as it is
    assert d == result.diagnostics
    assert d["kind"] == "classification" and d["source"] == "out_of_fold"
    assert d["classes"] == ["no", "yes"] == result.model.classes_
    matrix = np.array(d["confusion_matrix"])
    assert matrix.shape == (2, 2) and matrix.sum() == d["n"] == 300  # 5-fold CV: every row
    assert matrix.sum(axis=1).tolist() == [y.count("no"), y.count("yes")]  # rows: true class
    assert np.trace(matrix) / 300 > 0.8
    assert d["roc"]["positive_class"] == "yes"
    _check_curve(d["roc"], d["classes"])
    # Its AUC is the out-of-fold selection score (the single model's, in high_speed).
    assert d["roc"]["auc"] == pytest.approx(result.leaderboard[0]["score"], abs=1e-9)
    assert "omitted" not in d
    _check_board(result.leaderboard)


def test_multiclass_diagnostics_have_a_curve_per_class():
    X, y = make_data("multiclass", n=300, seed=2, n_classes=4)
    result = train(X, y, task="classification", mode="high_speed", time_budget=5)
    d = result.diagnostics
    assert d["classes"] == [0, 1, 2, 3]
    matrix = np.array(d["confusion_matrix"])
    assert matrix.shape == (4, 4) and matrix.sum() == 300
    assert matrix.sum(axis=1).tolist() == np.bincount(y).tolist()
    assert [c["positive_class"] for c in d["roc"]] == [0, 1, 2, 3]
    for curve in d["roc"]:
        _check_curve(curve, d["classes"])
    _check_board(result.leaderboard)


def test_regression_diagnostics_sample_and_residuals():
    X, y = make_data("regression", n=700, seed=3)
    result = train(X, y, task="regression", mode="high_speed", time_budget=5)
    d = result.diagnostics
    assert d["kind"] == "regression" and d["n"] == 700
    assert len(d["actual"]) == len(d["predicted"]) == diagnostics.SAMPLE_ROWS
    assert set(d["actual"]) <= {float(f"{v:.7g}") for v in y}  # true values, in row order
    q = d["residual_quantiles"]
    assert q["min"] <= q["q25"] <= q["median"] <= q["q75"] <= q["max"]
    assert q["min"] < 0 < q["max"]
    _check_board(result.leaderboard)
    again = train(X, y, task="regression", mode="high_speed", time_budget=5)
    assert again.diagnostics["actual"] == d["actual"]  # the sample is seeded


def test_with_a_validation_set_the_charts_are_of_the_validation_rows():
    X, y = make_data("binary", n=300, seed=4)
    Xv, yv = make_data("binary", n=120, seed=5)
    yv[:3] = [None, "maybe", "maybe"]  # unlabelled, and a label the model does not know
    result = train(X, y, task="classification", mode="high_speed", validation=(Xv, yv))
    d = result.diagnostics
    assert d["source"] == "validation" and d["n"] == 119 and d["unknown_label_rows"] == 2
    assert np.array(d["confusion_matrix"]).sum() == 117
    positive = np.array([v == "yes" for v in yv[1:]])
    proba = result.model.predict_proba(Xv)[1:, 1]
    assert d["roc"]["auc"] == pytest.approx(roc_auc_score(positive, proba))


def test_bounded_size_on_many_rows_and_classes():
    rng = np.random.default_rng(0)
    n = 100_000
    truth = rng.integers(0, 2, n)
    proba = np.clip(truth * 0.3 + rng.random(n) * 0.7, 0, 1)
    binary = diagnostics.classification(truth, np.column_stack([1 - proba, proba]), [0, 1],
                                        "out_of_fold")
    assert len(binary["roc"]["fpr"]) <= diagnostics.ROC_POINTS
    assert len(json.dumps(binary)) < 6_000

    truth = rng.integers(0, 60, n)
    proba = rng.dirichlet(np.ones(60), n)
    many = diagnostics.classification(truth, proba, [f"c{k}" for k in range(60)], "validation")
    assert "confusion_matrix" not in many and "roc" not in many
    assert set(many["omitted"]) == {"confusion_matrix", "roc"}

    classes = list(range(30))
    some = diagnostics.classification(truth % 30, proba[:, :30], classes, "out_of_fold")
    assert np.array(some["confusion_matrix"]).sum() == n and "roc" not in some

    values = rng.standard_normal(n)
    regression = diagnostics.regression(values, values + 0.1, "out_of_fold", seed=0)
    assert len(regression["actual"]) == diagnostics.SAMPLE_ROWS
    assert len(json.dumps(regression)) < 20_000


def test_classes_missing_from_the_truth_have_no_curve():
    truth = np.array([0, 0, 1, 1, 0, 1])
    proba = np.tile([0.5, 0.3, 0.2], (6, 1))
    d = diagnostics.classification(truth, proba, ["a", "b", "c"], "validation")
    assert [c["positive_class"] for c in d["roc"]] == ["a", "b"]
    assert np.array(d["confusion_matrix"]).sum() == 6
    one = diagnostics.classification(np.zeros(4, dtype=int), np.tile([0.6, 0.4], (4, 1)),
                                     [0, 1], "validation")
    assert "roc" not in one and "roc" in one["omitted"]


def test_a_validation_set_of_labels_the_model_does_not_know_has_an_empty_matrix():
    truth = np.array([2, 2, 2])  # codes past the classes: labels the model never saw
    d = diagnostics.classification(truth, np.tile([0.7, 0.3], (3, 1)), ["a", "b"], "validation")
    assert d["confusion_matrix"] == [[0, 0], [0, 0]]
    assert d["unknown_label_rows"] == 3


def test_curves_are_thinned_monotonically_keeping_the_ends():
    fpr = np.linspace(0, 1, 5000) ** 2
    tpr = np.sqrt(np.linspace(0, 1, 5000))
    f, t = diagnostics.thin_curve(fpr, tpr)
    assert len(f) <= diagnostics.ROC_POINTS and (f[0], t[0], f[-1], t[-1]) == (0, 0, 1, 1)
    assert np.all(np.diff(f) >= 0) and np.all(np.diff(t) >= 0)
    short = np.array([0.0, 0.5, 1.0])
    assert diagnostics.thin_curve(short, short)[0].tolist() == [0.0, 0.5, 1.0]


def _candidate(name: str, score: float, predict_seconds: float, rows: int = 100):
    from app.automl.models import LGBMLearner

    learner = LGBMLearner(name)
    return CandidateResult(learner, np.arange(rows), np.zeros(rows), score, [], [], 1.0,
                           predict_seconds)


def test_the_ensembles_prediction_time_sums_its_members_and_stack_inputs():
    results = [_candidate("a", 0.8, 0.01), _candidate("b", 0.7, 0.02),
               _candidate("c", 0.6, 0.04), _candidate("s", 0.9, 0.08)]
    results[3].stacked = True
    scorer = selection_scorer("classification", 2)
    board = leaderboard(results, np.array([0.5, 0.5, 0.0, 0.0]), 0.85, scorer)
    per_row = {e["model"]: e["predict_seconds_per_row"] for e in board}
    assert per_row["a"] == pytest.approx(1e-4) and per_row["c"] == pytest.approx(4e-4)
    assert per_row["ensemble(a, b)"] == pytest.approx(3e-4)
    # A stacked member needs its inputs predicted too, weighted or not (c here).
    board = leaderboard(results, np.array([0.5, 0.0, 0.0, 0.5]), 0.95, scorer, inputs=[0, 2])
    per_row = {e["model"]: e["predict_seconds_per_row"] for e in board}
    assert per_row["ensemble(a, s)"] == pytest.approx(1e-4 + 4e-4 + 8e-4)

import numpy as np
import pytest

from app.automl import train

from .helpers import accuracy, make_data

MODES = ["high_speed", "balanced", "high_accuracy"]
METRIC_KEYS = {
    "accuracy",
    "micro_precision",
    "macro_precision",
    "micro_recall",
    "macro_recall",
    "micro_f1",
    "macro_f1",
    "auc",
}


@pytest.mark.parametrize("mode", MODES)
def test_binary(mode):
    X, y = make_data("binary", n=400, seed=1)
    Xt, yt = make_data("binary", n=200, seed=2)
    result = train(X, y, task="classification", mode=mode, time_budget=4)
    assert set(result.validation_metric) == METRIC_KEYS
    assert result.validation_metric["auc"] > 0.85
    assert result.model.classes_ == ["no", "yes"]
    assert accuracy(result.model.predict(Xt), yt) > 0.8
    proba = result.model.predict_proba(Xt)
    assert proba.shape == (200, 2) and np.allclose(proba.sum(axis=1), 1)
    board = result.leaderboard
    assert board and board[0]["metric"] == "auc"
    assert [e["score"] for e in board] == sorted((e["score"] for e in board), reverse=True)
    importance = result.feature_importance
    assert abs(sum(e["importance"] for e in importance) - 1) < 1e-9
    top = {e["feature"] for e in importance[:4]}
    assert len(top & {"x0", "x1", "x2", "color"}) >= 3  # the informative features


@pytest.mark.parametrize("mode", MODES)
def test_multiclass(mode):
    X, y = make_data("multiclass", n=450, seed=3)
    Xt, yt = make_data("multiclass", n=200, seed=4)
    result = train(X, y, task="classification", mode=mode, time_budget=4)
    assert result.model.classes_ == [0, 1, 2]
    assert result.validation_metric["accuracy"] > 0.65
    assert result.validation_metric["auc"] > 0.8
    predictions = result.model.predict(Xt)
    assert all(type(p) is int for p in predictions)
    assert accuracy(predictions, yt) > 0.65


@pytest.mark.parametrize("mode", MODES)
def test_regression(mode):
    X, y = make_data("regression", n=400, seed=5)
    Xt, yt = make_data("regression", n=200, seed=6)
    result = train(X, y, task="regression", mode=mode, time_budget=4)
    variance = float(np.var(y))
    assert isinstance(result.validation_metric, float)
    assert result.validation_metric < 0.3 * variance
    assert result.model.classes_ == []
    evaluated = result.model.evaluate(Xt, yt)
    assert evaluated.num_labelled == 200
    assert evaluated.metric < 0.3 * variance
    assert evaluated.probabilities is None
    assert all(isinstance(p, float) for p in evaluated.predictions)
    assert result.leaderboard[0]["metric"] == "mse"


def test_auto_is_balanced_and_progress_reported():
    X, y = make_data("binary", n=200, seed=7)
    seen = []
    result = train(
        X,
        y,
        task="classification",
        mode="auto",
        time_budget=5,
        progress=lambda f, s: seen.append(f),
    )
    assert len(result.leaderboard) >= 2  # a portfolio, not a single model
    assert seen[-1] == 1.0 and seen == sorted(seen)


def test_separate_validation_set_is_used_for_the_metric():
    X, y = make_data("binary", n=300, seed=8)
    Xv, yv = make_data("binary", n=100, seed=9)
    yv_flipped = ["no" if label == "yes" else "yes" for label in yv]
    result = train(X, y, task="classification", mode="high_speed", validation=(Xv, yv_flipped))
    assert result.validation_metric["accuracy"] < 0.3  # scored against the flipped labels


@pytest.mark.parametrize(
    ("task", "labels"),
    [("regression", lambda n: [5.0] * n),  # constant: CatBoost refuses it
     ("classification", lambda n: ["rare"] + ["a", "b"] * (n // 2))],  # a 1-row class
)
def test_balanced_trains_on_data_catboost_refuses(task, labels):
    X, _ = make_data("regression", n=200, seed=5)
    y = labels(200)[:200]
    result = train(X, y, task=task, mode="balanced", time_budget=20)
    assert len(result.model.predict(X)) == 200
    assert "catboost" not in {entry["model"] for entry in result.leaderboard}


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_high_accuracy_trains_on_two_rows(task):
    """Folds of one row: the configurations that cannot fit them are dropped."""
    X, _ = make_data("regression", n=2, seed=6)
    y = [0, 1] if task == "classification" else [0.0, 1.0]
    result = train(X, y, task=task, mode="high_accuracy", time_budget=10)
    assert len(result.model.predict(X)) == 2

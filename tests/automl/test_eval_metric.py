"""eval_metric, sample weights, class_weight and the tuned decision threshold (issue 13)."""

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    balanced_accuracy_score,
    f1_score,
    mean_absolute_percentage_error,
    r2_score,
    roc_auc_score,
)

from app.automl import Features, FittedModel, TrainingError, train
from app.automl.ensemble import greedy_selection
from app.automl.metrics import (
    CLASSIFICATION_METRICS,
    REGRESSION_METRICS,
    best_threshold,
    selection_scorer,
)
from app.automl.models import FitContext
from app.automl.models.catboost import CatBoostLearner
from app.automl.models.lgbm import LGBMLearner
from app.automl.models.linear import LinearLearner

from .helpers import make_data


def chosen(preds, y, metric, n_classes=0, weight=None) -> int:
    """The candidate ensemble selection starts from (its best single model)."""
    task = "regression" if n_classes == 0 else "classification"
    scorer = selection_scorer(task, n_classes, metric)
    weights, _ = greedy_selection(preds, y, scorer, rounds=1, weight=weight)
    return int(np.argmax(weights))


def proba(p1: np.ndarray) -> np.ndarray:
    return np.column_stack([1.0 - p1, p1])


# --- the metrics themselves ---------------------------------------------------------------


def test_weighted_metrics_match_scikit_learn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 300)
    p = np.round(np.clip(rng.random(300) * 0.6 + 0.4 * y, 0, 1), 2)  # ties included
    w = rng.random(300)
    P = proba(p)
    assert selection_scorer("classification", 2, "auc")(y, P, w) == pytest.approx(
        roc_auc_score(y, p, sample_weight=w))
    assert selection_scorer("classification", 2, "pr_auc")(y, P, w) == pytest.approx(
        average_precision_score(y, p, sample_weight=w))
    for name, reference in (("balanced_accuracy", balanced_accuracy_score), ("f1", f1_score)):
        threshold, score = best_threshold(name, y, p, w)
        assert score == pytest.approx(reference(y, (p > threshold).astype(int), sample_weight=w))
    y3, P3 = rng.integers(0, 3, 300), rng.dirichlet([1, 1, 1], 300)
    assert selection_scorer("classification", 3, "f1")(y3, P3, w) == pytest.approx(
        f1_score(y3, P3.argmax(1), average="macro", sample_weight=w))
    yr = rng.normal(size=100)
    pr = yr + rng.normal(size=100) * 0.3
    assert selection_scorer("regression", 0, "r2")(yr, pr, w[:100]) == pytest.approx(
        r2_score(yr, pr, sample_weight=w[:100]))
    assert selection_scorer("regression", 0, "mape")(yr, pr, w[:100]) == pytest.approx(
        mean_absolute_percentage_error(yr, pr, sample_weight=w[:100]))


def test_a_metric_that_does_not_fit_the_task_is_refused_naming_those_that_do():
    with pytest.raises(ValueError, match="rmse, mse, mae, r2, mape"):
        selection_scorer("regression", 0, "auc")
    with pytest.raises(ValueError, match="accuracy, balanced_accuracy, f1, log_loss"):
        selection_scorer("classification", 2, "mae")
    for metric in CLASSIFICATION_METRICS:
        assert selection_scorer("classification", 3, metric).name == metric
    for metric in REGRESSION_METRICS:
        assert selection_scorer("regression", 0, metric).name == metric


# --- each metric changes what is selected ---------------------------------------------------


def test_mae_and_mse_choose_different_candidates_on_outliers():
    rng = np.random.default_rng(1)
    y = rng.normal(10.0, 1.0, 200)
    y[:10] = 100.0  # 5 % outliers
    exact_but_blind = y.copy()
    exact_but_blind[:10] = 10.0  # |error| 90 on the outliers: mae 4.5, mse 405
    biased = y + 5.0  # |error| 5 everywhere: mae 5, mse 25
    preds = [exact_but_blind, biased]
    assert chosen(preds, y, "mae") == 0
    for metric in ("mse", "rmse", "r2"):
        assert chosen(preds, y, metric) == 1, metric
    # Weights in the selection metric: outliers weighing 10x make mae prefer the other too.
    weight = np.where(np.arange(200) < 10, 10.0, 1.0)
    assert chosen(preds, y, "mae", weight=weight) == 1


def test_mape_and_mae_choose_different_candidates_on_mixed_scales():
    y = np.r_[np.full(100, 1.0), np.full(100, 100.0)]
    good_on_small = np.r_[np.full(100, 1.0), np.full(100, 101.0)]  # mae 0.5, mape 0.005
    good_on_large = np.r_[np.full(100, 1.8), np.full(100, 100.0)]  # mae 0.4, mape 0.4
    preds = [good_on_small, good_on_large]
    assert chosen(preds, y, "mape") == 0
    assert chosen(preds, y, "mae") == 1


def test_log_loss_and_ranking_metrics_choose_different_candidates():
    rng = np.random.default_rng(2)
    y = (rng.random(400) < 0.1).astype(int)
    # Ranks every positive first, but its probabilities are far too small.
    ranks_well = np.where(y == 1, 0.02, 0.01) + rng.random(400) * 0.001
    calibrated = np.clip(0.1 + 0.5 * y + rng.normal(0, 0.2, 400), 0.01, 0.99)
    preds = [proba(ranks_well), proba(calibrated)]
    for metric in ("auc", "pr_auc", "accuracy", "balanced_accuracy", "f1"):
        # the threshold metrics judge each candidate at its own tuned threshold
        assert chosen(preds, y, metric, 2) == 0, metric
    assert chosen(preds, y, "log_loss", 2) == 1


def test_accuracy_and_balanced_accuracy_choose_different_candidates():
    y = np.r_[np.zeros(80, int), np.ones(10, int), np.full(10, 2)]
    majority = np.tile([0.8, 0.1, 0.1], (100, 1))  # always class 0: accuracy .8, balanced 1/3
    minority = np.eye(3)[y] * 0.7 + 0.1  # right on classes 1 and 2 ...
    minority[:24] = [0.1, 0.8, 0.1]  # ... wrong on 30 % of class 0: accuracy .76, balanced .9
    preds = [majority, minority]
    assert chosen(preds, y, "accuracy", 3) == 0
    assert chosen(preds, y, "balanced_accuracy", 3) == 1
    assert chosen(preds, y, "f1", 3) == 1


# --- the decision threshold -----------------------------------------------------------------


def imbalanced(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    score = X[:, 0] + 0.5 * X[:, 1] + rng.normal(size=n) * 0.8
    y = (score > 1.6).astype(int)  # about 9 % positives
    return Features(X, ["a", "b", "c", "d"]), y.tolist()


@pytest.fixture(scope="module")
def tuned():
    X, y = imbalanced(600, 0)
    return X, y, {metric: train(X, y, task="classification", mode="high_speed",
                                eval_metric=metric, seed=0)
                  for metric in (None, "accuracy", "balanced_accuracy", "f1")}


def test_threshold_metrics_tune_their_own_threshold(tuned):
    _, _, results = tuned
    thresholds = {m: r.model.threshold for m, r in results.items()}
    assert thresholds[None] is None  # auc: argmax, as before
    assert all(thresholds[m] is not None for m in ("accuracy", "balanced_accuracy", "f1"))
    # Balanced accuracy values the 9 % minority's recall as much as the majority's: it predicts
    # the minority far more readily than accuracy does; f1 lies between.
    assert thresholds["balanced_accuracy"] < thresholds["f1"] < thresholds["accuracy"]
    assert thresholds["balanced_accuracy"] < 0.25
    for metric, result in results.items():
        assert {e["metric"] for e in result.leaderboard} == {metric or "auc"}


def test_the_threshold_is_applied_by_predict_not_predict_proba_and_kept_in_the_artifact(tuned):
    X, y, results = tuned
    model = results["balanced_accuracy"].model
    p1 = model.predict_proba(X)[:, 1]
    assert model.predict(X) == [int(p > model.threshold) for p in p1]
    argmax = [int(p > 0.5) for p in p1]
    assert model.predict(X) != argmax  # the threshold changes decisions
    loaded = FittedModel.from_bytes(model.to_bytes())
    assert loaded.threshold == model.threshold
    assert loaded.predict(X) == model.predict(X)
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    # The confusion matrix kept for the charts counts the thresholded out-of-fold decisions.
    matrix = np.asarray(results["balanced_accuracy"].diagnostics["confusion_matrix"])
    argmax_matrix = np.asarray(results[None].diagnostics["confusion_matrix"])
    assert matrix[:, 1].sum() > argmax_matrix[:, 1].sum()  # many more predicted positives
    # The reported metrics use the decisions the model makes.
    evaluated = model.evaluate(X, y)
    truth = np.asarray(y)
    recall = np.mean(np.asarray(model.predict(X))[truth == 1] == 1)
    assert evaluated.metric["macro_recall"] == pytest.approx(
        (recall + np.mean(np.asarray(model.predict(X))[truth == 0] == 0)) / 2)


def test_the_tuned_threshold_improves_its_metric_out_of_sample(tuned):
    _, _, results = tuned
    X_test, y_test = imbalanced(3000, 7)
    truth = np.asarray(y_test)

    def balanced(model):
        return balanced_accuracy_score(truth, np.asarray(model.predict(X_test)))

    assert balanced(results["balanced_accuracy"].model) > balanced(results[None].model) + 0.05


# --- weights ----------------------------------------------------------------------------------


def overlapping(n: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + rng.normal(size=n) * 1.5 > 0).astype(int)
    return X, y


@pytest.mark.parametrize("learner", [
    LGBMLearner("lgbm", params={"num_leaves": 8, "min_data_in_leaf": 10}, max_rounds=60,
                early_stopping=None),
    CatBoostLearner("catboost", params={"depth": 3}, max_rounds=60, early_stopping=None),
    LinearLearner(),
], ids=lambda learner: learner.family)
def test_upweighting_a_class_shifts_every_familys_predictions(learner):
    X, y = overlapping(400, 3)
    ctx = FitContext("classification", 2, (), 0, 1)
    plain = learner.fit(ctx, X, y).predict(X)[:, 1].mean()
    weight = np.where(y == 1, 5.0, 1.0)
    heavy = learner.fit(ctx, X, y, weight=weight).predict(X)[:, 1].mean()
    assert heavy > plain + 0.1


def test_regression_weights_pull_the_fit_toward_heavy_rows():
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    y = X[:, 0] + np.where(np.arange(300) < 150, 0.0, 4.0)  # two groups, offset by 4
    Xf = Features(X, ["a", "b"])
    plain = train(Xf, y.tolist(), task="regression", mode="high_speed", seed=0)
    weight = np.where(np.arange(300) < 150, 1.0, 0.0)  # only the first group counts
    heavy = train(Xf, y.tolist(), task="regression", mode="high_speed", seed=0,
                  sample_weight=weight, eval_metric="mae")
    first = Features(X[:150], ["a", "b"])
    error_plain = np.abs(np.asarray(plain.model.predict(first)) - y[:150]).mean()
    error_heavy = np.abs(np.asarray(heavy.model.predict(first)) - y[:150]).mean()
    assert error_heavy < error_plain / 2
    assert heavy.leaderboard[0]["metric"] == "mae"


def test_class_weight_balanced_raises_minority_recall():
    X, y = imbalanced(600, 0)
    X_test, y_test = imbalanced(3000, 7)
    truth = np.asarray(y_test)

    def recall(result):
        return np.mean(np.asarray(result.model.predict(X_test))[truth == 1] == 1)

    plain = train(X, y, task="classification", mode="high_speed", seed=0)
    balanced = train(X, y, task="classification", mode="high_speed", seed=0,
                     class_weight="balanced")
    assert balanced.model.threshold is None  # auc: the weights alone move the decisions
    assert recall(balanced) > recall(plain) + 0.2


def test_bad_weights_and_options_are_refused_and_missing_weights_drop_rows():
    X, y = imbalanced(200, 1)
    weight = np.ones(200)
    weight[5] = -1.0
    with pytest.raises(TrainingError, match="row 6"):
        train(X, y, task="classification", mode="high_speed", sample_weight=weight)
    with pytest.raises(TrainingError, match="every sample weight is 0"):
        train(X, y, task="classification", mode="high_speed", sample_weight=np.zeros(200))
    with pytest.raises(TrainingError, match="rmse, mse, mae, r2, mape"):
        train(X, [float(v) for v in y], task="regression", mode="high_speed", eval_metric="auc")
    with pytest.raises(TrainingError, match="class_weight is for classification"):
        train(X, [float(v) for v in y], task="regression", mode="high_speed",
              class_weight="balanced")
    weight = np.ones(200)
    weight[:50] = np.nan  # rows without a weight are left out, like rows without a label
    result = train(X, y, task="classification", mode="high_speed", sample_weight=weight)
    assert result.diagnostics["n"] == 150


def test_only_the_ratios_of_sample_weights_matter():
    """Uniform weights of any size train the model no weights train (LightGBM's minimum
    hessian per leaf and the linear penalty would otherwise read their scale: at 1e-5 the
    LightGBM predicted the prior)."""
    X, y = make_data("binary", n=300, seed=9)
    plain = train(X, y, task="classification", mode="high_speed")
    for scale in (1e-5, 1e-300, 1e300):
        weighted = train(X, y, task="classification", mode="high_speed",
                         sample_weight=np.full(300, scale))
        np.testing.assert_allclose(weighted.model.predict_proba(X), plain.model.predict_proba(X))


@pytest.mark.parametrize(
    ("weights", "message"),
    [(np.ones((300, 1)), r"shape \(300, 1\) for 300 rows; give one number per row"),
     (["heavy"] * 300, "sample weights must be numbers"),
     ([1.0] * 299, "299 sample weights for 300 rows"),
     ([1.0] + [0.0] * 299, "only one labelled row has a sample weight above 0")],
)
def test_malformed_sample_weights_are_refused_saying_what_is_wrong(weights, message):
    X, y = make_data("binary", n=300, seed=9)
    with pytest.raises(TrainingError, match=message):
        train(X, y, task="classification", mode="high_speed", sample_weight=weights)

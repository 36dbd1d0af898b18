"""The CatBoost learner: categorical codes with missing and unseen values, early stopping,
deadlines, and a pickle-free artifact that predicts exactly as the fitted model."""

import time

import numpy as np
import pytest

from app.automl.models import BudgetExceeded, CatBoostLearner, FitContext, load_component
from app.automl.models.base import NotApplicable


def _data(n, seed, n_classes=0):
    """Column 0 numeric, column 1 a categorical code (NaN = missing) that drives the label."""
    rng = np.random.default_rng(seed)
    codes = rng.integers(0, 3, n).astype(float)
    codes[rng.random(n) < 0.1] = np.nan
    x = rng.standard_normal(n)
    effect = np.nan_to_num(np.array([2.0, -2.0, 0.0])[np.nan_to_num(codes, nan=2).astype(int)])
    score = x + effect + 0.5 * rng.standard_normal(n)  # noise: early stopping has work
    if n_classes == 0:
        y = score
    elif n_classes == 2:
        y = (score > 0).astype(np.int64)
    else:
        y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3])).astype(np.int64)
    return np.column_stack([x, codes]), y


def _ctx(task, n_classes):
    return FitContext(task, n_classes, (1,), seed=0, threads=1)


@pytest.mark.parametrize(
    ("task", "n_classes"), [("classification", 2), ("classification", 3), ("regression", 0)]
)
def test_fits_categorical_codes_and_round_trips(task, n_classes):
    X, y = _data(400, 1, n_classes)
    Xv, yv = _data(200, 2, n_classes)
    learner = CatBoostLearner("catboost", params={"learning_rate": 0.1}, max_rounds=500,
                              early_stopping=20)
    fitted = learner.fit(_ctx(task, n_classes), X, y, valid=(Xv, yv))
    assert 0 < learner.best_rounds(fitted) < 500  # early stopping on the validation rows
    pred = fitted.predict(Xv)
    if task == "classification":
        assert pred.shape == (200, n_classes) and np.allclose(pred.sum(axis=1), 1)
        assert np.mean(pred.argmax(axis=1) == yv) > 0.7
    else:
        assert pred.shape == (200,) and np.mean((pred - yv) ** 2) < 0.5 * np.var(yv)
    meta, files = fitted.to_artifact()
    assert set(files) == {"model.cbm"} and meta["family"] == "catboost"
    loaded = load_component(meta, files, threads=1)
    np.testing.assert_array_equal(loaded.predict(Xv), pred)
    # A category code never seen in training (7) predicts like a missing value, not an error.
    unseen = Xv.copy()
    unseen[:, 1] = 7
    assert np.isfinite(loaded.predict(unseen)).all()


def test_same_seed_same_model_and_bytes():
    X, y = _data(300, 3, 2)
    learner = CatBoostLearner("catboost", params={}, max_rounds=100, early_stopping=None)
    a = learner.fit(_ctx("classification", 2), X, y)
    b = learner.fit(_ctx("classification", 2), X, y)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))
    assert a.to_artifact() == b.to_artifact()  # no random model id or time stamp
    meta, files = a.to_artifact()
    assert load_component(meta, files, threads=1).to_artifact() == (meta, files)


def test_deadline_abandons_and_stop_at_keeps_trees():
    X, y = _data(300, 4, 2)
    learner = CatBoostLearner("catboost", params={}, max_rounds=5000, early_stopping=None)
    ctx = _ctx("classification", 2)
    with pytest.raises(BudgetExceeded):
        learner.fit(ctx, X, y, deadline=time.monotonic() - 1)
    cut = learner.fit(ctx, X, y, stop_at=time.monotonic() + 0.5)
    assert 0 < cut.trained_rounds < 5000
    assert cut.predict(X).shape == (300, 2)


def test_data_catboost_refuses_drops_the_candidate_with_the_reason():
    """CatBoost refuses a constant target (LightGBM fits it): a NotApplicable, which the search
    drops like a candidate out of time, naming the learner and CatBoost's reason."""
    X, _ = _data(100, 3)
    with pytest.raises(NotApplicable, match="^catboost: .*equal"):
        CatBoostLearner("catboost").fit(_ctx("regression", 0), X, np.full(100, 5.0))

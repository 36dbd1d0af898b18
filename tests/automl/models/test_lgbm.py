"""The LightGBM learner's prediction by blocks of trees."""

import numpy as np
import pytest
import scipy.sparse as sp

from app.automl.models import FitContext, LGBMLearner, LinearLearner
from app.automl.models.base import NotApplicable
from app.automl.models.lgbm import PREDICT_BLOCK_TREES


@pytest.mark.parametrize(
    ("task", "n_classes", "boosting"),
    [
        ("classification", 2, "gbdt"),
        ("classification", 5, "gbdt"),
        ("regression", 0, "gbdt"),
        ("classification", 3, "rf"),
        ("regression", 0, "rf"),
    ],
)
def test_blocked_prediction_equals_lightgbms_own(task, n_classes, boosting):
    rng = np.random.default_rng(0)
    X = rng.random((600, 6))
    y = (X[:, 0] * n_classes).astype(int) if n_classes else X[:, 0] * 10 + X[:, 1]
    params = {"num_leaves": 15, "min_data_in_leaf": 5, "boosting": boosting}
    if boosting == "rf":
        params.update(bagging_fraction=0.632, bagging_freq=1)
    rounds = 3 * PREDICT_BLOCK_TREES + 7  # several blocks and a partial one
    ctx = FitContext(task, n_classes, (), 0, 1)
    fitted = LGBMLearner("l", params=params, max_rounds=rounds, early_stopping=None).fit(ctx, X, y)
    ours = fitted.predict(X)
    theirs = fitted.booster.predict(X, num_iteration=fitted.num_iteration)
    if n_classes == 2:
        theirs = np.column_stack([1 - theirs, theirs])
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fitted.predict(sp.csr_matrix(X)), ours, rtol=1e-12)


def test_blocked_prediction_stops_at_the_best_iteration():
    rng = np.random.default_rng(1)
    X = rng.random((800, 4))
    y = 5 * X[:, 0] + np.sin(8 * X[:, 1]) + rng.normal(0, 0.5, 800)
    ctx = FitContext("regression", 0, (), 0, 1)
    fitted = LGBMLearner("l", params={"learning_rate": 0.01}, max_rounds=3000,
                         early_stopping=10).fit(
        ctx, X[:600], y[:600], valid=(X[600:], y[600:])
    )
    assert PREDICT_BLOCK_TREES < fitted.num_iteration < fitted.trained_rounds
    expected = fitted.booster.predict(X, num_iteration=fitted.num_iteration)
    np.testing.assert_allclose(fitted.predict(X), expected, rtol=1e-9, atol=1e-12)


def test_a_configuration_the_fold_cannot_feed_is_not_applicable():
    """Bagging 80 % of a one-row fold leaves LightGBM no rows: the candidate is dropped (a
    NotApplicable naming it), not the training."""
    ctx = FitContext("regression", 0, (), seed=0, threads=1)
    learner = LGBMLearner("bagged", params={"bagging_fraction": 0.8, "bagging_freq": 1},
                          max_rounds=5, early_stopping=None)
    with pytest.raises(NotApplicable, match="^bagged: "):
        learner.fit(ctx, np.array([[0.0, 1.0]]), np.array([1.0]))


def test_a_fold_whose_rows_all_weigh_0_is_not_applicable_to_the_linear_model():
    ctx = FitContext("regression", 0, (), seed=0, threads=1)
    X, y = np.arange(8.0).reshape(4, 2), np.arange(4.0)
    with pytest.raises(NotApplicable, match="weighs 0"):
        LinearLearner("linear").fit(ctx, X, y, weight=np.zeros(4))

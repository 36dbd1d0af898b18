"""What each mode plans for data of a given shape."""

import numpy as np
import pytest

from app.automl import portfolio
from app.automl.models import CatBoostLearner, FitContext, LGBMLearner


def _catboosts(plan):
    learners = plan.learners + plan.extra_learners
    return [learner for learner in learners if learner.family == "catboost"]


def _names(learners):
    return [learner.name for learner in learners]


def test_many_classes_get_no_catboost():
    letter = (16_000, 16, 26)  # CatBoost alone took 135 s of a 300 s budget on letter
    assert _catboosts(portfolio.plan_for("balanced", *letter)) == []
    assert _catboosts(portfolio.plan_for("high_accuracy", *letter)) == []


def test_high_accuracy_tries_catboost_variants_where_catboost_fits():
    accurate = portfolio.plan_for("high_accuracy", 5000, 10, 2)
    assert _names(_catboosts(accurate)) == ["catboost", "catboost_deep", "catboost_shallow"]
    assert _names(_catboosts(portfolio.plan_for("balanced", 5000, 10, 2))) == ["catboost"]


def test_pruning_is_on_in_high_accuracy_only():
    assert portfolio.plan_for("high_accuracy", 5000, 10, 2).prune_tolerance > 0
    assert portfolio.plan_for("balanced", 5000, 10, 2).prune_tolerance == 0


def test_prediction_cost_counts_trees_per_class_and_cheap_oblivious_trees():
    rng = np.random.default_rng(0)
    X = rng.random((300, 4))
    y = rng.integers(0, 3, 300)
    ctx = FitContext("classification", 3, (), 0, 1)
    lgbm = LGBMLearner("l", params={"num_leaves": 31, "min_data_in_leaf": 5}, max_rounds=40,
                       early_stopping=None).fit(ctx, X, y)
    catboost = CatBoostLearner("c", params={}, max_rounds=40, early_stopping=None).fit(ctx, X, y)
    assert lgbm.predict_cost() > 3 * 40 * 0.9  # a tree per class and round
    assert 0 < catboost.predict_cost() < lgbm.predict_cost() / 5


def test_l2_penalties_are_in_units_of_a_rows_hessian():
    """A multiclass row's hessian per class is about 1 / n_classes of a regression row's:
    the fixed LightGBMs' L2 penalties are scaled by it, and unchanged for two classes or
    regression."""

    def penalties(n_classes):
        plan = portfolio.plan_for("high_accuracy", 1500, 64, n_classes)
        learners = plan.learners + plan.extra_learners + plan.stack_learners
        return {learner.name: learner.params["lambda_l2"] for learner in learners
                if learner.family == "lgbm" and "lambda_l2" in learner.params}

    regression, binary, ten = penalties(0), penalties(2), penalties(10)
    assert regression == binary and regression["lgbm_small"] == 10.0
    assert set(ten) == set(regression)
    assert all(ten[name] == pytest.approx(regression[name] / 10) for name in ten)


def test_high_speeds_default_budget_grows_with_rows_times_classes():
    assert portfolio.default_budget("high_speed", 36_000, 14, 2) == portfolio.HIGH_SPEED_BUDGET
    assert portfolio.default_budget("high_speed", 150_000, 15, 0) == portfolio.HIGH_SPEED_BUDGET
    letter = portfolio.plan_for("high_speed", 16_000, 16, 26).default_budget
    assert letter == pytest.approx(portfolio.HIGH_SPEED_BUDGET * 16_000 * 26 / 200_000)
    huge = portfolio.default_budget("high_speed", 5_000_000, 10, 2)
    assert huge == portfolio.HIGH_SPEED_MAX_BUDGET


def test_multiclass_catboost_costs_a_round_per_class():
    """CatBoost's cells count each class for multiclass: on digits' shape it leaves balanced
    for high_accuracy's extras, where the extra-trees LightGBM runs before it."""
    digits = (1437, 64, 10)
    assert _catboosts(portfolio.plan_for("balanced", *digits)) == []
    accurate = portfolio.plan_for("high_accuracy", *digits)
    assert _names(accurate.extra_learners)[:2] == ["lgbm_extra_trees", "catboost"]
    assert _names(_catboosts(portfolio.plan_for("balanced", 1437, 64, 2))) == ["catboost"]
    binary = portfolio.plan_for("high_accuracy", 1437, 64, 2)
    assert _names(binary.extra_learners)[:3] == [
        "catboost_deep", "catboost_shallow", "lgbm_extra_trees"]

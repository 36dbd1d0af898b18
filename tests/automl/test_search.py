"""Hyperparameter search, selection scores and the balanced/high_accuracy relation."""

import dataclasses
import time

import numpy as np
import pytest
from sklearn.metrics import log_loss, roc_auc_score

from app.automl import engine, portfolio, prepare, search, train
from app.automl.metrics import selection_scorer
from app.automl.models import BudgetExceeded, FitContext, LGBMLearner
from app.automl.models.lgbm import LGBMSearchSpace
from app.automl.search import CandidateResult, run_candidates
from app.automl.selection import cost_of
from app.automl.tuning import trials
from app.automl.validation import make_folds

from .helpers import make_data


def _result(learner, score):
    return CandidateResult(learner, np.arange(2), np.zeros(2), score, [], [], 0.0)


def _propose(history, n_trials=9, seed=0, start=0):
    scorer = selection_scorer("regression", 0)
    space = LGBMSearchSpace(2000, 10, True, base={"max_bin": 63}, max_rounds=3000)
    return list(trials(space, seed, n_trials, lambda: history, scorer, start))


def test_trials_are_deterministic_and_inside_the_space():
    base = LGBMLearner("lgbm_default", params={"learning_rate": 0.1, "num_leaves": 15})
    history = [_result(base, 1.0)]
    first, second = _propose(history), _propose(history)
    assert [t.params for t in first] == [t.params for t in second]
    assert [t.name for t in first] == [f"lgbm_tuned_{k}" for k in range(9)]
    assert len({tuple(sorted(t.params.items())) for t in first}) == 9  # all different
    assert [t.params for t in _propose(history, seed=1)] != [t.params for t in first]
    space = LGBMSearchSpace(2000, 10, True, base={"max_bin": 63}, max_rounds=3000)
    dims = {d.name: d for d in space.dims}
    for trial in first:
        assert trial.params["max_bin"] == 63  # the fixed base parameters are kept
        for name, dim in dims.items():
            if name != "extra_trees":
                assert dim.low <= trial.params[name] <= dim.high or (
                    name == "lambda_l1" and trial.params[name] == 0.0
                )
        assert 300 <= trial.max_rounds <= 3000 and trial.early_stopping == 50


def test_trials_search_around_the_best_configuration():
    """Exploitation steps move from the best LightGBM so far, whichever came first."""
    good = LGBMLearner("a", params={"learning_rate": 0.03, "num_leaves": 200, "lambda_l2": 50.0})
    bad = LGBMLearner("b", params={"learning_rate": 0.2, "num_leaves": 4, "lambda_l2": 0.001})
    near_good = _propose([_result(bad, 2.0), _result(good, 1.0)], n_trials=30)
    near_bad = _propose([_result(bad, 1.0), _result(good, 2.0)], n_trials=30)
    local = [k for k in range(30) if k % 3]  # every third trial is a random point

    def median_leaves(trials):
        return np.median([trials[k].params["num_leaves"] for k in local])

    assert median_leaves(near_good) > 4 * median_leaves(near_bad)
    # the random (exploration) trials do not depend on the history
    assert [near_good[k].params for k in range(0, 30, 3)] == [
        near_bad[k].params for k in range(0, 30, 3)
    ]


def test_selection_scores_match_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 500)
    p = np.round(rng.random(500), 2)  # ties
    auc = selection_scorer("classification", 2)
    assert auc.greater_is_better
    assert auc(y, np.column_stack([1 - p, p])) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    y3 = rng.integers(0, 3, 500)
    proba = rng.dirichlet(np.ones(3), 500)
    loss = selection_scorer("classification", 3)
    assert loss.name == "log_loss" and not loss.greater_is_better
    assert loss(y3, proba) == pytest.approx(log_loss(y3, proba, labels=[0, 1, 2]))


def test_multiclass_is_chosen_by_log_loss():
    X, y = make_data("multiclass", n=300, seed=3)
    result = train(X, y, task="classification", mode="balanced", time_budget=4)
    board = result.leaderboard
    assert all(e["metric"] == "log_loss" for e in board)
    assert [e["score"] for e in board] == sorted(e["score"] for e in board)
    assert board[0]["score"] < 0.6  # better than chance (log 3 = 1.10) by far
    assert all(e["predict_seconds_per_row"] > 0 for e in board)  # an ensemble's too


def test_balanced_tunes_and_high_accuracy_extends_it(monkeypatch):
    """balanced runs its portfolio and then tuned LightGBMs; high_accuracy repeats exactly
    those (same folds, same proposals) before its own, so its out-of-fold choice cannot be
    worse than balanced's."""
    monkeypatch.setattr(portfolio, "BALANCED_TRIALS", 3)
    monkeypatch.setattr(portfolio, "HIGH_ACCURACY_TRIALS", 3)
    # More bag sets would change the repeated members' scores (the next test pins them).
    monkeypatch.setattr(portfolio, "HIGH_ACCURACY_BAG_SETS", 1)
    X, y = make_data("regression", n=300, seed=11)
    balanced = train(X, y, task="regression", mode="balanced", time_budget=300)
    accurate = train(X, y, task="regression", mode="high_accuracy", time_budget=300)

    def scores(result):
        return {e["model"]: e["score"] for e in result.leaderboard}

    b, a = scores(balanced), scores(accurate)
    tuned = {f"lgbm_tuned_{k}" for k in range(3)}
    assert tuned <= set(b) and not {"lgbm_tuned_3", "lgbm_deep"} & set(b)
    assert tuned | {"lgbm_tuned_3", "lgbm_tuned_5", "lgbm_deep", "catboost"} <= set(a)
    assert "catboost" in b  # in balanced's own portfolio on data this small
    # Both keep their members' fold models (a bag; high_accuracy may add bag sets).
    assert all(len(m.components) == 5 for m in accurate.model.members)
    assert all(len(m.components) == 5 for m in balanced.model.members)
    for name, score in b.items():
        if not name.startswith("ensemble("):
            assert a[name] == score  # same candidates, same folds, same scores
    assert accurate.leaderboard[0]["score"] <= balanced.leaderboard[0]["score"]


class _Fitted:
    family = "fake"

    def predict(self, X):
        return np.zeros(X.shape[0])


class _Fake:
    family = "fake"

    def __init__(self, name, fails=False):
        self.name, self.fails = name, fails
        self.calls = []  # (time.monotonic() at the fit, its stop_at)

    def fit(self, ctx, X, y, valid=None, rounds=None, deadline=None, stop_at=None):
        self.calls.append((time.monotonic(), stop_at))
        if self.fails:
            raise BudgetExceeded
        return _Fitted()

    def best_rounds(self, fitted):
        return None


def test_run_candidates_skips_what_cannot_finish_and_goes_on():
    y = np.linspace(0, 1, 40)
    X = np.zeros((40, 2))
    folds = make_folds(y, "regression", 2, None, 0)
    ctx = FitContext("regression", 0, (), 0, 1)
    learners = [_Fake("first"), _Fake("costly"), _Fake("runs_out", fails=True), _Fake("cheap")]
    results = run_candidates(
        iter(learners),
        ctx,
        X,
        y,
        folds,
        selection_scorer("regression", 0),
        time.monotonic() + 60,
        lambda done: 0.0,
        lambda i, step: None,
        cost=lambda learner, done: 1e6 if learner.name == "costly" else None,
    )
    assert [(r.learner.name, r.index) for r in results] == [("first", 0), ("cheap", 3)]


def test_refit_rounds_exclude_the_early_stopping_patience():
    rng = np.random.default_rng(0)
    X = rng.random((500, 4))
    y = X[:, 0] + rng.normal(0, 1, 500)
    ctx = FitContext("regression", 0, (), 0, 1)
    fitted = LGBMLearner("a", params={"learning_rate": 0.1}, max_rounds=1000,
                         early_stopping=20).fit(
        ctx, X[:400], y[:400], valid=(X[400:], y[400:])
    )
    assert fitted.trained_rounds == fitted.num_iteration + 20


def test_high_speed_has_a_default_budget(monkeypatch):
    monkeypatch.setattr(portfolio, "HIGH_SPEED_BUDGET", 1.0)
    X, y = make_data("multiclass", n=20_000, seed=5, n_classes=8, d=20)
    start = time.monotonic()
    result = train(X, y, task="classification", mode="high_speed")
    assert time.monotonic() - start < 2.5
    assert result.validation_metric["accuracy"] > 0.4  # a usable model (chance: 0.125)


def test_a_candidate_may_take_a_share_of_the_time_left():
    """Each fold's fit of a later candidate is told to stop (keeping its rounds) within
    CANDIDATE_TIME_SHARE of the time left, split over the folds; the fallback is not."""
    y = np.linspace(0, 1, 40)
    X = np.zeros((40, 2))
    folds = make_folds(y, "regression", 4, None, 0)
    learners = [_Fake("fallback"), _Fake("later")]
    started = time.monotonic()
    deadline = started + 100
    run_candidates(learners, FitContext("regression", 0, (), 0, 1), X, y, folds,
                   selection_scorer("regression", 0), deadline, lambda done: 0.0,
                   lambda i, step: None)
    assert all(stop_at == pytest.approx(deadline, abs=50) for _, stop_at in learners[0].calls)
    share = search.CANDIDATE_TIME_SHARE * (deadline - started) / len(folds)
    assert len(learners[1].calls) == len(folds)
    assert all(at < stop_at <= at + share for at, stop_at in learners[1].calls)


class _Costly:
    def __init__(self, cost):
        self.cost = cost

    def predict_cost(self):
        return self.cost


def test_ensemble_cost_counts_bags_and_the_stack_inputs_once():
    def result(costs, stacked=False):
        models = [_Costly(c) for c in costs]
        r = CandidateResult(None, np.arange(2), np.zeros(2), 0.0, models, [], 0.0)
        r.stacked = stacked
        return r

    results = [result([1, 2]), result([10, 20]), result([100, 200], True), result([5, 5], True)]
    bag = cost_of(results, [0, 1], bagged=True)
    assert bag(frozenset({0})) == 3
    assert bag(frozenset({2})) == 300 + 3 + 30  # a stacked member needs its inputs
    assert bag(frozenset({1, 2, 3})) == 300 + 10 + 3 + 30  # inputs counted once
    refit = cost_of(results, [0, 1], bagged=False)  # one model per member
    assert refit(frozenset({0, 3})) == 1 + 5 + 10


def test_only_high_accuracy_prunes(monkeypatch):
    calls = []

    def spy(preds, y, scorer, weights, score, cost, tolerance):
        calls.append(tolerance)
        return weights, score

    monkeypatch.setattr(engine, "prune_by_cost", spy)
    monkeypatch.setattr(portfolio, "BALANCED_TRIALS", 1)
    monkeypatch.setattr(portfolio, "HIGH_ACCURACY_TRIALS", 1)
    X, y = make_data("regression", n=200, seed=3)
    train(X, y, task="regression", mode="balanced", time_budget=60)
    assert calls == []
    train(X, y, task="regression", mode="high_accuracy", time_budget=300)
    assert calls == [portfolio.PRUNE_TOLERANCE]
    # Above the k-fold limit a holdout replaces CV and members are refit: nothing is pruned.
    plan_for = prepare.plan_for
    monkeypatch.setattr(
        prepare, "plan_for", lambda *a: dataclasses.replace(plan_for(*a), cv_max_rows=10)
    )
    holdout = train(X, y, task="regression", mode="high_accuracy", time_budget=300)
    assert calls == [portfolio.PRUNE_TOLERANCE]
    assert all(len(m.components) == 1 for m in holdout.model.members)


def test_time_left_buys_more_bag_sets_of_the_ensemble(monkeypatch):
    """high_accuracy on small data finishes its candidates early: the ensemble's members get
    more k-fold sets (their bags grow by k models a set, up to the plan's number of sets)
    while averaging them helps out of fold; without sets to fill, nothing is repeated."""
    monkeypatch.setattr(portfolio, "BALANCED_TRIALS", 1)
    monkeypatch.setattr(portfolio, "HIGH_ACCURACY_TRIALS", 1)
    X, y = make_data("multiclass", n=300, seed=4)
    filled = train(X, y, task="classification", mode="high_accuracy", time_budget=300)
    sets = portfolio.HIGH_ACCURACY_BAG_SETS
    bags = [len(m.components) for m in filled.model.members]
    assert all(size % 5 == 0 and size <= 5 * sets for size in bags)
    assert max(bags) > 5
    monkeypatch.setattr(portfolio, "HIGH_ACCURACY_BAG_SETS", 1)
    single = train(X, y, task="classification", mode="high_accuracy", time_budget=300)
    assert all(len(m.components) == 5 for m in single.model.members)
    assert filled.leaderboard[0]["score"] <= single.leaderboard[0]["score"]  # log loss

"""Greedy ensemble selection and pruning by prediction cost."""

import numpy as np

from app.automl.ensemble import greedy_selection, prune_by_cost
from app.automl.metrics import selection_scorer


def _three_predictions(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    a = y + rng.normal(0, 1, n)
    b = a + rng.normal(0, 0.01, n)  # a near copy of a
    c = y + rng.normal(0, 1, n)  # independent errors: blending with it halves the MSE
    return y, [a, b, c]


def _cost(costs):
    return lambda chosen: sum(costs[i] for i in chosen)


def test_pruning_drops_a_costly_near_duplicate_and_keeps_what_helps():
    y, preds = _three_predictions()
    scorer = selection_scorer("regression", 0)
    weights = np.full(3, 1 / 3)
    score = scorer(y, sum(preds) / 3)
    pruned, pruned_score = prune_by_cost(
        preds, y, scorer, weights, score, _cost([1.0, 100.0, 100.0]), 0.002
    )
    assert pruned[1] == 0 and pruned[0] > 0 and pruned[2] > 0
    assert pruned.sum() == np.float64(1.0)
    assert pruned_score <= score * 1.002
    # c is as costly as b, but dropping it would double the error: it stays.
    assert pruned_score < 0.6 * scorer(y, preds[0])


def test_pruning_with_no_slack_keeps_a_blend_that_every_member_improves():
    y, preds = _three_predictions(seed=1)
    scorer = selection_scorer("regression", 0)
    weights, score = greedy_selection([preds[0], preds[2]], y, scorer)
    full = np.array([weights[0], 0.0, weights[1]])
    pruned, pruned_score = prune_by_cost(preds, y, scorer, full, score, _cost([5, 5, 5]), 0.0)
    np.testing.assert_array_equal(pruned, full)
    assert pruned_score == score


def test_pruning_reads_auc_as_an_error_of_one_minus_auc():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 3000)
    signal = y + rng.normal(0, 1.0, 3000)

    def proba(noise):
        p = 1 / (1 + np.exp(-(signal + rng.normal(0, noise, 3000))))
        return np.column_stack([1 - p, p])

    preds = [proba(0.5), proba(0.5)]
    scorer = selection_scorer("classification", 2)
    score = scorer(y, (preds[0] + preds[1]) / 2)
    # Either alone loses more than 0.1 % of 1 - AUC but less than 20 %.
    single = max(scorer(y, p) for p in preds)
    assert (1 - single) > 1.001 * (1 - score)
    kept, _ = prune_by_cost(preds, y, scorer, np.full(2, 0.5), score, _cost([1, 2]), 0.001)
    assert (kept > 0).all()
    cheap, cheap_score = prune_by_cost(
        preds, y, scorer, np.full(2, 0.5), score, _cost([1, 2]), 0.2
    )
    assert cheap.tolist() == [1.0, 0.0] and (1 - cheap_score) <= 1.2 * (1 - score)

"""Greedy ensemble selection (Caruana et al., 2004) on out-of-fold predictions."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .metrics import Scorer


def greedy_selection(
    preds: list[np.ndarray],
    y: np.ndarray,
    scorer: Scorer,
    rounds: int = 25,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Weights over `preds` (summing to 1) and the score of the weighted average (`weight`:
    the rows' sample weights, if any, in that score).

    Adds one model per round, with replacement, choosing the one that gives the best blend;
    the best blend seen over all rounds is returned. The first round picks the best single
    model, so the result is never worse than it.
    """
    counts = np.zeros(len(preds))
    total = np.zeros_like(preds[0], dtype=np.float64)
    best_counts, best_score = None, None
    for step in range(1, rounds + 1):
        choice, choice_score = 0, None
        for j, pred in enumerate(preds):
            score = scorer(y, (total + pred) / step, weight)
            if choice_score is None or scorer.better(score, choice_score):
                choice, choice_score = j, score
        counts[choice] += 1
        total += preds[choice]
        if best_score is None or scorer.better(choice_score, best_score):
            best_counts, best_score = counts.copy(), choice_score
        if len(preds) == 1:
            break
    return best_counts / best_counts.sum(), float(best_score)


def error(scorer: Scorer, score: float) -> float:
    """Lower is better: the score of a loss, 1 - score of the others (ROC AUC, accuracy...)."""
    return 1.0 - score if scorer.greater_is_better else score


def prune_by_cost(
    preds: list[np.ndarray],
    y: np.ndarray,
    scorer: Scorer,
    weights: np.ndarray,
    score: float,
    cost: Callable[[frozenset[int]], float],
    tolerance: float,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Drop ensemble members while the blend's error stays within `tolerance` (relative)
    of the error of `score`, the blend given by `weights`.

    The error is the score for losses and 1 - score for the others (ROC AUC, accuracy...).
    `cost` gives the prediction cost of a set of members (which may share inputs, such as a
    stack's). Each step tries the removals that save the most first and reweights the
    remaining members by greedy selection; it stops when no removal keeps the error in bounds.
    """

    limit = error(scorer, score) * (1.0 + tolerance)
    chosen = frozenset(int(i) for i in np.flatnonzero(weights > 0))
    dropped = True
    while dropped and len(chosen) > 1:
        dropped = False
        total = cost(chosen)
        savings = sorted(((total - cost(chosen - {i}), i) for i in chosen), reverse=True)
        for saving, i in savings:
            if saving <= 0:
                break
            rest = sorted(chosen - {i})
            rest_weights, rest_score = greedy_selection(
                [preds[j] for j in rest], y, scorer, weight=weight
            )
            if error(scorer, rest_score) <= limit:
                weights = np.zeros(len(preds))
                weights[rest] = rest_weights
                score, dropped = rest_score, True
                chosen = frozenset(int(j) for j in np.flatnonzero(weights > 0))
                break
    return weights, score


def blend(preds: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    out = np.zeros_like(preds[0], dtype=np.float64)
    for pred, weight in zip(preds, weights, strict=True):
        if weight:
            out += weight * pred
    return out

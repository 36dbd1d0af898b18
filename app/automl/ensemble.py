"""Greedy ensemble selection (Caruana et al., 2004) on out-of-fold predictions."""

from __future__ import annotations

import numpy as np

from .metrics import Scorer


def greedy_selection(
    preds: list[np.ndarray], y: np.ndarray, scorer: Scorer, rounds: int = 25
) -> tuple[np.ndarray, float]:
    """Weights over `preds` (summing to 1) and the score of the weighted average.

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
            score = scorer(y, (total + pred) / step)
            if choice_score is None or scorer.better(score, choice_score):
                choice, choice_score = j, score
        counts[choice] += 1
        total += preds[choice]
        if best_score is None or scorer.better(choice_score, best_score):
            best_counts, best_score = counts.copy(), choice_score
        if len(preds) == 1:
            break
    return best_counts / best_counts.sum(), float(best_score)


def blend(preds: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    out = np.zeros_like(preds[0], dtype=np.float64)
    for pred, weight in zip(preds, weights, strict=True):
        if weight:
            out += weight * pred
    return out

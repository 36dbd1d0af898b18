"""The select phase's pieces: which candidates ensemble selection may weigh, which feed the
stack, and what a set of members costs to predict."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .ensemble import greedy_selection
from .metrics import Scorer
from .portfolio import ModePlan
from .search import CandidateResult
from .stacking import stack_input_count

# Greedy ensemble selection considers the fixed portfolio plus this many of the best tuned
# candidates (near-duplicates of each other beyond that, and each costs selection time).
ENSEMBLE_TOP = 10


def _pool(results: list[CandidateResult], size: int, n_fixed: int, scorer: Scorer) -> list[int]:
    """Indices of the results of the first `size` learners that ensemble selection may use:
    those of the first `n_fixed` learners (the fixed portfolio) and the best others."""
    eligible = [i for i, r in enumerate(results) if r.index < size]
    ranked = sorted(eligible, key=lambda i: scorer.sort_key(results[i].score))
    fixed = {i for i in eligible if results[i].index < n_fixed}
    return sorted(fixed | set(ranked[:ENSEMBLE_TOP]))


def choose(
    results: list[CandidateResult],
    y: np.ndarray,
    scorer: Scorer,
    plan: ModePlan,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Weights over `results` and their out-of-fold score: the best single candidate, or a
    greedy ensemble that scores better (over every candidate, and over balanced's)."""
    scores = [r.score for r in results]
    best = int(np.argmin([scorer.sort_key(s) for s in scores]))
    weights = np.zeros(len(results))
    weights[best] = 1.0
    chosen = (weights, scores[best])
    if not plan.ensemble or len(results) < 2:
        return chosen
    pools = [max(r.index for r in results) + 1]  # every candidate, the stack included
    if any(r.index >= plan.n_baseline for r in results):
        pools.append(plan.n_baseline)  # what balanced would pick, for the never-worse guarantee
    for size in pools:
        pool = _pool(results, size, len(plan.learners), scorer)
        pool_weights, score = greedy_selection(
            [results[i].oof for i in pool], y, scorer, weight=weight
        )
        if scorer.better(score, chosen[1]):
            full = np.zeros(len(results))
            full[pool] = pool_weights
            chosen = (full, score)
    return chosen


def stack_inputs(weights: np.ndarray, n_classes: int) -> list[int]:
    """The first-level candidates whose predictions the stack sees: the members of the
    first-level ensemble, heaviest first (complementary models, and predicted anyway when the
    final blend keeps them); fewer when each prediction adds a column per class."""
    n_inputs = stack_input_count(n_classes)
    ranked = sorted(np.flatnonzero(weights > 0), key=lambda i: -weights[i])
    return sorted(int(i) for i in ranked[:n_inputs])


def member_cost(result: CandidateResult, bagged: bool) -> float:
    """Prediction cost of the member this result becomes: its bag, or one refit model."""
    models = result.models if bagged else result.models[:1]
    return float(sum(model.predict_cost() for model in models))


def cost_of(
    results: list[CandidateResult], inputs: list[int], bagged: bool
) -> Callable[[frozenset[int]], float]:
    """Prediction cost of the members made of a set of results, with the stack inputs when
    any of them is stacked (inputs are predicted once, however many stacked members)."""
    costs = [member_cost(r, bagged) for r in results]

    def cost(chosen: frozenset[int]) -> float:
        needed = set(chosen)
        if any(results[i].stacked for i in chosen):
            needed |= set(inputs)
        return sum(costs[i] for i in needed)

    return cost

"""Hyperparameter search over a family's space (`models.space.SearchSpace`): a seeded mix of
random and local search.

Trials alternate between a random point of the space (exploration) and a Gaussian step
around the best configuration of the space's family so far (exploitation, the idea of FLAML's
low-cost local search), with a step that shrinks as trials accumulate.

A proposal depends only on the seed, the trial number and the scores of the configurations
tried before it, and the fits are deterministic, so a search of a given number of trials
always produces the same configurations. The modes bound the search by a trial count; the
deadline only cuts it short on data too large to finish the trials in the budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from .metrics import Scorer
from .models import Learner
from .models.space import SearchSpace


def _best_point(space: SearchSpace, history: list, scorer: Scorer) -> np.ndarray | None:
    """The point of the best-scoring candidate the space can express (first on ties)."""
    best_u, best_score = None, None
    for result in history:
        u = space.point(result.learner)
        if u is None:
            continue
        if best_score is None or scorer.better(result.score, best_score):
            best_u, best_score = u, result.score
    return best_u


def trials(
    space: SearchSpace,
    seed: int,
    n_trials: int,
    history: Callable[[], list],
    scorer: Scorer,
    start: int = 0,
) -> Iterator[Learner]:
    """Yield `n_trials` learners (`<space.prefix>_<k>`, k from `start`), each proposed from
    the candidate results evaluated so far (`history()`, read lazily per trial)."""
    for k in range(start, start + n_trials):
        rng = np.random.default_rng([seed, 7919, k])
        best_u = _best_point(space, history(), scorer)
        if best_u is None or k % 3 == 0:
            u = rng.random(len(space.dims))
        else:
            sigma = max(0.05, 0.25 / math.sqrt(1 + k / 4))
            u = np.clip(best_u + rng.normal(0.0, sigma, len(space.dims)), 0.0, 1.0)
        yield space.learner(f"{space.prefix}_{k}", u)

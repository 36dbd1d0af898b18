"""Hyperparameter search for LightGBM: a seeded mix of random and local search.

Each parameter lives on a unit interval (log scale where that is natural). Trials alternate
between a random point of the space (exploration) and a Gaussian step around the best
LightGBM configuration so far (exploitation, the idea of FLAML's low-cost local search),
with a step that shrinks as trials accumulate.

A proposal depends only on the seed, the trial number and the scores of the configurations
tried before it, and LightGBM fits are deterministic, so a search of a given number of trials
always produces the same configurations. The modes bound the search by a trial count; the
deadline only cuts it short on data too large to finish the trials in the budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .metrics import Scorer
from .models import Learner, LGBMLearner


@dataclass(frozen=True)
class _Dim:
    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def value(self, u: float):
        u = min(1.0, max(0.0, float(u)))
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return int(round(x)) if self.integer else float(x)

    def unit(self, x) -> float:
        x = min(self.high, max(self.low, float(x)))
        if self.high <= self.low:
            return 0.0
        if self.log:
            return (math.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (x - self.low) / (self.high - self.low)


def search_space(n_rows: int, n_cols: int, has_categorical: bool) -> list[_Dim]:
    max_leaves = int(np.clip(n_rows // 8, 8, 512))
    max_leaf_rows = int(np.clip(n_rows // 20, 4, 200))
    dims = [
        _Dim("learning_rate", 0.02, 0.2, log=True),
        _Dim("num_leaves", 4, max_leaves, log=True, integer=True),
        _Dim("min_data_in_leaf", 2, max_leaf_rows, log=True, integer=True),
        _Dim("feature_fraction", 0.3 if n_cols > 3 else 0.8, 1.0),
        _Dim("bagging_fraction", 0.5, 1.0),
        _Dim("lambda_l2", 1e-3, 100.0, log=True),
        _Dim("lambda_l1", 1e-3, 10.0, log=True),
        _Dim("extra_trees", 0.0, 1.0),  # on above 0.7
    ]
    if has_categorical:
        dims += [
            _Dim("cat_smooth", 1.0, 100.0, log=True),
            _Dim("min_data_per_group", 2, 200, log=True, integer=True),
        ]
    return dims


def _params(dims: list[_Dim], u: np.ndarray, base: dict) -> dict:
    values = {d.name: d.value(x) for d, x in zip(dims, u, strict=True)}
    params = {**base, **values}
    params["extra_trees"] = values["extra_trees"] > 0.7
    # Tiny L1 penalties are noise; drop them so the configuration reads cleanly.
    if params["lambda_l1"] < 0.01:
        params["lambda_l1"] = 0.0
    if params["bagging_fraction"] < 0.95:
        params["bagging_freq"] = 1
    else:
        params["bagging_fraction"], params["bagging_freq"] = 1.0, 0
    return params


def _unit(dims: list[_Dim], params: dict) -> np.ndarray | None:
    """A configuration's point in the space (defaults for absent parameters); None if it is
    not a plain gradient-boosting configuration the space can express."""
    if params.get("boosting", "gbdt") != "gbdt":
        return None
    defaults = {
        "learning_rate": 0.1,
        "num_leaves": 31,
        "min_data_in_leaf": 20,
        "feature_fraction": 1.0,
        "bagging_fraction": 1.0,
        "lambda_l2": 1e-3,
        "lambda_l1": 1e-3,
        "extra_trees": 0.0,
        "cat_smooth": 10.0,
        "min_data_per_group": 100,
    }
    point = []
    for d in dims:
        x = params.get(d.name, defaults[d.name])
        if d.name == "extra_trees":
            x = 1.0 if x else 0.0
        if d.name == "bagging_fraction" and not params.get("bagging_freq"):
            x = 1.0
        if d.name in ("lambda_l1", "lambda_l2"):
            x = max(float(x), d.low)
        point.append(d.unit(x))
    return np.array(point)


def lgbm_trials(
    base: dict,
    n_rows: int,
    n_cols: int,
    has_categorical: bool,
    max_rounds: int,
    seed: int,
    n_trials: int,
    history: Callable[[], list],
    scorer: Scorer,
    start: int = 0,
) -> Iterator[Learner]:
    """Yield `n_trials` LightGBM learners (`lgbm_tuned_<k>`, k from `start`), each proposed
    from the candidate results evaluated so far (`history()`, read lazily per trial)."""
    dims = search_space(n_rows, n_cols, has_categorical)
    for k in range(start, start + n_trials):
        rng = np.random.default_rng([seed, 7919, k])
        best_u, best_score = None, None
        for result in history():
            learner = result.learner
            if not isinstance(learner, LGBMLearner):
                continue
            u = _unit(dims, learner.params)
            if u is None:
                continue
            if best_score is None or scorer.better(result.score, best_score):
                best_u, best_score = u, result.score
        if best_u is None or k % 3 == 0:
            u = rng.random(len(dims))
        else:
            sigma = max(0.05, 0.25 / math.sqrt(1 + k / 4))
            u = np.clip(best_u + rng.normal(0.0, sigma, len(dims)), 0.0, 1.0)
        params = _params(dims, u, base)
        # Fewer rounds for larger steps: small data otherwise spends most of a trial on
        # rounds that barely move the early-stopping metric.
        rounds = int(min(max_rounds, max(300, 40 / params["learning_rate"])))
        yield LGBMLearner(f"lgbm_tuned_{k}", params, rounds, 50)

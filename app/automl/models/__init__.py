"""Candidate model families."""

from .base import BudgetExceeded, FitContext, FittedComponent, Learner
from .catboost import CatBoostLearner, FittedCatBoost
from .forest import FittedForest, ForestLearner
from .knn import FittedKNN, KNNLearner
from .lgbm import FittedLGBM, LGBMLearner
from .linear import FittedLinear, LinearLearner

_LOADERS = {"lgbm": FittedLGBM, "linear": FittedLinear, "catboost": FittedCatBoost}
_LOADERS.update({"forest": FittedForest, "knn": FittedKNN})


def load_component(meta: dict, files: dict[str, bytes], threads: int) -> FittedComponent:
    """Rebuild a fitted component from `FittedComponent.to_artifact()` output."""
    return _LOADERS[meta["family"]].from_artifact(meta, files, threads)


__all__ = [
    "BudgetExceeded",
    "CatBoostLearner",
    "FitContext",
    "FittedComponent",
    "ForestLearner",
    "KNNLearner",
    "Learner",
    "LGBMLearner",
    "LinearLearner",
    "load_component",
]

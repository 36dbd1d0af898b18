"""CatBoost candidates (ordered boosting, symmetric trees), saved in CatBoost's own format.

CatBoost's ordered target statistics for categorical columns and its symmetric trees make it
strong on small tabular data, where LightGBM overfits most easily. Its saved model (`.cbm`)
loads without unpickling anything.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import KW_ONLY, dataclass, field

import numpy as np
from automl_runtime.families import CatBoostScorer
from automl_runtime.families import catboost_pool as _pool
from catboost import CatBoost, CatBoostError

from .base import BudgetExceeded, FitContext, NotApplicable

_LOSS = {"binary": "Logloss", "multiclass": "MultiClass", "regression": "RMSE"}


def _loss(ctx: FitContext) -> str:
    if ctx.task == "regression":
        return _LOSS["regression"]
    return _LOSS["binary"] if ctx.is_binary else _LOSS["multiclass"]


class _Clock:
    """CatBoost callback (`after_iteration` returning False stops training): past `stop_at`
    training stops and keeps its trees; past `deadline` it stops and the fit is abandoned."""

    def __init__(self, deadline: float | None, stop_at: float | None):
        self.deadline = deadline
        self.stop_at = stop_at
        self.exceeded = False

    def after_iteration(self, info) -> bool:
        now = time.monotonic()
        if self.deadline is not None and now > self.deadline:
            self.exceeded = True
            return False
        return self.stop_at is None or now <= self.stop_at


@dataclass(frozen=True)
class CatBoostLearner:
    name: str
    _: KW_ONLY
    params: dict = field(default_factory=dict)
    max_rounds: int = 2000
    early_stopping: int | None = 50
    family: str = "catboost"

    def full_params(self, ctx: FitContext, rounds: int) -> dict:
        return {
            "learning_rate": 0.08,
            "depth": 6,
            **self.params,
            "loss_function": _loss(ctx),
            "iterations": rounds,
            "random_seed": ctx.seed,
            "thread_count": ctx.threads,
            "allow_writing_files": False,
            "verbose": False,
        }

    def fit(self, ctx, X, y, valid=None, rounds=None, deadline=None, stop_at=None,
            weight=None, valid_weight=None):
        model = CatBoost(self.full_params(ctx, rounds or self.max_rounds))
        cats = ctx.categorical_indices  # `_pool` leaves them out of sparse input
        clock = _Clock(deadline, stop_at)
        use_valid = valid is not None and self.early_stopping is not None and rounds is None
        try:
            model.fit(
                _pool(X, y, cats, weight),
                eval_set=_pool(valid[0], valid[1], cats, valid_weight) if use_valid else None,
                early_stopping_rounds=self.early_stopping if use_valid else None,
                use_best_model=use_valid,
                callbacks=[clock] if deadline is not None or stop_at is not None else None,
            )
        except CatBoostError as exc:
            # CatBoost refuses data LightGBM fits: a constant target in a fold, a class of the
            # validation rows missing from the training rows, a fold whose rows all weigh 0.
            # The candidate is dropped; the others (the fallback LightGBM first) stand.
            raise NotApplicable(f"{self.name}: {exc}") from exc
        if clock.exceeded:
            raise BudgetExceeded
        # CatBoost stamps each model with a random id and the time: drop both so that the same
        # data and seed give byte-identical artifacts.
        metadata = model.get_metadata()
        metadata["model_guid"] = "automl-server"
        metadata["train_finish_time"] = ""
        best = model.get_best_iteration() if use_valid else None
        return FittedCatBoost(model, ctx.task, ctx.n_classes, cats, ctx.threads, best)

    def best_rounds(self, fitted: FittedCatBoost) -> int | None:
        return fitted.best_rounds

    def expected_seconds(self, done) -> None:
        return None  # no estimate: it runs, and is dropped if it runs out of time


class FittedCatBoost(CatBoostScorer):
    """Predicting and loading: the scoring code's (`automl_runtime.families`)."""

    family = "catboost"

    def __init__(self, model: CatBoost, task: str, n_classes: int, categorical, threads: int,
                 best_iteration: int | None = None, blob: bytes | None = None):
        super().__init__(model, task, n_classes, categorical, threads, blob=blob)
        self.trained_rounds = int(model.tree_count_)
        self.best_rounds = (best_iteration + 1) if best_iteration is not None else None

    def predict_cost(self) -> float:
        # Oblivious trees evaluate in a few comparisons: on one core a CatBoost tree cost
        # about 1/25 of a LightGBM tree per row (magic_telescope), a multiclass tree about
        # its class count / 50 (letter, 26 classes); one constant, 1/40 per class, sits
        # between the two.
        return self.trained_rounds * (self.n_classes if self.n_classes > 2 else 1) / 40.0

    def feature_gain(self, n_features: int) -> np.ndarray:
        gain = np.asarray(self.model.get_feature_importance(), dtype=np.float64)
        out = np.zeros(n_features)
        out[: min(n_features, len(gain))] = gain[:n_features]
        return out

    def contributions(self, X) -> np.ndarray:
        """Exact SHAP values of the raw score (CatBoost's ShapValues): (n, n_cols + 1), or
        (n, n_classes, n_cols + 1) for multiclass; the last entry is the base value. A row's
        entries sum to its raw score (binary: the log-odds of class 1)."""
        values = self.model.get_feature_importance(
            data=_pool(X, None, self.categorical), type="ShapValues",
            thread_count=self.threads)
        return np.asarray(values, dtype=np.float64)

    def to_artifact(self) -> tuple[dict, dict[str, bytes]]:
        meta = {"family": self.family, "task": self.task, "n_classes": self.n_classes,
                "categorical": list(self.categorical)}
        if self.blob is None:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "model.cbm")
                self.model.save_model(path, format="cbm")
                with open(path, "rb") as handle:
                    self.blob = handle.read()
        return meta, {"model.cbm": self.blob}

"""LightGBM candidates (gradient boosting and its random-forest mode), saved as model text.

Predicting from a fitted booster and loading one back is the scoring code's
(`automl_runtime.families.LGBMScorer`), shared with the standalone runtime.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import KW_ONLY, dataclass, field

import lightgbm as lgb
import numpy as np
from automl_runtime.families import (  # noqa: F401  (re-exported)
    PREDICT_BLOCK_MIN_ROWS,
    PREDICT_BLOCK_TREES,
    LGBMScorer,
)

from .base import BudgetExceeded, Evaluated, FitContext, NotApplicable
from .space import Dim

_METRIC = {"binary": "binary_logloss", "multiclass": "multi_logloss", "regression": "l2"}


def _objective(ctx: FitContext) -> dict:
    if ctx.task == "regression":
        return {"objective": "regression", "metric": _METRIC["regression"]}
    if ctx.is_binary:
        return {"objective": "binary", "metric": _METRIC["binary"]}
    return {"objective": "multiclass", "num_class": ctx.n_classes, "metric": _METRIC["multiclass"]}


# LightGBM keeps one histogram per leaf (16 bytes a bin): 512 leaves over 1,000 columns of 256
# bins take 2 GB. Where that could exceed this, its pool is capped and the histograms of the
# leaves left out are rebuilt when needed (20,000 x 1,000, 512 leaves: the fit's memory grows
# by 0.55 GB instead of 2.1 GB, the same predictions, no slower); smaller fits are unchanged.
HISTOGRAM_POOL_BYTES = 512 * 2**20


def histogram_pool_bound(params: dict, n_cols: int) -> int:
    """Bytes of LightGBM's histogram pool at most, before any cap."""
    return params.get("num_leaves", 31) * n_cols * (params.get("max_bin", 255) + 1) * 16


def _deadline_callback(deadline: float, graceful: bool):
    def check(env) -> None:
        if time.monotonic() > deadline:
            if not graceful:
                raise BudgetExceeded
            # Keep the trees grown so far (LightGBM treats this like early stopping).
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

    check.order = 5  # type: ignore[attr-defined]
    return check


@dataclass(frozen=True)
class LGBMLearner:
    """One LightGBM configuration. `params` are concrete (sized for the data by the portfolio);
    the objective, seed and determinism settings are added at fit time."""

    name: str
    _: KW_ONLY
    params: dict = field(default_factory=dict)
    max_rounds: int = 2000
    early_stopping: int | None = 50  # None: fixed `max_rounds` (e.g. random-forest mode)
    family: str = "lgbm"

    def full_params(self, ctx: FitContext) -> dict:
        return {
            **self.params,
            **_objective(ctx),
            "seed": ctx.seed,
            "num_threads": ctx.threads,
            "deterministic": True,
            "force_col_wise": True,
            "feature_pre_filter": False,
            "verbosity": -1,
        }

    def fit(self, ctx, X, y, valid=None, rounds=None, deadline=None, stop_at=None,
            weight=None, valid_weight=None) -> FittedLGBM:
        params = self.full_params(ctx)
        if histogram_pool_bound(params, X.shape[1]) > HISTOGRAM_POOL_BYTES:
            params["histogram_pool_size"] = HISTOGRAM_POOL_BYTES / 2**20  # MB
        cats = list(ctx.categorical_indices)
        train_set = lgb.Dataset(X, label=y, weight=weight, categorical_feature=cats,
                                params=params)
        grown = [0]

        def count(env) -> None:
            grown[0] = env.iteration + 1

        valid_sets, callbacks = [], [count]
        use_valid = valid is not None and self.early_stopping is not None and rounds is None
        if use_valid:
            valid_sets = [train_set.create_valid(valid[0], label=valid[1], weight=valid_weight)]
            callbacks.append(
                lgb.early_stopping(self.early_stopping, first_metric_only=True, verbose=False)
            )
        if deadline is not None:
            callbacks.append(_deadline_callback(deadline, graceful=False))
        if stop_at is not None:
            callbacks.append(_deadline_callback(stop_at, graceful=True))
        try:
            booster = lgb.train(
                params,
                train_set,
                num_boost_round=rounds or self.max_rounds,
                valid_sets=valid_sets,
                callbacks=callbacks,
            )
        except lgb.basic.LightGBMError as exc:
            # A configuration this data cannot feed: bagging a fraction of a one-row fold
            # leaves LightGBM no rows. The candidate is dropped; the others stand.
            raise NotApplicable(f"{self.name}: {exc}") from exc
        best = booster.best_iteration if booster.best_iteration > 0 else None
        num_iteration = best or booster.current_iteration()
        return FittedLGBM(
            booster, num_iteration, ctx.task, ctx.n_classes, ctx.threads, trained_rounds=grown[0]
        )

    def best_rounds(self, fitted: FittedLGBM) -> int | None:
        return fitted.num_iteration

    def expected_seconds(self, done: Sequence[Evaluated]) -> float | None:
        """Rough seconds to cross-validate, scaled from the first candidate's time when that
        was a boosted LightGBM too: by step size and leaves (row and feature sampling save
        less than their fraction, so they are ignored)."""
        if not done or done[0].learner.family != self.family or not done[0].models:
            return None
        p0, p = done[0].learner.params, self.params
        if p.get("boosting", "gbdt") != "gbdt" or p0.get("boosting", "gbdt") != "gbdt":
            return None
        ratio = p0.get("learning_rate", 0.1) / p.get("learning_rate", 0.1)
        ratio *= math.sqrt(p.get("num_leaves", 31) / p0.get("num_leaves", 31))
        return done[0].fit_seconds * ratio

    @staticmethod
    def search_space(n_rows: int, n_cols: int, has_categorical: bool, *, base: dict,
                     max_rounds: int) -> LGBMSearchSpace:
        return LGBMSearchSpace(n_rows, n_cols, has_categorical, base=base, max_rounds=max_rounds)


class LGBMSearchSpace:
    """Boosted LightGBM configurations sized for the data: leaves up to n_rows / 8 (at most
    512), leaf sizes up to n_rows / 20, regularisation, row and column sampling, extra
    trees; `base` parameters are fixed (e.g. max_bin)."""

    prefix = "lgbm_tuned"
    # A configuration's values where it leaves a dimension unset (LightGBM's defaults).
    UNSET = {
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

    def __init__(self, n_rows: int, n_cols: int, has_categorical: bool, *, base: dict,
                 max_rounds: int):
        self.base, self.max_rounds = dict(base), max_rounds
        max_leaves = int(np.clip(n_rows // 8, 8, 512))
        max_leaf_rows = int(np.clip(n_rows // 20, 4, 200))
        self.dims = [
            Dim("learning_rate", 0.02, 0.2, log=True),
            Dim("num_leaves", 4, max_leaves, log=True, integer=True),
            Dim("min_data_in_leaf", 2, max_leaf_rows, log=True, integer=True),
            Dim("feature_fraction", 0.3 if n_cols > 3 else 0.8, 1.0),
            Dim("bagging_fraction", 0.5, 1.0),
            Dim("lambda_l2", 1e-3, 100.0, log=True),
            Dim("lambda_l1", 1e-3, 10.0, log=True),
            Dim("extra_trees", 0.0, 1.0),  # on above 0.7
        ]
        if has_categorical:
            self.dims += [
                Dim("cat_smooth", 1.0, 100.0, log=True),
                Dim("min_data_per_group", 2, 200, log=True, integer=True),
            ]

    def params(self, u: np.ndarray) -> dict:
        values = {d.name: d.value(x) for d, x in zip(self.dims, u, strict=True)}
        params = {**self.base, **values}
        params["extra_trees"] = values["extra_trees"] > 0.7
        # Tiny L1 penalties are noise; drop them so the configuration reads cleanly.
        if params["lambda_l1"] < 0.01:
            params["lambda_l1"] = 0.0
        if params["bagging_fraction"] < 0.95:
            params["bagging_freq"] = 1
        else:
            params["bagging_fraction"], params["bagging_freq"] = 1.0, 0
        return params

    def learner(self, name: str, u: np.ndarray) -> LGBMLearner:
        params = self.params(u)
        # Fewer rounds for larger steps: small data otherwise spends most of a trial on
        # rounds that barely move the early-stopping metric.
        rounds = int(min(self.max_rounds, max(300, 40 / params["learning_rate"])))
        return LGBMLearner(name, params=params, max_rounds=rounds, early_stopping=50)

    def point(self, learner) -> np.ndarray | None:
        """Only plain gradient-boosting LightGBMs are in the space."""
        if learner.family != "lgbm" or learner.params.get("boosting", "gbdt") != "gbdt":
            return None
        params = learner.params
        point = []
        for d in self.dims:
            x = params.get(d.name, self.UNSET[d.name])
            if d.name == "extra_trees":
                x = 1.0 if x else 0.0
            if d.name == "bagging_fraction" and not params.get("bagging_freq"):
                x = 1.0
            if d.name in ("lambda_l1", "lambda_l2"):
                x = max(float(x), d.low)
            point.append(d.unit(x))
        return np.array(point)


class FittedLGBM(LGBMScorer):
    family = "lgbm"

    def __init__(
        self,
        booster: lgb.Booster,
        num_iteration: int,
        task: str,
        n_classes: int,
        threads: int,
        trained_rounds: int | None = None,
    ):
        super().__init__(booster, num_iteration, task, n_classes, threads)
        # Rounds grown, including the early-stopping patience that was cut off afterwards.
        self.trained_rounds = int(trained_rounds or num_iteration)

    def predict_cost(self) -> float:
        trees = self.num_iteration * self.trees_per_round
        leaves = float(self.booster.params.get("num_leaves", 31))
        return trees * math.log2(max(leaves, 2.0)) / 5.0  # the depth a row walks

    def feature_gain(self, n_features: int) -> np.ndarray:
        gain = self.booster.feature_importance("gain", iteration=self.num_iteration)
        return np.asarray(gain, dtype=np.float64)[:n_features]

    def contributions(self, X) -> np.ndarray:
        """Tree SHAP values of the raw score (LightGBM's `pred_contrib`): (n, n_cols + 1), or
        (n, n_classes, n_cols + 1) for multiclass; the last entry is the base value. A row's
        entries sum to its raw score (binary: the log-odds of class 1)."""
        n_cols = X.shape[1]
        out = self.booster.predict(X, pred_contrib=True, num_iteration=self.num_iteration,
                                   num_threads=self.threads)
        if isinstance(out, list):  # sparse multiclass input: one sparse matrix per class
            out = np.stack([np.asarray(part.toarray()) for part in out], axis=1)
        elif hasattr(out, "toarray"):
            out = out.toarray()
        out = np.asarray(out, dtype=np.float64)
        if self.task == "classification" and self.n_classes > 2:
            out = out.reshape(out.shape[0], self.n_classes, n_cols + 1)
        if self.averaged:  # random-forest mode: the trees' contributions are averaged too
            out = out / self.num_iteration
        return out

    def to_artifact(self) -> tuple[dict, dict[str, bytes]]:
        text = self.booster.model_to_string(num_iteration=self.num_iteration)
        meta = {"family": self.family, "task": self.task, "n_classes": self.n_classes}
        return meta, {"model.txt": text.encode("utf-8")}

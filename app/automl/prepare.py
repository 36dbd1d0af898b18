"""The prepare phase: check the inputs, keep the labelled rows, encode labels and features,
weigh the rows, check memory, and lay out the plan, folds and selection metric."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .errors import TrainingError
from .features import FeatureEncoder, Features
from .labels import LabelCodec, missing_mask
from .metrics import Scorer, metrics_for, selection_scorer
from .models import FitContext
from .portfolio import MODE_ALIASES, MODES, ModePlan, plan_for
from .resources import Limits, MemoryEstimate, check_memory
from .validation import Fold, make_folds

TASKS = ("classification", "regression")
CLASS_WEIGHTS = ("balanced",)


@dataclass(frozen=True, kw_only=True)
class Problem:
    """The prepared training problem every later phase works on."""

    task: str
    M: object  # the encoded feature matrix (dense or sparse)
    y: np.ndarray  # encoded labels: class indices or float values
    weight: np.ndarray | None  # per row, sample and class weights combined
    labels: LabelCodec
    encoder: FeatureEncoder
    ctx: FitContext
    plan: ModePlan
    budget: float | None  # seconds, the caller's or the mode's default
    folds: list[Fold]
    scorer: Scorer
    memory_estimate: MemoryEstimate

    @property
    def n_rows(self) -> int:
        return self.M.shape[0]

    @property
    def n_classes(self) -> int:
        return len(self.labels.classes_)

    @property
    def bagged(self) -> bool:
        """The final members are the bags of their fold models (no refit)."""
        return self.plan.bag and len(self.folds) > 1

    @property
    def stacking(self) -> bool:
        return len(self.folds) > 1 and bool(self.plan.stack_learners)


def check_options(task: str, eval_metric: str | None, class_weight: str | None) -> None:
    """The metric and class weighting fit the task (a TrainingError saying what does)."""
    if eval_metric is not None and eval_metric not in metrics_for(task):
        raise TrainingError(f"eval_metric {eval_metric!r} does not fit a {task}; use one of "
                            f"{', '.join(metrics_for(task))}")
    if class_weight is not None:
        if class_weight not in CLASS_WEIGHTS:
            raise TrainingError(f"class_weight {class_weight!r} is not known; use 'balanced' "
                                "or leave it out")
        if task != "classification":
            raise TrainingError("class_weight is for classification; leave it out of a "
                                "regression")


def check_inputs(X: Features, y: Sequence, task: str, mode: str, budget: float | None) -> str:
    """The mode's canonical name, once the task, mode, budget and data make sense."""
    if task not in TASKS:
        raise TrainingError(f"unknown task_type {task!r}; use 'classification' or 'regression'")
    mode = MODE_ALIASES.get(mode, mode)
    if mode not in MODES:
        raise TrainingError(f"unknown training mode {mode!r}; use one of {', '.join(MODES)}")
    if budget is not None and not budget > 0:
        raise TrainingError("time budget must be positive")
    if not isinstance(X, Features):
        raise TrainingError("features must be given as a Features object")
    if len(y) != X.n_rows:
        raise TrainingError(f"{len(y)} labels for {X.n_rows} rows")
    return mode


def _row_weights(sample_weight, n_rows: int) -> np.ndarray | None:
    """The rows' weights as floats (NaN: missing, the row is left out); a negative or
    infinite weight is a TrainingError naming its row."""
    if sample_weight is None:
        return None
    try:
        w = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TrainingError(f"sample weights must be numbers: {exc}") from exc
    if w.shape != (n_rows,):
        found = f"{len(w)} sample weights" if w.ndim == 1 else f"sample weights of shape {w.shape}"
        raise TrainingError(f"{found} for {n_rows} rows; give one number per row")
    bad = np.flatnonzero(np.isinf(w) | (w < 0))
    if len(bad):
        raise TrainingError(f"sample weight {w[bad[0]]!r} in row {bad[0] + 1} is not allowed; "
                            "weights must be finite numbers >= 0")
    return w


def _unit_mean(w: np.ndarray) -> np.ndarray:
    """The weights scaled to a mean of 1 over the rows that weigh anything: only their ratios
    mean something, but the learners read their scale too (LightGBM's minimum hessian in a
    leaf, the linear models' penalty, CatBoost refuses weights that underflow), so weights
    of 1/n or 1e-5 would otherwise give a worse model than the same weights at 1."""
    w = w / w.max()  # first, so that the mean of weights near the float limit cannot overflow
    return w / w[w > 0].mean()


def _class_weights(y_enc: np.ndarray, n_classes: int) -> np.ndarray:
    """'balanced': n / (k * count of the row's class), as scikit-learn's."""
    counts = np.bincount(y_enc, minlength=n_classes).astype(np.float64)
    per_class = len(y_enc) / (n_classes * np.maximum(counts, 1.0))
    return per_class[y_enc]


@dataclass(frozen=True, kw_only=True)
class Request:
    """What the caller asked for (`train`'s arguments)."""

    task: str
    mode: str
    time_budget: float | None
    seed: int
    threads: int
    limits: Limits
    eval_metric: str | None
    sample_weight: object
    class_weight: str | None


def prepare(X: Features, y: Sequence, request: Request) -> Problem:
    task, y = request.task, list(y)
    mode = check_inputs(X, y, task, request.mode, request.time_budget)
    check_options(task, request.eval_metric, request.class_weight)
    w = _row_weights(request.sample_weight, len(y))
    keep = ~missing_mask(y)
    if w is not None:
        keep &= ~np.isnan(w)
    labelled = np.flatnonzero(keep)
    if not len(labelled):
        raise TrainingError("no labelled rows" if w is None else
                            "no row has both a label and a sample weight")
    if len(labelled) < len(y):
        X, y = X.take(labelled), [y[i] for i in labelled]
        w = w[labelled] if w is not None else None
    limits = request.limits
    labels = LabelCodec(task)
    y_enc = labels.fit_encode(y, limits.max_classes, limits.classes_name)
    if len(y_enc) < 2:
        raise TrainingError("at least 2 labelled rows are needed to train")
    if request.class_weight == "balanced":
        balanced = _class_weights(y_enc, len(labels.classes_))
        w = balanced if w is None else w * balanced
    if w is not None:
        weighing = np.count_nonzero(w > 0)
        if weighing == 0:
            raise TrainingError("every sample weight is 0; at least one row must weigh more")
        if weighing == 1:
            raise TrainingError("only one labelled row has a sample weight above 0; at least 2 "
                                "rows must weigh more than 0 to learn from")
        w = _unit_mean(w)
    estimate = check_memory(X.numeric, len(X.categorical), len(labels.classes_), mode, limits)
    encoder = FeatureEncoder()
    M = encoder.fit_transform(X)
    n_rows, n_classes = M.shape[0], len(labels.classes_)
    categorical = tuple(encoder.categorical_indices_)
    ctx = FitContext(task, n_classes, categorical, request.seed, request.threads)
    plan = plan_for(mode, n_rows, M.shape[1], n_classes, bool(categorical))
    holdout = plan.holdout if plan.use_holdout(n_rows, n_classes) else None
    return Problem(
        task=task, M=M, y=y_enc, weight=w, labels=labels, encoder=encoder, ctx=ctx, plan=plan,
        budget=request.time_budget if request.time_budget is not None else plan.default_budget,
        folds=make_folds(y_enc, task, plan.n_folds, holdout, request.seed),
        scorer=selection_scorer(task, n_classes, request.eval_metric),
        memory_estimate=estimate,
    )

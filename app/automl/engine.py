"""`train()`: validate the data, run a mode's plan, pick and finalise the model."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from . import diagnostics
from .ensemble import blend, greedy_selection, prune_by_cost
from .errors import TrainingError
from .features import FeatureEncoder, Features
from .labels import LabelCodec, missing_mask
from .metrics import (
    Scorer,
    best_threshold,
    index_metrics,
    metrics_for,
    regression_metric,
    selection_scorer,
)
from .model import FittedModel, Member
from .models import FitContext, LGBMLearner
from .portfolio import MODE_ALIASES, MODES, ModePlan, plan_for
from .resources import Limits, MemoryEstimate, check_memory
from .search import CandidateResult, run_candidates
from .stacking import stack_features, stack_input_count
from .tuning import lgbm_trials
from .validation import Fold, make_folds

TASKS = ("classification", "regression")
CLASS_WEIGHTS = ("balanced",)


@dataclass
class TrainResult:
    model: FittedModel
    validation_metric: dict | float
    leaderboard: list[dict]
    feature_importance: list[dict]
    memory_estimate: MemoryEstimate | None = None  # what was expected before fitting
    # Chart data (`diagnostics.py`) from the predictions the validation metric is computed on.
    diagnostics: dict = field(default_factory=dict)


class _Progress:
    """Forwards monotonically increasing fractions to the caller's callback (if any).

    Exceptions from the callback propagate, so a caller can cancel training by raising.
    """

    def __init__(self, callback: Callable[[float, str], None] | None):
        self.callback = callback
        self.last = 0.0

    def __call__(self, fraction: float, step: str) -> None:
        self.last = max(self.last, min(1.0, fraction))
        if self.callback is not None:
            self.callback(self.last, step)


def _select_rows(X: Features, rows: Sequence[int]) -> Features:
    index = np.asarray(rows, dtype=np.int64)
    numeric = X.numeric[index] if X.numeric is not None else None
    categorical = {
        name: np.asarray(values, dtype=object)[index].tolist()
        for name, values in X.categorical.items()
    }
    return Features(numeric, list(X.numeric_names), categorical)


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


def _row_weights(sample_weight, n_rows: int) -> np.ndarray | None:
    """The rows' weights as floats (NaN: missing, the row is left out); a negative or
    infinite weight is a TrainingError naming its row."""
    if sample_weight is None:
        return None
    w = np.asarray(sample_weight, dtype=np.float64)
    if w.shape != (n_rows,):
        raise TrainingError(f"{len(w)} sample weights for {n_rows} rows")
    bad = np.flatnonzero(np.isinf(w) | (w < 0))
    if len(bad):
        raise TrainingError(f"sample weight {w[bad[0]]!r} in row {bad[0] + 1} is not allowed; "
                            "weights must be finite numbers >= 0")
    return w


def _class_weights(y_enc: np.ndarray, n_classes: int) -> np.ndarray:
    """'balanced': n / (k * count of the row's class), as scikit-learn's."""
    counts = np.bincount(y_enc, minlength=n_classes).astype(np.float64)
    per_class = len(y_enc) / (n_classes * np.maximum(counts, 1.0))
    return per_class[y_enc]


def _check_inputs(X: Features, y: Sequence, task: str, mode: str, budget: float | None) -> str:
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


def _refit_estimate(result: CandidateResult, folds: list[Fold], n_rows: int) -> float:
    """Seconds a refit on all rows should take, from the mean fold fit time (scaled down for
    boosting: the refit grows the best number of rounds, not the early-stopping patience)."""
    train_rows = np.mean([len(f.train) for f in folds])
    per_fold = result.fit_seconds / len(result.models)
    trained = [getattr(m, "trained_rounds", 0) for m in result.models]
    refit_rounds = result.refit_rounds()
    if refit_rounds and all(trained):
        per_fold *= min(1.0, refit_rounds / float(np.mean(trained)))
    return per_fold * n_rows / max(train_rows, 1.0) * 1.2


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


def _expected_cost(learner, done: list[CandidateResult]) -> float | None:
    """Rough seconds a boosted LightGBM candidate should take to cross-validate, scaled from
    the first (default) LightGBM's time by step size and leaves (row and feature sampling
    save less than their fraction, so they are ignored)."""
    if not done or not isinstance(learner, LGBMLearner):
        return None
    first = done[0]
    if not isinstance(first.learner, LGBMLearner) or len(first.models) == 0:
        return None
    p0, p = first.learner.params, learner.params
    if p.get("boosting", "gbdt") != "gbdt" or p0.get("boosting", "gbdt") != "gbdt":
        return None
    ratio = p0.get("learning_rate", 0.1) / p.get("learning_rate", 0.1)
    ratio *= np.sqrt(p.get("num_leaves", 31) / p0.get("num_leaves", 31))
    return first.fit_seconds * ratio


# Seconds kept for the stack while the first level runs, in multiples of the first
# candidate's cross-validation time (two small second-level learners on wider data).
STACK_RESERVE = 3.0


def _stack_inputs(weights: np.ndarray, n_classes: int) -> list[int]:
    """The first-level candidates whose predictions the stack sees: the members of the
    first-level ensemble, heaviest first (complementary models, and predicted anyway when the
    final blend keeps them); fewer when each prediction adds a column per class."""
    n_inputs = stack_input_count(n_classes)
    ranked = sorted(np.flatnonzero(weights > 0), key=lambda i: -weights[i])
    return sorted(int(i) for i in ranked[:n_inputs])


def _member_cost(result: CandidateResult, bagged: bool) -> float:
    """Prediction cost of the member this result becomes: its bag, or one refit model."""
    models = result.models if bagged else result.models[:1]
    return float(sum(model.predict_cost() for model in models))


def _cost_of(
    results: list[CandidateResult], inputs: list[int], bagged: bool
) -> Callable[[frozenset[int]], float]:
    """Prediction cost of the members made of a set of results, with the stack inputs when
    any of them is stacked (inputs are predicted once, however many stacked members)."""
    costs = [_member_cost(r, bagged) for r in results]

    def cost(chosen: frozenset[int]) -> float:
        needed = set(chosen)
        if any(results[i].stacked for i in chosen):
            needed |= set(inputs)
        return sum(costs[i] for i in needed)

    return cost


def _choose(
    results: list[CandidateResult],
    y: np.ndarray,
    scorer: Scorer,
    plan: ModePlan,
    weight: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Weights over `results` and their out-of-fold score."""
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


def _leaderboard(
    results: list[CandidateResult],
    weights: np.ndarray,
    score: float,
    scorer: Scorer,
    inputs: Sequence[int] = (),
) -> list[dict]:
    """Out-of-fold score per candidate (+ the ensemble, if one was chosen), best first.

    `predict_seconds_per_row` is what one fold model took per out-of-fold row; the
    ensemble's sums its members' and, when one is stacked, the stack `inputs`' (predicted
    for it whether weighted or not)."""

    def entry(name: str, value: float, seconds: float, per_row: float) -> dict:
        return {
            "model": name,
            "score": float(value),
            "metric": scorer.name,
            "fit_seconds": round(seconds, 3),
            "predict_seconds_per_row": float(f"{per_row:.3g}"),
        }

    board = [
        entry(r.learner.name, r.score, r.fit_seconds, r.predict_seconds_per_row) for r in results
    ]
    used = [k for k, w in enumerate(weights) if w > 0]
    if len(used) > 1:
        name = "ensemble(" + ", ".join(results[k].learner.name for k in used) + ")"
        predicted = set(used) | set(inputs)
        per_row = sum(results[k].predict_seconds_per_row for k in predicted)
        board.append(entry(name, score, sum(results[k].fit_seconds for k in used), per_row))
    # Stable sort: on ties the earlier entry (the simpler model) stays first.
    return sorted(board, key=lambda e: scorer.sort_key(e["score"]))


def _oof_metric(task: str, labels: LabelCodec, y: np.ndarray, pred: np.ndarray,
                model: FittedModel):
    if task == "regression":
        return regression_metric(y, pred)
    return index_metrics(y, model.decide(pred), pred, len(labels.classes_))


def train(
    X: Features,
    y: Sequence,
    *,
    task: str,
    mode: str,
    validation: tuple[Features, Sequence] | None = None,
    time_budget: float | None = None,
    seed: int = 0,
    progress: Callable[[float, str], None] | None = None,
    limits: Limits | None = None,
    eval_metric: str | None = None,
    sample_weight: Sequence[float] | np.ndarray | None = None,
    class_weight: str | None = None,
    threads: int = 1,
    started_at: float | None = None,
) -> TrainResult:
    """Train a model on labelled rows; see the package docstring for the modes.

    `limits` (memory, classes) are checked before anything is fitted: past one, the training
    is refused at once with LimitExceeded (a TrainingError) saying what to change.

    `eval_metric` (one of `metrics.metrics_for(task)`; None: AUC / log loss / MSE) ranks the
    candidates, drives ensemble selection and scores the leaderboard; on a binary task a
    threshold metric (accuracy, balanced_accuracy, f1) also tunes the model's decision
    threshold on the out-of-fold predictions. `sample_weight` (one per row; NaN: the row is
    left out; negative: refused) and `class_weight="balanced"` (n / (k * class count),
    multiplied into the sample weights) weight every fit and the selection metric; the
    reported validation metric stays unweighted.

    `threads`: threads of every fit and prediction (LightGBM, CatBoost, BLAS); a fixed count
    keeps results reproducible. The server passes settings.train_threads (AUTOML_TRAIN_THREADS,
    default 1: LightGBM's OpenMP threads busy-wait, so when another process competes for the
    cores (the API server, a second training) 2 threads on 2 cores ran 10-100x slower than 1).

    `started_at` (time.monotonic) is when the budget's clock started, if before this call (a
    job that read and decoded its rows first): the budget covers that time too.
    """
    threads = max(1, int(threads))
    options = (eval_metric, sample_weight, class_weight, started_at)
    # BLAS (used by the linear learner) gets the same thread cap as LightGBM.
    with threadpool_limits(limits=threads):
        return _train(
            X, y, task, mode, validation, time_budget, seed, progress, threads, limits or Limits(),
            options,
        )


def _train(
    X, y, task, mode, validation, time_budget, seed, progress, threads, limits,
    options=(None, None, None, None),
) -> TrainResult:
    eval_metric, sample_weight, class_weight, started_at = options
    start = time.monotonic() if started_at is None else started_at
    report = _Progress(progress)
    y = list(y)
    mode = _check_inputs(X, y, task, mode, time_budget)
    check_options(task, eval_metric, class_weight)
    w = _row_weights(sample_weight, len(y))
    report(0.0, "preparing data")

    keep = ~missing_mask(y)
    if w is not None:
        keep &= ~np.isnan(w)
    labelled = np.flatnonzero(keep)
    if not len(labelled):
        raise TrainingError("no labelled rows" if w is None else
                            "no row has both a label and a sample weight")
    if len(labelled) < len(y):
        X, y = _select_rows(X, labelled), [y[i] for i in labelled]
        w = w[labelled] if w is not None else None
    labels = LabelCodec(task)
    y_enc = labels.fit_encode(y, limits.max_classes, limits.classes_name)
    if len(y_enc) < 2:
        raise TrainingError("at least 2 labelled rows are needed to train")
    if class_weight == "balanced":
        balanced = _class_weights(y_enc, len(labels.classes_))
        w = balanced if w is None else w * balanced
    if w is not None and not w.sum() > 0:
        raise TrainingError("every sample weight is 0; at least one row must weigh more")
    estimate = check_memory(X.numeric, len(X.categorical), len(labels.classes_), mode, limits)
    encoder = FeatureEncoder()
    M = encoder.fit_transform(X)
    n_rows, n_classes = M.shape[0], len(labels.classes_)
    ctx = FitContext(task, n_classes, tuple(encoder.categorical_indices_), seed, threads)

    plan = plan_for(mode, n_rows, M.shape[1], n_classes)
    budget = time_budget if time_budget is not None else plan.default_budget
    deadline = start + budget if budget is not None else None
    holdout = plan.holdout if plan.use_holdout(n_rows, n_classes) else None
    folds = make_folds(y_enc, task, plan.n_folds, holdout, seed)
    scorer = selection_scorer(task, n_classes, eval_metric)
    fit_weight = {} if w is None else {"weight": w}  # the refits' (unweighted: as ever)
    bagged = plan.bag and len(folds) > 1
    stacking = len(folds) > 1 and bool(plan.stack_learners)

    def reserve(results: list[CandidateResult]) -> float:
        """Seconds to keep for the final refit, or for the stack (a bag needs no refit)."""
        if not results:
            return 0.0
        stack = STACK_RESERVE * results[0].fit_seconds if stacking else 0.0
        if bagged:
            return stack
        best = min(results, key=lambda r: scorer.sort_key(r.score))
        return stack + _refit_estimate(best, folds, n_rows)

    def on_candidate(i: int, step: str) -> None:
        done = i / plan.n_candidates
        if budget:
            done = max(done, (time.monotonic() - start) / budget)
        report(0.05 + 0.85 * done, step)

    results: list[CandidateResult] = []
    has_categorical = bool(encoder.categorical_indices_)

    def trials(n_trials: int, first: int):
        return lgbm_trials(
            plan.tune_base,
            n_rows,
            M.shape[1],
            has_categorical,
            plan.tune_rounds,
            seed,
            n_trials,
            lambda: results,
            scorer,
            start=first,
        )

    def candidates():
        # Lazy: each tuned trial is proposed from the results of the candidates before it.
        yield from plan.learners
        yield from trials(plan.n_trials, 0)
        yield from plan.extra_learners
        yield from trials(plan.extra_trials, plan.n_trials)

    run_candidates(
        candidates(),
        ctx,
        M,
        y_enc,
        folds,
        scorer,
        deadline,
        reserve,
        on_candidate,
        results,
        _expected_cost,
        weight=w,
    )
    rows = results[0].rows  # every later candidate covers the same rows (all folds)
    w_rows = None if w is None else w[rows]
    inputs: list[int] = []
    Z = None
    weights, score = _choose(results, y_enc[rows], scorer, plan, w_rows)
    if stacking and len(rows) == n_rows:
        report(0.88, "stacking")
        inputs = _stack_inputs(weights, n_classes)
        Z = stack_features(M, [results[i].oof for i in inputs])
        first = len(results)
        run_candidates(
            plan.stack_learners, ctx, Z, y_enc, folds, scorer, deadline, lambda r: 0.0,
            on_candidate, results, fallback=False, weight=w,
        )
        for k, result in enumerate(results[first:]):
            result.index, result.stacked = plan.n_candidates + k, True
        weights, score = _choose(results, y_enc[rows], scorer, plan, w_rows)
    if plan.prune_tolerance > 0 and bagged:
        # Only bags: a refit member costs 1/k of one to predict, and one holdout's score is
        # too noisy to judge 0.2 % by.
        weights, score = prune_by_cost(
            [r.oof for r in results], y_enc[rows], scorer, weights, score,
            _cost_of(results, inputs, bagged), plan.prune_tolerance,
            **({} if w_rows is None else {"weight": w_rows}),
        )
    if not any(w > 0 and r.stacked for r, w in zip(results, weights, strict=True)):
        inputs = []

    report(0.9, "fitting the final model")
    members, member_of = [], {}
    for k, (result, weight) in enumerate(zip(results, weights, strict=True)):
        if weight <= 0 and k not in inputs:
            continue
        # A bag is the k fold models, exactly those whose out-of-fold predictions were scored
        # and weighted. Otherwise a refit on all rows, or, out of time, the fold models.
        refit = not bagged and (
            deadline is None
            or time.monotonic() + _refit_estimate(result, folds, n_rows) <= deadline
        )
        if refit:
            data = Z if result.stacked else M
            components = [
                result.learner.fit(ctx, data, y_enc, rounds=result.refit_rounds(), **fit_weight)
            ]
        else:
            components = list(result.models)
        member_of[k] = len(members)
        members.append(Member(result.learner.name, float(weight), components, result.stacked))
    model = FittedModel(encoder, labels, members, [member_of[k] for k in inputs])

    oof = blend([r.oof for r in results], weights)
    if scorer.tunes_threshold:
        model.threshold, _ = best_threshold(scorer.name, y_enc[rows], oof[:, 1], w_rows)
    metric = _oof_metric(task, labels, y_enc[rows], oof, model)
    truth, pred, source = y_enc[rows], oof, "out_of_fold"
    if validation is not None:
        try:
            evaluated = model.evaluate(*validation)
        except ValueError as exc:
            raise TrainingError(f"validation dataset: {exc}") from exc
        if evaluated.metric is not None:
            metric = evaluated.metric
            truth, pred = _validation_truth(labels, validation[1], evaluated)
            source = "validation"

    if task == "regression":
        charts = diagnostics.regression(truth, pred, source, seed)
    else:
        charts = diagnostics.classification(
            truth, pred, labels.classes_, source, predicted=model.decide(pred)
        )
    leaderboard = _leaderboard(results, weights, score, scorer, inputs)
    report(1.0, "done")
    return TrainResult(
        model, metric, leaderboard, model.feature_importance(), estimate, charts
    )


def _validation_truth(labels: LabelCodec, y: Sequence, evaluated) -> tuple[np.ndarray, np.ndarray]:
    """The labelled validation rows' truth and predictions (probabilities or values), the
    rows `FittedModel.evaluate` scored."""
    truth = labels.encode_truth(y)
    if labels.task == "regression":
        rows = np.flatnonzero(~np.isnan(truth))
        return truth[rows], np.asarray(evaluated.predictions, dtype=np.float64)[rows]
    rows = np.flatnonzero(truth >= 0)
    return truth[rows], evaluated.probabilities[rows]


__all__ = ["TrainResult", "train"]

"""`train()`: a training run as named phases, in order (`PHASES`):

* **prepare** (`prepare.py`): check the inputs, encode labels and features, weigh the rows,
  check memory; the mode's plan, the folds and the selection metric;
* **search**: cross-validate the plan's candidates in order under the budget (its fixed
  learners and the tuned family's trials, `search.py`, `tuning.py`), then the second level
  (`stacking.py`) on the first level's ensemble;
* **select** (`selection.py`): the best candidate or a greedy ensemble by out-of-fold score,
  then, where the plan says, shed members that cost more to predict than they add;
* **finalise**: each member becomes its bag of fold models or a refit on all rows, and the
  model is assembled (with the tuned decision threshold of a threshold metric);
* **report** (`report.py`): the validation metric, chart data and the leaderboard.

Each phase is a method of `Training` of the same name; `TrainResult.phase_seconds` says how
long each took.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from . import report as reporting
from .ensemble import blend, error, prune_by_cost
from .errors import TrainingError
from .features import Features
from .metrics import best_threshold
from .model import FittedModel, Member
from .models import BudgetExceeded
from .prepare import Problem, Request, prepare
from .resources import Limits, MemoryEstimate
from .search import CandidateResult, cross_validate, run_candidates
from .selection import choose, cost_of, stack_inputs
from .stacking import stack_features
from .tuning import trials
from .validation import Fold, make_folds

PHASES = ("prepare", "search", "select", "finalise", "report")


@dataclass
class TrainResult:
    model: FittedModel
    validation_metric: dict | float
    leaderboard: list[dict]
    feature_importance: list[dict]
    memory_estimate: MemoryEstimate | None = None  # what was expected before fitting
    # Chart data (`diagnostics.py`) from the predictions the validation metric is computed on.
    diagnostics: dict = field(default_factory=dict)
    phase_seconds: dict[str, float] = field(default_factory=dict)  # by phase, in order


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


def _refit_estimate(result: CandidateResult, folds: list[Fold], n_rows: int) -> float:
    """Seconds a refit on all rows should take, from the mean fold fit time (scaled down for
    boosting: the refit grows the best number of rounds, not the early-stopping patience)."""
    train_rows = np.mean([len(f.train) for f in folds])
    per_fold = result.fit_seconds / len(result.models)
    trained = [m.trained_rounds for m in result.models]
    refit_rounds = result.refit_rounds()
    if refit_rounds and all(trained):
        per_fold *= min(1.0, refit_rounds / float(np.mean(trained)))
    return per_fold * n_rows / max(train_rows, 1.0) * 1.2


def _expected_cost(learner, done: list[CandidateResult]) -> float | None:
    """The learner's own estimate (each family declares it)."""
    return learner.expected_seconds(done)


# Time is kept for refitting this many members of an ensemble (an ensemble of the best
# candidates usually has 2-4 members; each refit left out of time falls back to its
# holdout model).
REFIT_RESERVE_MEMBERS = 3

# Seconds kept for the stack while the first level runs, in multiples of the first
# candidate's cross-validation time (two small second-level learners on wider data).
STACK_RESERVE = 3.0


class Training:
    """One `train` call: the phases (methods named as in PHASES) and what they hand on."""

    def __init__(self, X: Features, y: Sequence, request: Request,
                 validation: tuple[Features, Sequence] | None,
                 progress: Callable[[float, str], None] | None, start: float):
        self.X, self.y, self.request, self.validation = X, y, request, validation
        self.report_progress = _Progress(progress)
        self.start = start
        self.problem: Problem
        self.results: list[CandidateResult] = []
        self.inputs: list[int] = []  # stack inputs, indices into results
        self.Z = None  # the stack's feature matrix
        self.weights = np.zeros(0)
        self.score = 0.0
        self.oof = np.zeros(0)  # the chosen blend's out-of-fold predictions
        self.model: FittedModel

    def run(self) -> TrainResult:
        seconds: dict[str, float] = {}
        for phase in PHASES:
            began = time.monotonic()
            outcome = getattr(self, phase)()
            seconds[phase] = time.monotonic() - began
        outcome.phase_seconds = seconds
        return outcome

    # -- clock -------------------------------------------------------------------------

    @property
    def deadline(self) -> float | None:
        budget = self.problem.budget
        return self.start + budget if budget is not None else None

    def _on_candidate(self, i: int, step: str) -> None:
        p = self.problem
        done = i / p.plan.n_candidates
        if p.budget:
            done = max(done, (time.monotonic() - self.start) / p.budget)
        self.report_progress(0.05 + 0.85 * done, step)

    def _reserve(self, results: list[CandidateResult]) -> float:
        """Seconds to keep for the final refit, or for the stack (a bag needs no refit)."""
        p = self.problem
        if not results:
            return 0.0
        first = results[0].fit_seconds / results[0].sets
        stack = STACK_RESERVE * first if p.stacking else 0.0
        if p.bagged:
            return stack
        # The refits of an ensemble's members: those of the best few candidates so far.
        best = sorted(results, key=lambda r: p.scorer.sort_key(r.score))
        members = best[:REFIT_RESERVE_MEMBERS if p.plan.ensemble else 1]
        return stack + sum(_refit_estimate(r, p.folds, p.n_rows) for r in members)

    # -- phases ------------------------------------------------------------------------

    def prepare(self) -> None:
        self.report_progress(0.0, "preparing data")
        self.problem = prepare(self.X, self.y, self.request)

    def _candidates(self):
        """The plan's first-level candidates, lazily: each trial is proposed from the
        results of the candidates before it."""
        p, plan = self.problem, self.problem.plan

        def tuned(n_trials: int, first: int):
            if plan.search is None:
                return iter(())
            return trials(plan.search, self.request.seed, n_trials, lambda: self.results,
                          p.scorer, start=first)

        yield from plan.learners
        yield from tuned(plan.n_trials, 0)
        yield from plan.extra_learners
        yield from tuned(plan.extra_trials, plan.n_trials)

    def search(self) -> None:
        p = self.problem
        run_candidates(
            self._candidates(), p.ctx, p.M, p.y, p.folds, p.scorer, self.deadline,
            self._reserve, self._on_candidate, self.results, _expected_cost, weight=p.weight,
        )
        self._repeat_bags()
        if p.stacking and len(self._rows) == p.n_rows:
            self._stack()

    def _repeat_bags(self) -> None:
        """Spend the time the candidates left on more k-fold sets of the first-level
        ensemble's members (repeated bagging), one set at a time, while a set fits in the
        time left and averaging helps: the ensemble's out-of-fold score over the sets so far
        beats the mean of the sets' own scores (the first set's score alone is biased: it
        is the one the members were chosen by; a low-variance member gains nothing), and by
        more than the plan's prune_tolerance: a set costs as much to predict as the first, and
        a member that adds no more is pruned (`prune_by_cost`)."""
        p = self.problem
        if p.plan.bag_sets < 2 or not p.bagged or self.deadline is None:
            return
        if len(self._rows) != p.n_rows:
            return  # the fallback was cut short: no time to spare
        weights, score = choose(self.results, p.y, p.scorer, p.plan, p.weight)
        members = [int(i) for i in np.flatnonzero(weights > 0)]
        set_scores, kept = [score], score
        for repeat in range(1, p.plan.bag_sets):
            limit = self.deadline - self._reserve(self.results)
            one_set = sum(self.results[i].fit_seconds / self.results[i].sets for i in members)
            if time.monotonic() + one_set > limit:
                return
            self.report_progress(self.report_progress.last, f"bagging set {repeat + 1}")
            folds = make_folds(p.y, p.task, p.plan.n_folds, None, self.request.seed + repeat)
            trial, fresh = list(self.results), list(self.results)
            try:
                for i in members:
                    fresh[i] = cross_validate(trial[i].learner, p.ctx, p.M, p.y, folds,
                                              p.scorer, limit, weight=p.weight)
                    trial[i] = trial[i].with_set(fresh[i], p.y, p.scorer, p.weight)
            except BudgetExceeded:
                return
            set_scores.append(p.scorer(p.y, blend([r.oof for r in fresh], weights), p.weight))
            averaged = p.scorer(p.y, blend([r.oof for r in trial], weights), p.weight)
            worth = error(p.scorer, averaged) < error(p.scorer, kept) * (1 - p.plan.prune_tolerance)
            if not (worth and p.scorer.better(averaged, float(np.mean(set_scores)))):
                return
            self.results[:], kept = trial, averaged

    def _stack(self) -> None:
        """The second level, on the features plus the first-level ensemble's predictions."""
        p = self.problem
        weights, _ = choose(self.results, p.y[self._rows], p.scorer, p.plan, self._row_weight)
        self.report_progress(0.88, "stacking")
        self.inputs = stack_inputs(weights, p.n_classes)
        self.Z = stack_features(p.M, [self.results[i].oof for i in self.inputs])
        first = len(self.results)
        run_candidates(
            p.plan.stack_learners, p.ctx, self.Z, p.y, p.folds, p.scorer, self.deadline,
            lambda r: 0.0, self._on_candidate, self.results, fallback=False, weight=p.weight,
        )
        for k, result in enumerate(self.results[first:]):
            result.index, result.stacked = p.plan.n_candidates + k, True

    @property
    def _rows(self) -> np.ndarray:
        """The rows every candidate predicted out of fold (the first covers all later's)."""
        return self.results[0].rows

    @property
    def _row_weight(self) -> np.ndarray | None:
        w = self.problem.weight
        return None if w is None else w[self._rows]

    def select(self) -> None:
        p = self.problem
        y = p.y[self._rows]
        self.weights, self.score = choose(self.results, y, p.scorer, p.plan, self._row_weight)
        if p.plan.prune_tolerance > 0 and p.bagged:
            # Only bags: a refit member costs 1/k of one to predict, and one holdout's score
            # is too noisy to judge 0.2 % by.
            w = self._row_weight
            self.weights, self.score = prune_by_cost(
                [r.oof for r in self.results], y, p.scorer, self.weights, self.score,
                cost_of(self.results, self.inputs, p.bagged), p.plan.prune_tolerance,
                **({} if w is None else {"weight": w}),
            )
        stacked_member = any(
            w > 0 and r.stacked for r, w in zip(self.results, self.weights, strict=True))
        if not stacked_member:
            self.inputs = []
        self.oof = blend([r.oof for r in self.results], self.weights)

    def finalise(self) -> None:
        p = self.problem
        self.report_progress(0.9, "fitting the final model")
        fit_weight = {} if p.weight is None else {"weight": p.weight}
        members, member_of = [], {}
        for k, (result, weight) in enumerate(zip(self.results, self.weights, strict=True)):
            if weight <= 0 and k not in self.inputs:
                continue
            # A bag is the k fold models, exactly those whose out-of-fold predictions were
            # scored and weighted. Otherwise a refit on all rows, or, out of time, the fold
            # models.
            refit = not p.bagged and (
                self.deadline is None
                or time.monotonic() + _refit_estimate(result, p.folds, p.n_rows)
                <= self.deadline
            )
            if refit:
                data = self.Z if result.stacked else p.M
                components = [result.learner.fit(
                    p.ctx, data, p.y, rounds=result.refit_rounds(), **fit_weight)]
            else:
                components = list(result.models)
            member_of[k] = len(members)
            members.append(Member(result.learner.name, float(weight), components, result.stacked))
        self.model = FittedModel(
            p.encoder, p.labels, members, [member_of[k] for k in self.inputs])
        if p.scorer.tunes_threshold:
            self.model.threshold, _ = best_threshold(
                p.scorer.name, p.y[self._rows], self.oof[:, 1], self._row_weight)

    def report(self) -> TrainResult:
        p, model = self.problem, self.model
        truth = p.y[self._rows]
        pred = self.oof
        metric = reporting.oof_metric(p.task, p.labels, truth, pred, model)
        source = "out_of_fold"
        if self.validation is not None:
            try:
                evaluated = model.evaluate(*self.validation)
            except ValueError as exc:
                raise TrainingError(f"validation dataset: {exc}") from exc
            if evaluated.metric is not None:
                metric = evaluated.metric
                truth, pred = reporting.validation_truth(p.labels, self.validation[1], evaluated)
                source = "validation"
        charts = reporting.charts(p.task, p.labels, truth, pred, source, self.request.seed, model)
        board = reporting.leaderboard(
            self.results, self.weights, self.score, p.scorer, self.inputs)
        self.report_progress(1.0, "done")
        return TrainResult(
            model, metric, board, model.feature_importance(), p.memory_estimate, charts
        )


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
    keeps results reproducible. The server passes settings.threads_per_training (by default the
    cores available, shared among the trainings that run at once).

    `started_at` (time.monotonic) is when the budget's clock started, if before this call (a
    job that read and decoded its rows first): the budget covers that time too.
    """
    start = time.monotonic() if started_at is None else started_at
    request = Request(
        task=task, mode=mode, time_budget=time_budget, seed=seed,
        threads=max(1, int(threads)), limits=limits or Limits(), eval_metric=eval_metric,
        sample_weight=sample_weight, class_weight=class_weight,
    )
    # BLAS (used by the linear learner) gets the same thread cap as LightGBM.
    with threadpool_limits(limits=request.threads):
        return Training(X, y, request, validation, progress, start).run()


__all__ = ["PHASES", "TrainResult", "train"]

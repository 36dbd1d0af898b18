"""Out-of-fold evaluation of candidate learners under a deadline."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from .metrics import Scorer
from .models import BudgetExceeded, FitContext, FittedComponent, Learner
from .validation import Fold

# A candidate's fits may take at most this share of the time left when it starts (the
# fallback's excepted): on scorecard (6,247 college names) balanced's CatBoost took the whole
# 37 s budget, was dropped unfinished, and left no time for the LightGBMs after it.
CANDIDATE_TIME_SHARE = 0.5


@dataclass
class CandidateResult:
    learner: Learner
    rows: np.ndarray  # rows with an out-of-fold prediction, ascending
    oof: np.ndarray  # their predictions
    score: float
    models: list[FittedComponent]  # one per fold
    rounds: list[int | None]  # best boosting rounds per fold
    fit_seconds: float  # cross-validation time: fits and their out-of-fold predictions
    predict_seconds: float = 0.0  # of which predicting the out-of-fold rows
    index: int = 0  # position of the learner in the sequence that `run_candidates` was given
    stacked: bool = False  # trained on the features plus first-level predictions
    sets: int = 1  # k-fold splits averaged (repeated bagging): `models` holds k per set

    @property
    def predict_seconds_per_row(self) -> float:
        """Seconds one fold model took per out-of-fold row it predicted."""
        return self.predict_seconds / max(len(self.rows) * self.sets, 1)

    def with_set(self, other: CandidateResult, y: np.ndarray, scorer: Scorer,
                 weight: np.ndarray | None = None) -> CandidateResult:
        """This candidate with another k-fold set of the same learner on the same rows (one
        more bag set): its fold models join the bag, and each row's out-of-fold prediction is
        the mean over the sets (still from models that never saw the row). `y`, `weight`: of
        all rows."""
        oof = (self.oof * self.sets + other.oof) / (self.sets + 1)
        w = None if weight is None else weight[self.rows]
        return dataclasses.replace(
            self, oof=oof, score=scorer(y[self.rows], oof, w),
            models=self.models + other.models, rounds=self.rounds + other.rounds,
            fit_seconds=self.fit_seconds + other.fit_seconds,
            predict_seconds=self.predict_seconds + other.predict_seconds, sets=self.sets + 1,
        )

    def refit_rounds(self) -> int | None:
        rounds = [r for r in self.rounds if r is not None]
        return max(1, int(round(float(np.mean(rounds))))) if rounds else None


def cross_validate(
    learner: Learner,
    ctx: FitContext,
    X,
    y: np.ndarray,
    folds: list[Fold],
    scorer: Scorer,
    deadline: float | None = None,
    must_finish: bool = False,
    weight: np.ndarray | None = None,
    fold_seconds: float | None = None,
) -> CandidateResult:
    """Fit `learner` on every fold and score its out-of-fold predictions.

    When `deadline` (time.monotonic) passes or the next fold is not expected to finish
    before it, this raises BudgetExceeded, unless `must_finish`: then the fits are cut short
    at the deadline and the remaining folds skipped (at least one fold is always fitted),
    and the result covers only the validated rows. `weight` (per row of `X`, or None) weights
    the fits and the score. `fold_seconds`: an iterative learner stops each fold's fit after
    this long and keeps the rounds it has (fewer rounds, not a dropped candidate).
    """
    done: list[Fold] = []
    preds, models, rounds, seconds = [], [], [], []
    predicting = 0.0
    for fold in folds:
        if deadline is not None and done:
            expected = float(np.mean(seconds))
            if time.monotonic() + expected > deadline:
                if must_finish:
                    break
                raise BudgetExceeded
        start = time.monotonic()
        stop_at = deadline if must_finish else None
        if fold_seconds is not None:
            stop_at = min(start + fold_seconds, stop_at or np.inf)
        X_valid = X[fold.valid]
        fitted = learner.fit(
            ctx,
            X[fold.train],
            y[fold.train],
            valid=(X_valid, y[fold.valid]),
            deadline=None if must_finish else deadline,
            stop_at=stop_at,
            **_weights(weight, fold),
        )
        fitted_at = time.monotonic()
        preds.append(fitted.predict(X_valid))
        predicting += time.monotonic() - fitted_at
        seconds.append(time.monotonic() - start)
        models.append(fitted)
        rounds.append(learner.best_rounds(fitted))
        done.append(fold)
    rows = np.concatenate([fold.valid for fold in done])
    order = np.argsort(rows, kind="stable")
    rows, oof = rows[order], np.concatenate(preds)[order]
    score = scorer(y[rows], oof, None if weight is None else weight[rows])
    return CandidateResult(
        learner, rows, oof, score, models, rounds, float(np.sum(seconds)), predicting
    )


def _weights(weight: np.ndarray | None, fold: Fold) -> dict:
    """The fit's weight arguments for a fold (none without weights: every learner's fit
    then runs exactly as it always has)."""
    if weight is None:
        return {}
    return {"weight": weight[fold.train], "valid_weight": weight[fold.valid]}


def run_candidates(
    learners: Iterable[Learner],
    ctx: FitContext,
    X,
    y: np.ndarray,
    folds: list[Fold],
    scorer: Scorer,
    deadline: float | None,
    reserve: Callable[[list[CandidateResult]], float],
    report: Callable[[int, str], None],
    results: list[CandidateResult] | None = None,
    cost: Callable[[Learner, list[CandidateResult]], float | None] | None = None,
    fallback: bool = True,
    weight: np.ndarray | None = None,
) -> list[CandidateResult]:
    """Evaluate learners in order until they are done or the deadline is reached.

    The first learner is the fallback model (unless not `fallback`): it always returns (cut
    short at the deadline if need be). Later ones must finish before
    `deadline - reserve(results)`, where the reserve is what the final steps should take: a
    learner whose expected `cost` (seconds, if known) does not fit in the time left is
    skipped, one that runs out of time is dropped, and the search goes on with the next
    (cheaper ones may still fit) until the time is up.
    A learner's fits stop after CANDIDATE_TIME_SHARE of the time left (split over the folds)
    and keep the rounds they have, so that one slow learner cannot starve all the others.
    `learners` may be a lazy iterator that proposes the next learner from the results so
    far: the results are appended to `results` (if given) as they come, and returned.
    """
    results = [] if results is None else results
    for i, learner in enumerate(learners):
        limit, fold_seconds = deadline, None
        must_finish = fallback and i == 0
        if must_finish and deadline is not None:
            # Leave a little time to predict and wrap up after the fallback is cut short.
            limit = deadline - 0.1 * max(0.0, deadline - time.monotonic())
        elif deadline is not None:
            limit = deadline - reserve(results)
            if time.monotonic() >= limit:
                break
            expected = cost(learner, results) if cost is not None else None
            if expected is not None and time.monotonic() + expected > limit:
                continue
            fold_seconds = CANDIDATE_TIME_SHARE * (limit - time.monotonic()) / len(folds)
        report(i, f"cross-validating {learner.name}")
        try:
            result = cross_validate(
                learner, ctx, X, y, folds, scorer, limit, must_finish, weight, fold_seconds
            )
        except BudgetExceeded:
            continue
        result.index = i
        results.append(result)
        if len(result.models) < len(folds):
            break  # the fallback itself ran out of time
    return results

"""What every candidate family provides.

A *learner* is an unfitted, immutable configuration; `learner.fit(...)` returns a *fitted
component* that predicts raw outputs from the encoded feature matrix: class probabilities of
shape (n, n_classes) for classification, values of shape (n,) for regression. Components
serialise to a JSON-able dict plus named binary files (see `artifact.py`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class BudgetExceeded(Exception):
    """Raised inside a fit when its deadline passes; the caller drops that candidate."""


class NotApplicable(BudgetExceeded):
    """The family cannot fit this data (e.g. kNN without numeric columns, a forest on a huge
    sparse matrix, CatBoost on a fold whose target is constant). A BudgetExceeded, because
    that is what the search (`run_candidates`) catches to drop a candidate and go on with the
    next; the message says why."""


@dataclass(frozen=True)
class FitContext:
    """Facts about the training problem shared by all fits of one `train` call."""

    task: str  # "classification" | "regression"
    n_classes: int  # 0 for regression
    categorical_indices: tuple[int, ...]
    seed: int
    threads: int

    @property
    def is_binary(self) -> bool:
        return self.task == "classification" and self.n_classes == 2


class FittedComponent(Protocol):
    family: str
    # Boosting rounds grown, early-stopping patience included (0: not a boosted model); a
    # refit grows only the best rounds, so it takes that share of a fold's time.
    trained_rounds: int

    def prepare(self, X):
        """The input `predict` reads, made once for all fold models of a bag."""
        ...

    def predict(self, X) -> np.ndarray: ...

    def feature_gain(self, n_features: int) -> np.ndarray:
        """Non-negative importance per encoded column."""
        ...

    def predict_cost(self) -> float:
        """Work to predict one row, in units of one LightGBM tree of about 31 leaves: a
        deterministic estimate, by which ensemble selection prefers cheaper members."""
        ...

    def to_artifact(self) -> tuple[dict, dict[str, bytes]]: ...


class Learner(Protocol):
    name: str
    family: str

    def fit(
        self,
        ctx: FitContext,
        X,
        y: np.ndarray,
        valid: tuple | None = None,
        rounds: int | None = None,
        deadline: float | None = None,
        stop_at: float | None = None,
        weight: np.ndarray | None = None,
        valid_weight: np.ndarray | None = None,
    ) -> FittedComponent:
        """Fit on (X, y). `valid` = (X_val, y_val) enables early stopping; `rounds` fixes the
        number of boosting rounds (refit). Past `deadline` (time.monotonic) the fit raises
        BudgetExceeded; past `stop_at` an iterative learner stops and keeps what it has.
        `weight` / `valid_weight`: per-row sample weights of X / of valid's rows (None: 1)."""
        ...

    def best_rounds(self, fitted: FittedComponent) -> int | None:
        """Rounds to use when refitting on all rows (None if not applicable)."""
        ...

    def expected_seconds(self, done: Sequence[Evaluated]) -> float | None:
        """Rough seconds to cross-validate this learner on the folds the candidates `done`
        were cross-validated on (first to last), or None if the family cannot tell (it then
        runs, and is dropped if it runs out of time)."""
        ...


class Evaluated(Protocol):
    """A cross-validated candidate, as the families' cost estimates see it."""

    learner: Learner
    models: list[FittedComponent]
    fit_seconds: float

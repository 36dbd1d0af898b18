"""k-nearest-neighbour candidates on the scaled numeric columns, stored as arrays.

The numeric columns (not the categorical codes) are filled by the training median and scaled
by robust statistics (median, interquartile range; the standard deviation where the range is
0). At most MAX_STORED_ROWS training rows are kept (a seeded sample), so that predicting a row
costs at most that many distances. The scaled rows (float32), their targets and the scaling
are saved as .npy files (no pickle); predicting from them is the scoring code's
(`automl_runtime.families.KNNScorer`), shared with the standalone runtime.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sp
from automl_runtime.families import KNNScorer, npy_bytes

from .base import BudgetExceeded, FitContext, NotApplicable

# Stored training rows at most: brute force then costs at most 20,000 distances a row.
MAX_STORED_ROWS = 20_000
# Numeric columns at most (wider data, e.g. sparse text, is not kNN's kind of problem).
MAX_COLUMNS = 2_000


def _scaling(block: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(fill, center, scale) per column: median; median; IQR, else std, else 1."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fill = np.nanmedian(block, axis=0) if len(block) else np.zeros(block.shape[1])
    fill = np.where(np.isfinite(fill), fill, 0.0)
    filled = np.where(np.isnan(block), fill, block)
    if len(filled):
        q25, q75 = np.percentile(filled, [25, 75], axis=0)
        spread = q75 - q25
        std = filled.std(axis=0)
    else:
        spread = std = np.zeros(block.shape[1])
    scale = np.where(spread > 0, spread, np.where(std > 0, std, 1.0))
    return fill, fill.copy(), scale


class KNNLearner:
    """k nearest neighbours; `weights` "distance" (1/d) or "uniform"."""

    family = "knn"

    def __init__(self, name: str = "knn", k: int = 10, weights: str = "distance",
                 max_rows: int = MAX_STORED_ROWS):
        if weights not in ("distance", "uniform"):
            raise ValueError(f"weights must be 'distance' or 'uniform', not {weights!r}")
        self.name = name
        self.k = int(k)
        self.weights = weights
        self.max_rows = int(max_rows)

    def _key(self):
        return (self.name, self.k, self.weights, self.max_rows)

    def __eq__(self, other) -> bool:
        return isinstance(other, KNNLearner) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return f"KNNLearner({self.name!r}, k={self.k}, weights={self.weights!r})"

    def fit(self, ctx: FitContext, X, y, valid=None, rounds=None, deadline=None, stop_at=None,
            weight=None, valid_weight=None) -> FittedKNN:
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceeded
        categorical = set(ctx.categorical_indices)
        numeric = np.array([j for j in range(X.shape[1]) if j not in categorical], np.int64)
        if len(numeric) == 0:
            raise NotApplicable(f"{self.name}: kNN needs numeric columns; this data has none")
        if len(numeric) > MAX_COLUMNS:
            raise NotApplicable(f"{self.name}: kNN reads at most {MAX_COLUMNS} numeric "
                                f"columns; this data has {len(numeric)}")
        n = X.shape[0]
        keep = np.arange(n)
        if n > self.max_rows:  # a seeded sample, in the rows' order
            keep = np.sort(np.random.default_rng(ctx.seed).choice(n, self.max_rows,
                                                                 replace=False))
        rows = X[keep]
        block = rows[:, numeric]
        block = np.asarray(block.toarray() if sp.issparse(block) else block, dtype=np.float64)
        fill, center, scale = _scaling(block)
        train = ((np.where(np.isnan(block), fill, block) - center) / scale).astype(np.float32)
        if ctx.task == "classification":
            target = np.asarray(y, dtype=np.int64)[keep].astype(np.int32)
        else:
            target = np.asarray(y, dtype=np.float64)[keep]
        arrays = {"numeric": numeric, "fill": fill, "center": center, "scale": scale,
                  "train": train, "target": target}
        if weight is not None:
            arrays["weight"] = np.asarray(weight, dtype=np.float64)[keep]
        fitted = FittedKNN(arrays, ctx.task, ctx.n_classes, self.k, self.weights)
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceeded
        return fitted

    def best_rounds(self, fitted) -> None:
        return None

    def expected_seconds(self, done) -> float | None:
        """From an earlier cross-validation of a kNN learner on these folds; else None."""
        for result in reversed(list(done)):
            if isinstance(result.learner, KNNLearner):
                return result.fit_seconds
        return None


# predict_cost: a row costs about (stored rows) x (numeric columns + 10) x this, in units of one
# LightGBM tree of 31 leaves a row: the distances' dot products, and the selection
# (argpartition) over every stored row, which weighs about as 10 columns. Measured on one core:
# 20,000 stored rows x 10 columns took 400 us a row, 13,000 LightGBM trees' worth (0.030 us).
CELL_COST = 1.0 / 30.0


class FittedKNN(KNNScorer):
    family = "knn"
    trained_rounds = 0  # not boosted

    def predict_cost(self) -> float:
        n, p = self.train.shape
        return n * (p + 10) * CELL_COST

    def feature_gain(self, n_features: int) -> np.ndarray:
        """Every numeric column counts alike in the distance: equal shares; the categorical
        codes are not read."""
        gain = np.zeros(n_features)
        numeric = self.arrays["numeric"]
        gain[numeric[numeric < n_features]] = 1.0
        return gain

    def to_artifact(self) -> tuple[dict, dict[str, bytes]]:
        meta = {"family": self.family, "task": self.task, "n_classes": self.n_classes,
                "k": self.k, "weights": self.weights}
        files = {f"{name}.npy": npy_bytes(array) for name, array in sorted(self.arrays.items())}
        return meta, files

"""Random-forest candidates: scikit-learn's ExtraTrees and RandomForest, stored as arrays.

scikit-learn fits the forest (its native missing-value support: NaN rows follow the side each
split learnt for them; the categorical codes are used as ordinal numbers). The fitted trees are
flattened into a few numpy arrays saved as .npy files (no pickle); predicting from them is the
scoring code's (`automl_runtime.families.ForestScorer`), shared with the standalone runtime, and
equals scikit-learn's predict_proba / predict.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp
from automl_runtime.families import ForestScorer, npy_bytes
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from .base import BudgetExceeded, FitContext, NotApplicable

KINDS = {
    "extra_trees": (ExtraTreesClassifier, ExtraTreesRegressor),
    "random_forest": (RandomForestClassifier, RandomForestRegressor),
}

# Defaults (AutoGluon's RF/XT models are the reference: 300 trees, at most 15,000 leaves a
# tree, scikit-learn's max_features: sqrt for classification, all columns for regression).
DEFAULT_PARAMS = {"min_samples_leaf": 1, "max_leaf_nodes": 15_000}

# Sparse input is densified for scikit-learn's missing-value support: at most this many cells.
MAX_DENSE_CELLS = 50_000_000


def dense_input(X, family: str) -> np.ndarray:
    if sp.issparse(X):
        cells = X.shape[0] * X.shape[1]
        if cells > MAX_DENSE_CELLS:
            raise NotApplicable(f"{family}: the sparse input of {X.shape[0]} x {X.shape[1]} "
                                f"would be densified, more than {MAX_DENSE_CELLS} cells")
        return np.asarray(X.toarray(), dtype=np.float64)
    return np.asarray(X, dtype=np.float64)


class ForestLearner:
    """One forest configuration: `kind` "extra_trees" or "random_forest", `n_estimators`
    trees, other scikit-learn parameters in `params` (over DEFAULT_PARAMS)."""

    family = "forest"

    def __init__(self, name: str, kind: str = "extra_trees", n_estimators: int = 300,
                 **params):
        if kind not in KINDS:
            raise ValueError(f"unknown forest kind {kind!r}; expected one of {sorted(KINDS)}")
        self.name = name
        self.kind = kind
        self.n_estimators = int(n_estimators)
        self.params = dict(params)

    def _key(self):
        return (self.name, self.kind, self.n_estimators, tuple(sorted(self.params.items())))

    def __eq__(self, other) -> bool:
        return isinstance(other, ForestLearner) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(repr(self._key()))

    def __repr__(self) -> str:
        return (f"ForestLearner({self.name!r}, kind={self.kind!r}, "
                f"n_estimators={self.n_estimators}, **{self.params!r})")

    def estimator(self, ctx: FitContext, n_estimators: int):
        classifier, regressor = KINDS[self.kind]
        params = {**DEFAULT_PARAMS, **self.params}
        if ctx.task == "classification":
            return classifier(n_estimators=n_estimators, warm_start=True, n_jobs=ctx.threads,
                              random_state=ctx.seed, **params)
        return regressor(n_estimators=n_estimators, warm_start=True, n_jobs=ctx.threads,
                         random_state=ctx.seed, **params)

    def fit(self, ctx: FitContext, X, y, valid=None, rounds=None, deadline=None, stop_at=None,
            weight=None, valid_weight=None) -> FittedForest:
        """Trees are grown in chunks (warm start: the same trees as one fit with the same
        seed); between chunks the clock is checked. Past `stop_at` no more trees are added
        (at least the first chunk is kept); when the remaining trees, at the pace so far,
        cannot finish before `deadline`, BudgetExceeded."""
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceeded
        X = dense_input(X, self.name)
        total = max(1, self.n_estimators)
        threads = max(1, ctx.threads)
        first = min(total, 4 * threads)
        chunk = max(threads, math.ceil(total / 10))
        model = self.estimator(ctx, first)
        start = time.monotonic()
        model.fit(X, y, sample_weight=weight)
        grown = first
        while grown < total:
            now = time.monotonic()
            pace = (now - start) / grown
            if deadline is not None and now + pace * (total - grown) > deadline:
                raise BudgetExceeded
            if stop_at is not None and now + pace * min(chunk, total - grown) > stop_at:
                break
            grown = min(total, grown + chunk)
            model.n_estimators = grown
            model.fit(X, y, sample_weight=weight)
        if deadline is not None and time.monotonic() > deadline:
            raise BudgetExceeded
        return FittedForest.from_sklearn(model, ctx, self.kind)

    def best_rounds(self, fitted) -> None:
        return None

    def expected_seconds(self, done) -> float | None:
        """From an earlier cross-validation of a forest of the same kind on these folds:
        its seconds scaled by the number of trees; else None (no estimate)."""
        for result in reversed(list(done)):
            other = result.learner
            if isinstance(other, ForestLearner) and other.kind == self.kind:
                return result.fit_seconds * self.n_estimators / max(1, other.n_estimators)
        return None


def _float32_floor(threshold: np.ndarray) -> np.ndarray:
    """The largest float32 <= each threshold (module doc of ForestScorer: same routing)."""
    t32 = threshold.astype(np.float32)
    above = t32.astype(np.float64) > threshold
    t32[above] = np.nextafter(t32[above], np.float32(-np.inf))
    return t32


def flatten_forest(estimators, n_classes: int, classes: np.ndarray | None) -> dict:
    """The trees' arrays in ForestScorer's layout (see there). `classes`: the engine's class
    code of each of the forest's classes (a fold may lack some)."""
    roots, feature, threshold, left, right, missing = [], [], [], [], [], []
    leaf_value, leaf_count, leaf_class, leaf_proba = [], [], [], []
    n_internal = n_leaves = 0
    for estimator in estimators:
        t = estimator.tree_
        is_leaf = t.children_left == -1
        internal = np.flatnonzero(~is_leaf)
        leaves = np.flatnonzero(is_leaf)
        position = np.empty(t.node_count, dtype=np.int64)
        position[internal] = n_internal + np.arange(len(internal))
        position[leaves] = ~(n_leaves + np.arange(len(leaves)))
        roots.append(position[0])
        feature.append(t.feature[internal].astype(np.int32))
        threshold.append(_float32_floor(t.threshold[internal]))
        left.append(position[t.children_left[internal]])
        right.append(position[t.children_right[internal]])
        go_left = getattr(t, "missing_go_to_left", None)
        missing.append(np.zeros(len(internal), np.uint8) if go_left is None
                       else np.asarray(go_left)[internal].astype(np.uint8))
        value = t.value[leaves][:, 0, :]
        if n_classes:
            # As DecisionTreeClassifier.predict_proba: each leaf's values over their sum.
            normalizer = value.sum(axis=1)
            normalizer[normalizer == 0.0] = 1.0
            proba = value / normalizer[:, None]
            nonzero = proba != 0
            leaf_count.append(nonzero.sum(axis=1))
            which, column = np.nonzero(nonzero)
            leaf_class.append(classes[column].astype(np.int32))
            leaf_proba.append(proba[which, column])
        else:
            leaf_value.append(value[:, 0].astype(np.float64))
        n_internal += len(internal)
        n_leaves += len(leaves)
    index = np.int32 if max(n_internal, n_leaves) < 2**31 - 1 else np.int64
    arrays = {
        "roots": np.asarray(roots, dtype=index),
        "feature": np.concatenate(feature).astype(np.int32),
        "threshold": np.concatenate(threshold).astype(np.float32),
        "left": np.concatenate(left).astype(index),
        "right": np.concatenate(right).astype(index),
        "missing_left": np.concatenate(missing).astype(np.uint8),
    }
    if n_classes:
        arrays["leaf_ptr"] = np.concatenate([[0], np.cumsum(np.concatenate(leaf_count))])
        arrays["leaf_class"] = np.concatenate(leaf_class).astype(np.int32)
        arrays["leaf_proba"] = np.concatenate(leaf_proba).astype(np.float64)
    else:
        arrays["leaf_value"] = np.concatenate(leaf_value)
    return arrays


def mean_depth(estimators) -> float:
    """Mean over the trees of the depth a training row reaches (weighted by the rows each
    leaf holds): the comparisons a row makes in a tree."""
    depths = []
    for estimator in estimators:
        t = estimator.tree_
        depth = np.asarray(t.compute_node_depths(), dtype=np.float64)
        depth -= depth[0]
        leaves = t.children_left == -1
        weight = t.weighted_n_node_samples[leaves]
        depths.append(float((depth[leaves] * weight).sum() / max(weight.sum(), 1e-300)))
    return float(np.mean(depths)) if depths else 0.0


# predict_cost per row and tree level, in units of one LightGBM tree of 31 leaves a row. By
# the work (comparisons) it would be 1/5 (such a tree is ~5 levels deep), but ForestScorer's
# NumPy descent costs one pass over the (rows x trees) arrays a level: measured on one core
# (20,000 x 10, 100 ExtraTrees of mean depth 21 vs 300 LightGBM trees of 31 leaves), 0.032 us
# a row and level against 0.030 us a row and LightGBM tree.
LEVEL_COST = 1.0


class FittedForest(ForestScorer):
    family = "forest"
    trained_rounds = 0  # not boosted

    @classmethod
    def from_sklearn(cls, model, ctx: FitContext, kind: str) -> FittedForest:
        classes = np.asarray(model.classes_, dtype=np.int64) if ctx.n_classes else None
        arrays = flatten_forest(model.estimators_, ctx.n_classes, classes)
        importance = np.asarray(model.feature_importances_, dtype=np.float64)
        arrays["importance"] = np.where(np.isfinite(importance), importance, 0.0)
        return cls(arrays, ctx.task, ctx.n_classes, kind, mean_depth(model.estimators_))

    def predict_cost(self) -> float:
        return self.n_trees * max(self.mean_depth, 1.0) * LEVEL_COST

    def feature_gain(self, n_features: int) -> np.ndarray:
        gain = self.arrays.get("importance", np.zeros(0))
        out = np.zeros(n_features)
        out[: min(n_features, len(gain))] = gain[:n_features]
        return out

    def to_artifact(self) -> tuple[dict, dict[str, bytes]]:
        meta = {"family": self.family, "task": self.task, "n_classes": self.n_classes,
                "kind": self.kind, "mean_depth": self.mean_depth, "n_trees": self.n_trees}
        files = {f"{name}.npy": npy_bytes(array) for name, array in sorted(self.arrays.items())}
        return meta, files

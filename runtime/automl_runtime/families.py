"""Each model family's prediction from its stored file (`from_artifact`), the one
implementation: the server's fitted components (`app/automl/models/`) inherit these classes
and add fitting, importance and saving.

A component predicts raw outputs from the encoded feature matrix: class probabilities of
shape (n, n_classes) for classification, values of shape (n,) for regression.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.special import expit, softmax

from .artifact import loads

PREDICT_BLOCK_TREES = 128
# Fewer rows are predicted in one call over all trees: each call costs about 0.1 ms, and the
# blocks only pay where many rows reuse a block from the cache.
PREDICT_BLOCK_MIN_ROWS = 64


class Scorer:
    """What every family's scorer shares. `prepare` turns the encoded matrix into the input
    `predict` reads; a bag calls it once for all its fold models (one family, the same
    columns), so per-call conversions are not repeated per fold."""

    def prepare(self, X):
        return X


class LGBMScorer(Scorer):
    """A LightGBM booster (its model text) and how its raw score becomes the output."""

    family = "lgbm"

    def __init__(self, booster, num_iteration: int, task: str, n_classes: int, threads: int):
        self.booster = booster
        self.num_iteration = int(num_iteration)
        self.task = task
        self.n_classes = n_classes
        self.threads = threads
        header = booster.model_to_string(num_iteration=1)  # the parameters and one tree
        self.averaged = "\naverage_output\n" in header

    def predict(self, X) -> np.ndarray:
        raw = self._raw_score(X)
        if self.task == "classification" and self.n_classes == 2:
            proba = expit(raw)
            return np.column_stack([1.0 - proba, proba])
        if self.task == "classification":
            return softmax(raw, axis=1)
        return raw

    def _raw_score(self, X) -> np.ndarray:
        """The summed tree outputs, computed a block of trees at a time.

        LightGBM walks every tree for one row before the next row: a model larger than the
        CPU cache (thousands of trees) is then read from memory once per row. Blocks of
        about PREDICT_BLOCK_TREES trees stay in cache across all rows: 5x faster on a
        26-class model of 7,800 trees, 1.4-1.8x on binary models of 500-1,500 trees (one
        core). The sum equals LightGBM's own to rounding (1e-13).
        """
        if self.num_iteration <= 0:
            return np.asarray(self.booster.predict(X, raw_score=True), dtype=np.float64)
        step = max(1, PREDICT_BLOCK_TREES // self.trees_per_round)
        if X.shape[0] < PREDICT_BLOCK_MIN_ROWS:
            step = self.num_iteration
        raw = None
        for start in range(0, self.num_iteration, step):
            part = self.booster.predict(
                X,
                start_iteration=start,
                num_iteration=min(step, self.num_iteration - start),
                raw_score=True,
                num_threads=self.threads,
            )
            raw = part if raw is None else raw + part
        if self.averaged:  # random-forest mode: the raw score is the sum of the trees
            raw = raw / self.num_iteration
        return np.asarray(raw, dtype=np.float64)

    @property
    def trees_per_round(self) -> int:
        """LightGBM grows one tree per class each round (one in all for binary)."""
        return self.n_classes if self.n_classes > 2 else 1

    @classmethod
    def from_artifact(cls, meta: dict, files: dict[str, bytes], threads: int):
        import lightgbm as lgb

        booster = lgb.Booster(model_str=files["model.txt"].decode("utf-8"))
        return cls(booster, booster.current_iteration(), meta["task"], meta["n_classes"], threads)


def catboost_pool(X, y, categorical: tuple[int, ...], weight=None):
    """CatBoost wants categorical columns as integers: the encoder's codes, -1 for missing.
    `weight`: per-row sample weights, or None."""
    from catboost import Pool

    if sp.issparse(X) or not categorical:
        return Pool(X, label=y, weight=weight)
    frame = pd.DataFrame(np.asarray(X))
    for j in categorical:
        frame[j] = np.nan_to_num(frame[j].to_numpy(), nan=-1.0).astype(np.int64)
    return Pool(frame, label=y, cat_features=list(categorical), weight=weight)


class CatBoostScorer(Scorer):
    """A CatBoost model (its `.cbm` file)."""

    family = "catboost"

    def __init__(self, model, task: str, n_classes: int, categorical, threads: int,
                 blob: bytes | None = None):
        self.model = model
        # The saved form; kept from loading, because CatBoost does not save a loaded model
        # back to the same bytes.
        self.blob = blob
        self.task = task
        self.n_classes = n_classes
        self.categorical = tuple(int(j) for j in categorical)
        self.threads = threads

    def prepare(self, X):
        return catboost_pool(X, None, self.categorical)

    def predict(self, X) -> np.ndarray:
        """`X`: the encoded matrix, or the Pool `prepare` made of it."""
        from catboost import Pool

        pool = X if isinstance(X, Pool) else self.prepare(X)
        if self.task == "classification":
            proba = self.model.predict(pool, prediction_type="Probability",
                                       thread_count=self.threads)
            proba = np.asarray(proba, dtype=np.float64)
            if proba.ndim == 1:
                proba = np.column_stack([1.0 - proba, proba])
            return proba
        return np.asarray(self.model.predict(pool, thread_count=self.threads), dtype=np.float64)

    @classmethod
    def from_artifact(cls, meta: dict, files: dict[str, bytes], threads: int):
        from catboost import CatBoost

        model = CatBoost()
        blob = files["model.cbm"]
        model.load_model(blob=blob, format="cbm")
        return cls(model, meta["task"], meta["n_classes"], meta["categorical"], threads, blob=blob)


@dataclass
class LinearPreprocessor:
    """Median imputation + standardisation (dense) or max-abs scaling (sparse, keeps zeros),
    and one-hot encoding of the most frequent category codes: the fitted arrays."""

    numeric: list[int]
    categorical: list[int]
    sparse: bool
    fill: np.ndarray  # per numeric column: value for NaN (dense only)
    center: np.ndarray
    scale: np.ndarray
    levels: list[list[int]]  # per categorical column: codes that get a one-hot column

    def transform(self, X):
        if self.sparse:
            block = sp.csr_matrix(X[:, self.numeric], dtype=np.float64, copy=True)
            block.data[~np.isfinite(block.data)] = 0.0
            block = block @ sp.diags(1.0 / self.scale)
        else:
            block = np.asarray(X[:, self.numeric], dtype=np.float64)
            block = (np.where(np.isnan(block), self.fill, block) - self.center) / self.scale
        onehots = [
            one_hot(column(X, j), levels)
            for j, levels in zip(self.categorical, self.levels, strict=True)
            if levels
        ]
        if not onehots:
            return block
        return sp.hstack([sp.csr_matrix(block), *onehots], format="csr")

    @classmethod
    def from_dict(cls, d: dict):
        def arr(key):
            return np.asarray(d[key], dtype=np.float64)

        return cls(
            list(d["numeric"]),
            list(d["categorical"]),
            bool(d["sparse"]),
            arr("fill"),
            arr("center"),
            arr("scale"),
            [list(levels) for levels in d["levels"]],
        )


def one_hot(codes: np.ndarray, levels: list[int]) -> sp.csr_matrix:
    table = np.full(max(levels) + 1, -1, dtype=np.int64)
    table[levels] = np.arange(len(levels))
    codes = np.where(np.isnan(codes), -1, codes).astype(np.int64)
    position = np.full(len(codes), -1, dtype=np.int64)
    known = (codes >= 0) & (codes < len(table))
    position[known] = table[codes[known]]
    rows = np.flatnonzero(position >= 0)
    data = np.ones(len(rows))
    return sp.csr_matrix((data, (rows, position[rows])), shape=(len(codes), len(levels)))


def column(X, j: int) -> np.ndarray:
    col = X[:, j]
    return np.asarray(col.todense()).ravel() if sp.issparse(col) else np.asarray(col, float)


class LinearScorer(Scorer):
    """Logits of the classes seen at fit (softmax over them; unseen classes get 0) or values."""

    family = "linear"
    preprocessor_type: type[LinearPreprocessor] = LinearPreprocessor

    def __init__(self, prep, coef, intercept, present: list[int], n_classes: int):
        self.prep = prep
        self.coef = np.asarray(coef, dtype=np.float64)
        self.intercept = np.asarray(intercept, dtype=np.float64)
        self.present = [int(k) for k in present]
        self.n_classes = int(n_classes)

    def predict(self, X) -> np.ndarray:
        Z = self.prep.transform(X)
        out = np.asarray(Z @ self.coef.T) + self.intercept
        if not self.n_classes:
            return out[:, 0]
        out -= out.max(axis=1, keepdims=True)
        np.exp(out, out=out)
        out /= out.sum(axis=1, keepdims=True)
        proba = np.zeros((out.shape[0], self.n_classes))
        proba[:, self.present] = out
        return proba

    @classmethod
    def from_artifact(cls, meta: dict, files: dict[str, bytes], threads: int):
        d = loads(files["linear.json"])
        return cls(
            cls.preprocessor_type.from_dict(d["prep"]),
            np.asarray(d["coef"], dtype=np.float64).reshape(len(d["coef"]), -1),
            d["intercept"],
            d["present"],
            d["n_classes"],
        )





# ---- arrays stored as .npy files (never pickled) -------------------------------------------


def npy_bytes(array: np.ndarray) -> bytes:
    """An array as the bytes of a .npy file; object arrays are refused (they would pickle)."""
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array), allow_pickle=False)
    return buffer.getvalue()


def npy_array(data: bytes) -> np.ndarray:
    import io

    return np.load(io.BytesIO(data), allow_pickle=False)


def dense_columns(X, columns: np.ndarray) -> np.ndarray:
    """The given columns of X (dense or sparse) as a dense float64 array."""
    if sp.issparse(X):
        return np.asarray(sp.csc_matrix(X)[:, columns].toarray(), dtype=np.float64)
    return np.asarray(np.asarray(X)[:, columns], dtype=np.float64)


# Cells of the (rows x trees) or (rows x stored rows) work arrays one block of rows uses.
PREDICT_BLOCK_CELLS = 1 << 21


class ForestScorer(Scorer):
    """A scikit-learn ExtraTrees / RandomForest, its trees flattened into arrays.

    Interior nodes (all trees): `feature`, `threshold`, `left`, `right`, `missing_left`. A
    child (or a tree's root) >= 0 is an interior node, < 0 the leaf ~child. Thresholds are
    stored as float32, rounded down: scikit-learn compares the row's value cast to float32
    with its float64 threshold, and for a float32 x, x <= t exactly when x <= the largest
    float32 not above t. Leaves: regression one value each; classification a sparse row of
    class probabilities each (`leaf_ptr`, `leaf_class` in the engine's class codes,
    `leaf_proba`; a pure leaf stores one entry). The prediction is the mean over the trees,
    as scikit-learn's predict_proba / predict. Rows descend all trees together, one level a
    step, a block of rows at a time.
    """

    family = "forest"

    def __init__(self, arrays: dict[str, np.ndarray], task: str, n_classes: int, kind: str,
                 mean_depth: float):
        self.arrays = arrays
        self.task = task
        self.n_classes = int(n_classes)
        self.kind = kind
        self.mean_depth = float(mean_depth)
        self.n_trees = len(arrays["roots"])
        feature = arrays["feature"]
        # Only the columns some split reads are gathered (sparse input: the rest stay sparse).
        self._used, self._feature = np.unique(feature, return_inverse=True)
        self._feature = self._feature.astype(np.intp).reshape(feature.shape)

    def predict(self, X) -> np.ndarray:
        n = X.shape[0]
        out = np.zeros((n, self.n_classes)) if self.n_classes else np.zeros(n)
        if n == 0 or self.n_trees == 0:
            return out
        step = max(1, PREDICT_BLOCK_CELLS // self.n_trees)
        for start in range(0, n, step):
            rows = slice(start, min(n, start + step))
            leaves = self.leaves(X[rows])
            out[rows] = self._leaf_mean(leaves)
        return out

    def leaves(self, X) -> np.ndarray:
        """(n, n_trees): the leaf each row reaches in each tree."""
        a = self.arrays
        values = dense_columns(X, self._used).astype(np.float32)
        n = values.shape[0]
        node = np.broadcast_to(a["roots"], (n, self.n_trees)).astype(np.int64)
        row = np.broadcast_to(np.arange(n)[:, None], node.shape)
        where = np.flatnonzero(node.ravel() >= 0)
        flat = node.ravel()
        flat_row = row.ravel()
        while len(where):
            k = flat[where]
            x = values[flat_row[where], self._feature[k]]
            left = np.where(np.isnan(x), a["missing_left"][k], x <= a["threshold"][k])
            nxt = np.where(left, a["left"][k], a["right"][k])
            flat[where] = nxt
            where = where[nxt >= 0]
        return ~flat.reshape(n, self.n_trees)

    def _leaf_mean(self, leaves: np.ndarray) -> np.ndarray:
        a = self.arrays
        n = leaves.shape[0]
        if not self.n_classes:
            return a["leaf_value"][leaves].sum(axis=1) / self.n_trees
        flat = leaves.ravel()
        start, stop = a["leaf_ptr"][flat], a["leaf_ptr"][flat + 1]
        counts = stop - start
        owner = np.repeat(np.arange(len(flat)) // self.n_trees, counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        entry = np.repeat(start, counts) + offset
        cell = owner * self.n_classes + a["leaf_class"][entry]
        total = np.bincount(cell, weights=a["leaf_proba"][entry], minlength=n * self.n_classes)
        return total.reshape(n, self.n_classes) / self.n_trees

    @classmethod
    def from_artifact(cls, meta: dict, files: dict[str, bytes], threads: int):
        arrays = {name[:-4]: npy_array(data) for name, data in files.items()
                  if name.endswith(".npy")}
        return cls(arrays, meta["task"], meta["n_classes"], meta["kind"], meta["mean_depth"])


# A class no neighbour has still gets this probability (renormalised), so log loss is finite.
KNN_PROBA_FLOOR = 1e-5


class KNNScorer(Scorer):
    """k nearest neighbours (Euclidean) among the stored training rows, on the numeric columns
    (`numeric`) filled by the training median and scaled (`center`, `scale`); `train` is the
    scaled stored rows (float32), `target` their class codes or values, `weight` optional
    per-row sample weights. Weights "uniform" or "distance" (1/d; rows at distance 0, if any,
    share the vote alone), as scikit-learn's KNeighbors estimators. Brute force: distances by
    the dot-product trick pick the candidates, the k chosen are ordered by their exact ones.
    """

    family = "knn"

    def __init__(self, arrays: dict[str, np.ndarray], task: str, n_classes: int, k: int,
                 weights: str):
        self.arrays = arrays
        self.task = task
        self.n_classes = int(n_classes)
        self.weights = weights
        self.train = arrays["train"]
        self.k = max(1, min(int(k), self.train.shape[0]))
        self._train64 = self.train.astype(np.float64)
        self._norms = np.einsum("ij,ij->i", self._train64, self._train64)

    def transform(self, X) -> np.ndarray:
        a = self.arrays
        block = dense_columns(X, a["numeric"])
        block = np.where(np.isnan(block), a["fill"], block)
        return ((block - a["center"]) / a["scale"]).astype(np.float32)

    def neighbours(self, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(index, distance), each (n, k), nearest first, of scaled rows Z."""
        Z64 = Z.astype(np.float64)
        d2 = (np.einsum("ij,ij->i", Z64, Z64)[:, None] - 2.0 * (Z64 @ self._train64.T)
              + self._norms[None, :])
        if self.k < d2.shape[1]:
            index = np.argpartition(d2, self.k - 1, axis=1)[:, : self.k]
        else:
            index = np.broadcast_to(np.arange(d2.shape[1]), d2.shape).copy()
        diff = Z64[:, None, :] - self._train64[index]
        exact = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        order = np.argsort(exact, axis=1, kind="stable")
        return np.take_along_axis(index, order, 1), np.take_along_axis(exact, order, 1)

    def predict(self, X) -> np.ndarray:
        n = X.shape[0]
        out = np.zeros((n, self.n_classes)) if self.n_classes else np.zeros(n)
        if n == 0:
            return out
        # A block's work arrays: distances (rows x stored rows), the k chosen rows' differences
        # (rows x k x columns).
        width = max(1, self.train.shape[0], self.k * self.train.shape[1])
        step = max(1, PREDICT_BLOCK_CELLS // width)
        for start in range(0, n, step):
            rows = slice(start, min(n, start + step))
            index, distance = self.neighbours(self.transform(X[rows]))
            out[rows] = self._vote(index, distance)
        return out

    def _vote(self, index: np.ndarray, distance: np.ndarray) -> np.ndarray:
        if self.weights == "distance":
            with np.errstate(divide="ignore"):
                w = 1.0 / distance
            exact = np.isinf(w)
            rows = exact.any(axis=1)
            w[rows] = exact[rows]  # a row with exact matches: only they vote
        else:
            w = np.ones_like(distance)
        if "weight" in self.arrays:
            w = w * self.arrays["weight"][index]
        target = self.arrays["target"][index]
        if not self.n_classes:
            return (w * target).sum(axis=1) / w.sum(axis=1)
        n = index.shape[0]
        cell = np.arange(n)[:, None] * self.n_classes + target
        votes = np.bincount(cell.ravel(), weights=w.ravel(), minlength=n * self.n_classes)
        votes = votes.reshape(n, self.n_classes)
        total = votes.sum(axis=1, keepdims=True)
        proba = np.divide(votes, total, out=np.full_like(votes, 1.0 / self.n_classes),
                          where=total > 0)
        proba = np.maximum(proba, KNN_PROBA_FLOOR)
        return proba / proba.sum(axis=1, keepdims=True)

    @classmethod
    def from_artifact(cls, meta: dict, files: dict[str, bytes], threads: int):
        arrays = {name[:-4]: npy_array(data) for name, data in files.items()
                  if name.endswith(".npy")}
        return cls(arrays, meta["task"], meta["n_classes"], meta["k"], meta["weights"])


SCORERS: dict[str, type] = {
    "lgbm": LGBMScorer, "catboost": CatBoostScorer, "linear": LinearScorer,
    "forest": ForestScorer, "knn": KNNScorer}

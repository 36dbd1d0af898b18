"""Linear candidates: logistic regression / ridge on scaled numerics plus one-hot categories.

sklearn fits the model; the fitted preprocessing and coefficients are kept as plain arrays so
prediction is a few lines of numpy and the artifact is JSON (no pickle). Predicting and loading
are the scoring code's (`automl_runtime.families`), shared with the standalone runtime.
"""

from __future__ import annotations

import warnings
from dataclasses import KW_ONLY, dataclass

import numpy as np
import orjson
import scipy.sparse as sp
from automl_runtime.families import LinearPreprocessor, LinearScorer
from automl_runtime.families import column as _column
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge

from .base import FitContext, NotApplicable


class _Preprocessor(LinearPreprocessor):
    """Median imputation + standardisation (dense) or max-abs scaling (sparse, keeps zeros),
    and one-hot encoding of the most frequent category codes: fitted here, applied by the
    scoring code (`LinearPreprocessor.transform`)."""

    @classmethod
    def fit(cls, X, categorical: tuple[int, ...], max_levels: int) -> _Preprocessor:
        cat, is_cat = list(categorical), set(categorical)
        num = [j for j in range(X.shape[1]) if j not in is_cat]
        sparse = sp.issparse(X)
        fill = np.zeros(len(num))
        center = np.zeros(len(num))
        if sparse:
            block = sp.csc_matrix(X[:, num], dtype=np.float64, copy=True)
            block.data = np.where(np.isfinite(block.data), np.abs(block.data), 0.0)
            scale = block.max(axis=0).toarray().ravel() if num else np.zeros(0)
        elif len(num) and X.shape[0]:
            block = np.asarray(X[:, num], dtype=np.float64)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                fill = np.nanmedian(block, axis=0)
            fill = np.where(np.isnan(fill), 0.0, fill)
            block = np.where(np.isnan(block), fill, block)
            center, scale = block.mean(axis=0), block.std(axis=0)
        else:
            scale = np.ones(len(num))
        scale = np.where(scale > 0, scale, 1.0)
        levels = []
        for j in cat:
            codes = _column(X, j)
            codes = codes[~np.isnan(codes)].astype(np.int64)
            values, counts = np.unique(codes, return_counts=True)
            top = values[np.argsort(-counts, kind="stable")[:max_levels]]
            levels.append(sorted(int(v) for v in top))
        return cls(num, cat, sparse, fill, center, scale, levels)

    def to_dict(self) -> dict:
        return {
            "numeric": self.numeric,
            "categorical": self.categorical,
            "sparse": self.sparse,
            "fill": self.fill.tolist(),
            "center": self.center.tolist(),
            "scale": self.scale.tolist(),
            "levels": self.levels,
        }


@dataclass(frozen=True)
class LinearLearner:
    name: str = "linear"
    _: KW_ONLY
    C: float = 1.0  # inverse L2 strength of the logistic regression
    alpha: float = 1.0  # L2 strength of the ridge regression
    max_levels: int = 64  # one-hot columns per categorical attribute
    family: str = "linear"

    def fit(
        self, ctx: FitContext, X, y, valid=None, rounds=None, deadline=None, stop_at=None,
        weight=None, valid_weight=None,
    ) -> FittedLinear:
        if weight is not None and not np.any(weight > 0):
            raise NotApplicable(f"{self.name}: every training row of this fold weighs 0")
        prep = _Preprocessor.fit(X, ctx.categorical_indices, self.max_levels)
        Z = prep.transform(X)
        if ctx.task == "regression":
            model = Ridge(alpha=self.alpha).fit(Z, y, sample_weight=weight)
            coef = np.atleast_2d(model.coef_)
            return FittedLinear(prep, coef, np.atleast_1d(model.intercept_), [], 0)
        present = np.unique(y)
        if len(present) == 1:  # a fold can miss all but one class of a tiny dataset
            coef = np.zeros((1, Z.shape[1]))
            return FittedLinear(prep, coef, np.zeros(1), present.tolist(), ctx.n_classes)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(C=self.C, max_iter=500).fit(Z, y, sample_weight=weight)
        coef, intercept = model.coef_, model.intercept_
        if len(present) == 2:  # sklearn's binary form: logit of the second class vs the first
            coef = np.vstack([np.zeros_like(coef), coef])
            intercept = np.concatenate([[0.0], intercept])
        return FittedLinear(prep, coef, intercept, present.tolist(), ctx.n_classes)

    def best_rounds(self, fitted) -> None:
        return None

    def expected_seconds(self, done) -> None:
        return None  # no estimate: it runs, and is dropped if it runs out of time


class FittedLinear(LinearScorer):
    """Logits of the classes seen at fit (softmax over them; unseen classes get 0) or values."""

    family = "linear"
    trained_rounds = 0  # not boosted
    preprocessor_type = _Preprocessor

    def predict_cost(self) -> float:
        return self.coef.size / 1000.0  # one multiply-add per coefficient

    def feature_gain(self, n_features: int) -> np.ndarray:
        weight = np.abs(self.coef).sum(axis=0)
        gain = np.zeros(n_features)
        n_num = len(self.prep.numeric)
        gain[self.prep.numeric] = weight[:n_num]
        start = n_num
        for j, levels in zip(self.prep.categorical, self.prep.levels, strict=True):
            gain[j] = weight[start : start + len(levels)].mean() if levels else 0.0
            start += len(levels)
        return gain

    def contributions(self, X) -> np.ndarray:
        """Exact terms of the raw score per encoded input column: coefficient x scaled value
        (a numeric column; dense input is centred, so 0 is the training mean) or the sum of
        its one-hot terms (a categorical attribute); the last entry is the intercept.
        (n, n_cols + 1) for regression and binary (the log-odds of class 1), else
        (n, n_classes, n_cols + 1) (the logits). A member fitted on rows that missed a
        class has no finite raw score for it: ValueError."""
        n_cols = X.shape[1]
        if self.n_classes and self.present != list(range(self.n_classes)):
            raise ValueError("a linear member was fitted on rows that lacked some classes, so "
                             "its raw score for them is not finite")
        coef, intercept = self.coef, self.intercept
        if self.n_classes == 2:  # log-odds of class 1: the difference of the two logits
            coef = coef[1:] - coef[:1]
            intercept = intercept[1:] - intercept[:1]
        Z = self.prep.transform(X)
        # Which encoded input column each of Z's columns belongs to.
        owner = list(self.prep.numeric)
        for j, levels in zip(self.prep.categorical, self.prep.levels, strict=True):
            owner.extend([j] * len(levels))
        fold = sp.csr_matrix(
            (np.ones(len(owner)), (np.arange(len(owner)), owner)), shape=(len(owner), n_cols))
        out = np.empty((Z.shape[0], len(coef), n_cols + 1))
        for k in range(len(coef)):
            terms = Z.multiply(coef[k]) if sp.issparse(Z) else Z * coef[k]
            out[:, k, :n_cols] = (sp.csr_matrix(terms) @ fold).toarray()
            out[:, k, n_cols] = intercept[k]
        return out if self.n_classes > 2 else out[:, 0, :]

    def slopes(self, n_cols: int) -> np.ndarray:
        """Regression: how much the prediction moves per unit of each encoded column (0 for
        categorical ones). A numeric column's term in `contributions` is affine in its value
        with this slope, which lets a stacked linear member pass its terms on the first level's
        predictions back to the features those predictions come from."""
        if self.n_classes:
            raise ValueError("slopes are defined for a regression")
        out = np.zeros(n_cols)
        numeric = self.prep.numeric
        out[numeric] = self.coef[0, : len(numeric)] / self.prep.scale
        return out

    def to_artifact(self) -> tuple[dict, dict[str, bytes]]:
        payload = {
            "prep": self.prep.to_dict(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept.tolist(),
            "present": self.present,
            "n_classes": self.n_classes,
        }
        return {"family": self.family}, {"linear.json": orjson.dumps(payload)}

"""Metrics reported to users and the scores used to pick models."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata


def classification_metrics(
    y_true: Sequence, y_pred: Sequence, proba: np.ndarray | None, classes: Sequence
) -> dict:
    """Accuracy, micro/macro precision, recall and F1, and AUC.

    Labels are compared by value; a true label that is not in `classes` counts as a wrong
    prediction. `proba[:, k]` is the probability of `classes[k]`. AUC is the binary ROC AUC,
    or the macro one-vs-rest average over the known classes that occur in
    `y_true` without being all of it; None when no such class exists or `proba` is None.
    """
    index = {label: k for k, label in enumerate(classes)}
    true_idx = np.array([index.setdefault(label, len(index)) for label in y_true], dtype=np.int64)
    pred_idx = np.array([index.setdefault(label, len(index)) for label in y_pred], dtype=np.int64)
    return index_metrics(true_idx, pred_idx, proba, len(classes))


def index_metrics(
    true_idx: np.ndarray, pred_idx: np.ndarray, proba: np.ndarray | None, n_classes: int
) -> dict:
    """`classification_metrics` of class indices: index k < n_classes is `classes[k]` (the
    column of `proba`), larger ones are labels outside the classes (each its own index).

    Computed from counts per label, as scikit-learn's precision_recall_fscore_support
    (zero_division=0, labels: those present in either) and roc_auc_score do, without their
    input validation (2.5 ms a call: most of the time of a one-row prediction).
    """
    true_idx = np.asarray(true_idx, dtype=np.int64)
    pred_idx = np.asarray(pred_idx, dtype=np.int64)
    n = len(true_idx)
    correct = true_idx == pred_idx
    present = np.union1d(true_idx, pred_idx)
    size = int(present[-1]) + 1 if len(present) else 0
    tp = np.bincount(true_idx[correct], minlength=size)[present].astype(np.float64)
    true_sum = np.bincount(true_idx, minlength=size)[present].astype(np.float64)
    pred_sum = np.bincount(pred_idx, minlength=size)[present].astype(np.float64)
    micro = float(tp.sum()) / n if n else 0.0  # every prediction is of a present label
    out = {
        "accuracy": float(np.mean(correct)) if n else 0.0,
        "micro_precision": micro,
        "micro_recall": micro,
        "micro_f1": micro,
        "macro_precision": _mean_ratio(tp, pred_sum),
        "macro_recall": _mean_ratio(tp, true_sum),
        "macro_f1": _mean_ratio(2.0 * tp, true_sum + pred_sum),
    }
    out["auc"] = _macro_auc(true_idx, proba, n_classes) if proba is not None else None
    return out


def _mean_ratio(numerator: np.ndarray, denominator: np.ndarray) -> float:
    """Mean of numerator / denominator, a zero denominator counting 0."""
    if len(numerator) == 0:
        return 0.0
    safe = np.where(denominator > 0, denominator, 1.0)
    return float(np.mean(np.where(denominator > 0, numerator / safe, 0.0)))


def _macro_auc(true_idx: np.ndarray, proba: np.ndarray, n_classes: int) -> float | None:
    scores = []
    for k in range(n_classes):
        positives = true_idx == k
        if 0 < positives.sum() < len(true_idx):
            scores.append(_rank_auc(positives, proba[:, k]))
        if n_classes == 2 and scores:
            break  # both one-vs-rest AUCs of a binary problem are equal
    if not scores:
        return None
    value = float(np.mean(scores))
    return value if np.isfinite(value) else None


def _rank_auc(positive: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula (tied scores share their average rank, as ties count
    half in roc_auc_score); both classes must be present."""
    n_pos = int(positive.sum())
    n_neg = len(positive) - n_pos
    ranks = rankdata(score)
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def regression_metric(y_true: Sequence, y_pred: Sequence) -> float:
    """Mean squared error."""
    return _mse(np.asarray(y_true, dtype=np.float64), np.asarray(y_pred, dtype=np.float64))


@dataclass(frozen=True)
class Scorer:
    """Selection score on encoded labels and raw predictions (probabilities or values)."""

    name: str
    greater_is_better: bool
    func: Callable[[np.ndarray, np.ndarray], float]

    def __call__(self, y: np.ndarray, pred: np.ndarray) -> float:
        return float(self.func(y, pred))

    def better(self, a: float, b: float) -> bool:
        """True when score `a` is strictly better than `b`."""
        return a > b if self.greater_is_better else a < b

    def sort_key(self, score: float) -> float:
        return -score if self.greater_is_better else score


def _binary_auc(y: np.ndarray, proba: np.ndarray) -> float:
    """ROC AUC by the rank-sum formula (ties get average ranks, as in roc_auc_score, which is
    several times slower; ensemble selection calls this hundreds of times)."""
    positive = np.asarray(y) == 1
    n_pos = int(positive.sum())
    if n_pos == 0 or n_pos == len(positive):
        return float(np.mean(np.asarray(y) == proba.argmax(axis=1)))
    return _rank_auc(positive, proba[:, 1])


def _log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    """Mean negative log probability of the true class (probabilities clipped at 1e-15)."""
    picked = proba[np.arange(len(y)), np.asarray(y, dtype=np.int64)]
    return float(-np.mean(np.log(np.clip(picked, 1e-15, 1.0))))


def _mse(y: np.ndarray, pred: np.ndarray) -> float:
    diff = np.asarray(pred, dtype=np.float64) - y
    return float(np.mean(diff * diff))


def selection_scorer(task: str, n_classes: int) -> Scorer:
    """The AMLB metrics: ROC AUC for binary, log loss for multiclass, MSE for regression.

    Multiclass models are chosen (and ensembled) by log loss, not accuracy: accuracy ignores
    how good the probabilities are, and is too coarse to separate close candidates.
    """
    if task == "regression":
        return Scorer("mse", False, _mse)
    if n_classes == 2:
        return Scorer("auc", True, _binary_auc)
    return Scorer("log_loss", False, _log_loss)

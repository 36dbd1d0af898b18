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
    """Macro one-vs-rest ROC AUC over the rows whose label the model knows: a label outside
    its classes has no probability column, and counted among the "rest" of a binary model's
    AUC it became that model's other class."""
    known = true_idx < n_classes
    true_idx, proba = true_idx[known], proba[known]
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


CLASSIFICATION_METRICS = ("accuracy", "balanced_accuracy", "f1", "log_loss", "auc", "pr_auc")
REGRESSION_METRICS = ("rmse", "mse", "mae", "r2", "mape")
# Metrics of predicted labels: on a binary task the decision threshold is tuned for them.
THRESHOLD_METRICS = ("accuracy", "balanced_accuracy", "f1")


def metrics_for(task: str) -> tuple[str, ...]:
    """The `eval_metric` values that fit a task."""
    return REGRESSION_METRICS if task == "regression" else CLASSIFICATION_METRICS


def default_metric(task: str, n_classes: int) -> str:
    """The AMLB metrics: ROC AUC for binary, log loss for multiclass, MSE for regression."""
    if task == "regression":
        return "mse"
    return "auc" if n_classes == 2 else "log_loss"


@dataclass(frozen=True)
class Scorer:
    """Selection score on encoded labels and raw predictions (probabilities or values), with
    optional per-row weights (None: every row counts 1).

    A binary `tunes_threshold` scorer scores probabilities at their best decision threshold
    (`best_threshold`): the one the model would use if they were its out-of-fold predictions.
    """

    name: str
    greater_is_better: bool
    func: Callable[..., float]
    tunes_threshold: bool = False

    def __call__(self, y: np.ndarray, pred: np.ndarray, weight: np.ndarray | None = None) -> float:
        return float(self.func(y, pred, weight))

    def better(self, a: float, b: float) -> bool:
        """True when score `a` is strictly better than `b`."""
        return a > b if self.greater_is_better else a < b

    def sort_key(self, score: float) -> float:
        return -score if self.greater_is_better else score


def _weights(n: int, weight: np.ndarray | None) -> np.ndarray:
    return np.ones(n) if weight is None else np.asarray(weight, dtype=np.float64)


def _wmean(values: np.ndarray, weight: np.ndarray | None) -> float:
    if weight is None:
        return float(np.mean(values)) if len(values) else 0.0
    total = float(np.sum(weight))
    return float(np.dot(values, weight) / total) if total > 0 else 0.0


def _binary_auc(y: np.ndarray, proba: np.ndarray, weight: np.ndarray | None = None) -> float:
    """ROC AUC by the rank-sum formula (ties get average ranks, as in roc_auc_score, which is
    several times slower; ensemble selection calls this hundreds of times)."""
    positive = np.asarray(y) == 1
    n_pos = int(positive.sum())
    if n_pos == 0 or n_pos == len(positive):
        return _wmean(np.asarray(y) == proba.argmax(axis=1), weight)
    if weight is None:
        return _rank_auc(positive, proba[:, 1])
    return _weighted_auc(positive, proba[:, 1], weight)


def _groups(score: np.ndarray, descending: bool):
    """Order of the rows by score and the start of each run of equal scores."""
    order = np.argsort(-score if descending else score, kind="mergesort")
    s = score[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if len(s) else np.zeros(0, int)
    return order, starts


def _weighted_auc(positive: np.ndarray, score: np.ndarray, weight: np.ndarray) -> float:
    """ROC AUC with row weights: the weighted share of (positive, negative) pairs ranked
    right, ties counting half (roc_auc_score's sample_weight)."""
    order, starts = _groups(np.asarray(score, dtype=np.float64), descending=False)
    w, p = weight[order], positive[order]
    pos = np.add.reduceat(w * p, starts)
    neg = np.add.reduceat(w * ~p, starts)
    below = np.cumsum(neg) - neg
    denominator = pos.sum() * neg.sum()
    if denominator <= 0:
        return 0.5
    return float(np.sum(pos * (below + 0.5 * neg)) / denominator)


def _average_precision(positive: np.ndarray, score: np.ndarray, weight: np.ndarray) -> float:
    """Area under the precision-recall curve as average precision (average_precision_score:
    the sum over thresholds of the recall gained times the precision there)."""
    order, starts = _groups(np.asarray(score, dtype=np.float64), descending=True)
    w, p = weight[order], positive[order]
    tp = np.cumsum(np.add.reduceat(w * p, starts))
    fp = np.cumsum(np.add.reduceat(w * ~p, starts))
    total = tp[-1] if len(tp) else 0.0
    if total <= 0:
        return 0.0
    precision = tp / np.maximum(tp + fp, 1e-300)
    recall = tp / total
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def _pr_auc(y: np.ndarray, proba: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Average precision of the positive class (binary), or its macro one-vs-rest mean over
    the classes present."""
    y = np.asarray(y, dtype=np.int64)
    w = _weights(len(y), weight)
    if proba.shape[1] == 2:
        return _average_precision(y == 1, proba[:, 1], w)
    present = [k for k in range(proba.shape[1]) if np.any(y == k)]
    return float(np.mean([_average_precision(y == k, proba[:, k], w) for k in present]))


def _multi_auc(y: np.ndarray, proba: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Macro one-vs-rest ROC AUC over the classes present without being every row."""
    if proba.shape[1] == 2:
        return _binary_auc(y, proba, weight)
    y = np.asarray(y, dtype=np.int64)
    w = _weights(len(y), weight)
    scores = [_weighted_auc(y == k, proba[:, k], w) for k in range(proba.shape[1])
              if 0 < np.sum(y == k) < len(y)]
    return float(np.mean(scores)) if scores else 0.5


def _log_loss(y: np.ndarray, proba: np.ndarray, weight: np.ndarray | None = None) -> float:
    """Mean negative log probability of the true class (probabilities clipped at 1e-15)."""
    picked = proba[np.arange(len(y)), np.asarray(y, dtype=np.int64)]
    return _wmean(-np.log(np.clip(picked, 1e-15, 1.0)), weight)


def label_score(name: str, y: np.ndarray, pred: np.ndarray, n_classes: int,
                weight: np.ndarray | None = None) -> float:
    """A threshold metric of predicted class codes: accuracy, balanced accuracy (the mean
    recall of the classes present in `y`) or F1 (of class 1 when binary, else the macro
    mean over the classes present in `y` or `pred`)."""
    y = np.asarray(y, dtype=np.int64)
    pred = np.asarray(pred, dtype=np.int64)
    w = _weights(len(y), weight)
    correct = y == pred
    if name == "accuracy":
        return _wmean(correct, w)
    size = max(n_classes, int(y.max(initial=0)) + 1, int(pred.max(initial=0)) + 1)
    tp = np.bincount(y[correct], weights=w[correct], minlength=size)
    true_sum = np.bincount(y, weights=w, minlength=size)
    pred_sum = np.bincount(pred, weights=w, minlength=size)
    if name == "balanced_accuracy":
        present = true_sum > 0
        return float(np.mean(tp[present] / true_sum[present])) if present.any() else 0.0
    if name == "f1":
        if n_classes == 2:
            denominator = true_sum[1] + pred_sum[1]
            return float(2 * tp[1] / denominator) if denominator > 0 else 0.0
        present = (true_sum > 0) | (pred_sum > 0)
        return _mean_ratio(2.0 * tp[present], (true_sum + pred_sum)[present])
    raise ValueError(f"not a threshold metric: {name!r}")


def threshold_scores(name: str, y: np.ndarray, p1: np.ndarray,
                     weight: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Every distinct decision of a binary classifier that predicts class 1 when
    `p1 > threshold`: the thresholds (midway between consecutive distinct probabilities, and
    past both ends) and the metric `name` at each."""
    y = np.asarray(y, dtype=np.int64)
    p1 = np.asarray(p1, dtype=np.float64)
    w = _weights(len(y), weight)
    order, starts = _groups(p1, descending=True)
    values = p1[order][starts]
    positive = (y == 1)[order]
    tp = np.r_[0.0, np.cumsum(np.add.reduceat(w[order] * positive, starts))]
    fp = np.r_[0.0, np.cumsum(np.add.reduceat(w[order] * ~positive, starts))]
    pos_total, neg_total = tp[-1], fp[-1]
    tn, fn = neg_total - fp, pos_total - tp
    if name == "accuracy":
        scores = (tp + tn) / max(pos_total + neg_total, 1e-300)
    elif name == "balanced_accuracy":
        recalls = [tp / pos_total] if pos_total > 0 else []
        recalls += [tn / neg_total] if neg_total > 0 else []
        scores = np.mean(recalls, axis=0) if recalls else np.zeros(len(tp))
    elif name == "f1":
        denominator = 2 * tp + fp + fn
        scores = np.where(denominator > 0, 2 * tp / np.maximum(denominator, 1e-300), 0.0)
    else:
        raise ValueError(f"not a threshold metric: {name!r}")
    # k groups predicted positive: the threshold lies between values[k-1] and values[k].
    thresholds = np.empty(len(values) + 1)
    thresholds[0] = max(1.0, values[0]) if len(values) else 0.5  # none predicted 1
    thresholds[1:-1] = (values[:-1] + values[1:]) / 2
    if len(values):
        thresholds[-1] = np.nextafter(values[-1], -np.inf)  # all predicted 1
    return thresholds, np.asarray(scores, dtype=np.float64)


def best_threshold(name: str, y: np.ndarray, p1: np.ndarray,
                   weight: np.ndarray | None = None) -> tuple[float, float]:
    """The decision threshold (class 1 when `p1 > threshold`) that maximises the threshold
    metric `name` on these rows, and that maximum. Ties go to the threshold nearest 0.5, so
    when no threshold beats argmax, argmax's decisions are kept."""
    thresholds, scores = threshold_scores(name, y, p1, weight)
    best = np.flatnonzero(scores >= scores.max() - 1e-12)
    pick = best[np.argmin(np.abs(thresholds[best] - 0.5))]
    return float(thresholds[pick]), float(scores[pick])


def _threshold_scorer(name: str, n_classes: int) -> Scorer:
    if n_classes == 2:
        def tuned(y, proba, weight=None):
            return best_threshold(name, y, proba[:, 1], weight)[1]

        return Scorer(name, True, tuned, tunes_threshold=True)

    def argmax(y, proba, weight=None):
        return label_score(name, y, proba.argmax(axis=1), n_classes, weight)

    return Scorer(name, True, argmax)


def _mse(y: np.ndarray, pred: np.ndarray, weight: np.ndarray | None = None) -> float:
    diff = np.asarray(pred, dtype=np.float64) - y
    return _wmean(diff * diff, weight)


def _rmse(y, pred, weight=None) -> float:
    return float(np.sqrt(_mse(y, pred, weight)))


def _mae(y, pred, weight=None) -> float:
    return _wmean(np.abs(np.asarray(pred, dtype=np.float64) - y), weight)


def _mape(y, pred, weight=None) -> float:
    """Mean |error| / |truth| (a zero truth divides by the smallest float, as scikit-learn's
    mean_absolute_percentage_error does); a fraction, not a percentage."""
    y = np.asarray(y, dtype=np.float64)
    ratio = np.abs(np.asarray(pred, dtype=np.float64) - y) / np.maximum(
        np.abs(y), np.finfo(np.float64).eps)
    return _wmean(ratio, weight)


def _r2(y, pred, weight=None) -> float:
    y = np.asarray(y, dtype=np.float64)
    w = _weights(len(y), weight)
    mean = np.dot(w, y) / w.sum() if w.sum() > 0 else 0.0
    residual = float(np.dot(w, (np.asarray(pred, dtype=np.float64) - y) ** 2))
    total = float(np.dot(w, (y - mean) ** 2))
    if total <= 0:
        return 1.0 if residual <= 0 else 0.0
    return 1.0 - residual / total


_REGRESSION = {"mse": (_mse, False), "rmse": (_rmse, False), "mae": (_mae, False),
               "r2": (_r2, True), "mape": (_mape, False)}


def selection_scorer(task: str, n_classes: int, metric: str | None = None) -> Scorer:
    """The scorer of `metric` (an `eval_metric`; None: `default_metric`).

    By default multiclass models are chosen (and ensembled) by log loss, not accuracy:
    accuracy ignores how good the probabilities are, and is too coarse to separate close
    candidates. A metric that does not fit the task raises ValueError naming those that do.
    """
    metric = metric or default_metric(task, n_classes)
    if metric not in metrics_for(task):
        raise ValueError(f"eval_metric {metric!r} does not fit a {task}; use one of "
                         f"{', '.join(metrics_for(task))}")
    if task == "regression":
        func, greater = _REGRESSION[metric]
        return Scorer(metric, greater, func)
    if metric in THRESHOLD_METRICS:
        return _threshold_scorer(metric, n_classes)
    if metric == "auc":
        return Scorer("auc", True, _binary_auc if n_classes == 2 else _multi_auc)
    if metric == "pr_auc":
        return Scorer("pr_auc", True, _pr_auc)
    return Scorer("log_loss", False, _log_loss)

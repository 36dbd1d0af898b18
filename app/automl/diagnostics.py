"""Chart data for a trained model, from its predictions on rows it was not trained on.

Everything returned is JSON-ready and bounded in size whatever the number of rows: ROC
curves are thinned to at most ROC_POINTS points, a regression keeps a seeded sample of at
most SAMPLE_ROWS (actual, predicted) pairs, and past the class limits the confusion matrix or
the ROC curves are left out (the key "omitted" says which, and why).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.metrics import auc, roc_curve

ROC_POINTS = 101
ROC_MAX_CLASSES = 20  # one-vs-rest curves for at most this many classes
MATRIX_MAX_CLASSES = 50
SAMPLE_ROWS = 500
DIGITS = 7  # significant digits kept of sampled values and residual quantiles


def _short(value: float) -> float:
    return float(f"{value:.{DIGITS}g}")


def _label(value):
    """A class label as a plain JSON value (a numpy scalar becomes its Python one)."""
    return value.item() if isinstance(value, np.generic) else value


def thin_curve(fpr: np.ndarray, tpr: np.ndarray, points: int = ROC_POINTS):
    """At most `points` of a ROC curve's vertices, spread evenly along its length, in order
    (so still monotone), the first and last always kept."""
    if len(fpr) <= points:
        return fpr, tpr
    length = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(fpr)) + np.abs(np.diff(tpr)))])
    targets = np.linspace(0.0, length[-1], points)
    index = np.unique(np.searchsorted(length, targets).clip(0, len(fpr) - 1))
    index[0], index[-1] = 0, len(fpr) - 1
    index = np.unique(index)
    return fpr[index], tpr[index]


def roc(positive: np.ndarray, score: np.ndarray, label) -> dict | None:
    """One ROC curve (None unless both positives and negatives occur)."""
    n_pos = int(positive.sum())
    if n_pos == 0 or n_pos == len(positive):
        return None
    fpr, tpr, _ = roc_curve(positive, score)
    area = float(auc(fpr, tpr))
    fpr, tpr = thin_curve(fpr, tpr)
    return {
        "positive_class": label,
        "auc": area,
        "fpr": np.round(fpr, 4).tolist(),
        "tpr": np.round(tpr, 4).tolist(),
    }


def classification(truth: np.ndarray, proba: np.ndarray, classes: Sequence, source: str,
                   predicted: np.ndarray | None = None) -> dict:
    """`truth`: class codes (k < len(classes) is classes[k]; a larger code is a label the
    model does not know, a validation set's only: counted wrong, left out of the matrix);
    `proba`: the predicted probabilities, a column per class; `predicted`: the class codes
    the model predicts (a tuned decision threshold's), by default the most probable."""
    truth = np.asarray(truth, dtype=np.int64)
    n_classes = len(classes)
    predicted = proba.argmax(axis=1) if predicted is None else np.asarray(predicted)
    known = truth < n_classes
    out: dict = {
        "kind": "classification",
        "source": source,
        "n": len(truth),
        "classes": [_label(c) for c in classes],
    }
    if not known.all():
        out["unknown_label_rows"] = int((~known).sum())
    omitted = {}
    if n_classes <= MATRIX_MAX_CLASSES:
        # Counted directly: scikit-learn's confusion_matrix refuses no rows (a validation
        # set whose every label is one the model does not know).
        cells = truth[known] * n_classes + np.asarray(predicted, dtype=np.int64)[known]
        matrix = np.bincount(cells, minlength=n_classes * n_classes)
        out["confusion_matrix"] = matrix.reshape(n_classes, n_classes).tolist()
    else:
        omitted["confusion_matrix"] = f"{n_classes} classes (at most {MATRIX_MAX_CLASSES})"
    if n_classes == 2:
        curve = roc(truth == 1, proba[:, 1], _label(classes[1]))
        if curve is not None:
            out["roc"] = curve
        else:
            omitted["roc"] = "only one class among the true labels"
    elif n_classes <= ROC_MAX_CLASSES:
        # A class that never occurs (or is every row) has no curve and is left out.
        curves = [roc(truth == k, proba[:, k], _label(c)) for k, c in enumerate(classes)]
        out["roc"] = [c for c in curves if c is not None]
    else:
        omitted["roc"] = f"{n_classes} classes (at most {ROC_MAX_CLASSES})"
    if omitted:
        out["omitted"] = omitted
    return out


def regression(truth: np.ndarray, predicted: np.ndarray, source: str, seed: int = 0) -> dict:
    """A seeded sample of (actual, predicted) pairs, in row order, and residual quantiles
    (residual = predicted - actual) over all rows."""
    truth = np.asarray(truth, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    n = len(truth)
    rows = np.arange(n)
    if n > SAMPLE_ROWS:
        rows = np.sort(np.random.default_rng(seed).choice(n, SAMPLE_ROWS, replace=False))
    residual = predicted - truth
    quantiles = np.quantile(residual, [0.0, 0.25, 0.5, 0.75, 1.0]) if n else [np.nan] * 5
    names = ("min", "q25", "median", "q75", "max")
    return {
        "kind": "regression",
        "source": source,
        "n": n,
        "actual": [_short(v) for v in truth[rows]],
        "predicted": [_short(v) for v in predicted[rows]],
        "residual_quantiles": {
            name: _short(q) if np.isfinite(q) else None
            for name, q in zip(names, quantiles, strict=True)
        },
    }

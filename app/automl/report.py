"""The report phase's pieces: the leaderboard and the metric and charts of the chosen model."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import diagnostics
from .labels import LabelCodec
from .metrics import Scorer, index_metrics, regression_metric
from .model import FittedModel
from .search import CandidateResult


def leaderboard(
    results: list[CandidateResult],
    weights: np.ndarray,
    score: float,
    scorer: Scorer,
    inputs: Sequence[int] = (),
) -> list[dict]:
    """Out-of-fold score per candidate (+ the ensemble, if one was chosen), best first.

    `predict_seconds_per_row` is what one fold model took per out-of-fold row; the
    ensemble's sums its members' and, when one is stacked, the stack `inputs`' (predicted
    for it whether weighted or not)."""

    def entry(name: str, value: float, seconds: float, per_row: float) -> dict:
        return {
            "model": name,
            "score": float(value),
            "metric": scorer.name,
            "fit_seconds": round(seconds, 3),
            "predict_seconds_per_row": float(f"{per_row:.3g}"),
        }

    board = [
        entry(r.learner.name, r.score, r.fit_seconds, r.predict_seconds_per_row) for r in results
    ]
    used = [k for k, w in enumerate(weights) if w > 0]
    if len(used) > 1:
        name = "ensemble(" + ", ".join(results[k].learner.name for k in used) + ")"
        predicted = set(used) | set(inputs)
        per_row = sum(results[k].predict_seconds_per_row for k in predicted)
        board.append(entry(name, score, sum(results[k].fit_seconds for k in used), per_row))
    # Stable sort: on ties the earlier entry (the simpler model) stays first.
    return sorted(board, key=lambda e: scorer.sort_key(e["score"]))


def oof_metric(task: str, labels: LabelCodec, y: np.ndarray, pred: np.ndarray,
               model: FittedModel):
    if task == "regression":
        return regression_metric(y, pred)
    return index_metrics(y, model.decide(pred), pred, len(labels.classes_))


def validation_truth(labels: LabelCodec, y: Sequence, evaluated) -> tuple[np.ndarray, np.ndarray]:
    """The labelled validation rows' truth and predictions (probabilities or values), the
    rows `FittedModel.evaluate` scored."""
    truth = labels.encode_truth(y)
    if labels.task == "regression":
        rows = np.flatnonzero(~np.isnan(truth))
        return truth[rows], np.asarray(evaluated.predictions, dtype=np.float64)[rows]
    rows = np.flatnonzero(truth >= 0)
    return truth[rows], evaluated.probabilities[rows]


def charts(task: str, labels: LabelCodec, truth, pred, source: str, seed: int,
           model: FittedModel) -> dict:
    """Chart data (`diagnostics.py`) from the predictions the validation metric is on."""
    if task == "regression":
        return diagnostics.regression(truth, pred, source, seed)
    return diagnostics.classification(
        truth, pred, labels.classes_, source, predicted=model.decide(pred)
    )

"""The trained model: feature encoding + label codec + a weighted ensemble of members.

Scoring (encoding, the members' predictions, stacking, the blend, the decision threshold,
decoding labels) and reading an artifact back are the scoring code's,
`automl_runtime.pipeline.Pipeline`, which the standalone runtime runs too; this class adds
what training and the server need (evaluation, importance, saving).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from automl_runtime.pipeline import Member, Pipeline

from . import artifact
from .features import FeatureEncoder, Features
from .labels import LabelCodec
from .metrics import index_metrics, regression_metric
from .models import load_component
from .stacking import stack_width

__all__ = ["FittedModel", "Member", "PredictionResult"]

# Feature importance lists at most this many columns (wide sparse data may use millions).
MAX_IMPORTANCE_ENTRIES = 10_000


@dataclass
class PredictionResult:
    predictions: list
    probabilities: np.ndarray | None
    num_labelled: int
    metric: dict | float | None


class FittedModel(Pipeline):
    """The whole fitted pipeline: feature encoding, label coding and the weighted members.

    `stack_inputs` are indices of members (weight 0 if they only feed the stack) whose
    predictions stacked members see as extra columns. `predict`, `predict_proba`,
    `predict_encoded`, `decide` and `threshold` come from `Pipeline`.
    """

    encoder_type = FeatureEncoder
    labels_type = LabelCodec
    load_component = staticmethod(load_component)

    def evaluate(self, X: Features, y: Sequence | None) -> PredictionResult:
        """Predict every row; score the rows whose label is present (None = unlabelled).

        The true labels are judged once per distinct value and the metrics computed on class
        codes, so a labelled prediction costs little more than an unlabelled one."""
        raw = self._raw(X)
        predictions = self._decode(raw)
        proba = raw if self.task == "classification" else None
        if y is None:
            return PredictionResult(predictions, proba, 0, None)
        if len(y) != len(predictions):
            raise ValueError(f"{len(y)} labels for {len(predictions)} rows")
        truth = self.labels.encode_truth(y)
        if self.task == "regression":
            rows = np.flatnonzero(~np.isnan(truth))
            if not len(rows):
                return PredictionResult(predictions, proba, 0, None)
            metric = regression_metric(truth[rows], np.asarray(raw, dtype=np.float64)[rows])
        else:
            rows = np.flatnonzero(truth >= 0)
            if not len(rows):
                return PredictionResult(predictions, proba, 0, None)
            metric = index_metrics(
                truth[rows], self.decide(raw[rows]), proba[rows], len(self.classes_)
            )
        return PredictionResult(predictions, proba, len(rows), metric)

    def feature_importance(self) -> list[dict]:
        """Gain-based importance of the columns the model uses, summing to 1, most important
        first (at most MAX_IMPORTANCE_ENTRIES). Dropped input columns (constant, duplicate,
        never present in the training rows) are not listed."""
        names = self.encoder.feature_names_
        n_cols = len(names)
        n_classes = len(self.classes_)
        extra = stack_width(self.task, n_classes, len(self.stack_inputs))
        total = np.zeros(n_cols)
        for member in self.members:
            width = n_cols + extra if member.stacked else n_cols
            for component in member.components:
                # A stacked member's gain on the stack columns is left out: only input
                # features are reported.
                gain = component.feature_gain(width)[:n_cols]
                if gain.sum() > 0:
                    total += member.weight * gain / gain.sum() / len(member.components)
        values = total / total.sum() if total.sum() > 0 else np.full(n_cols, 1 / n_cols)
        order = np.argsort(-values, kind="stable")[:MAX_IMPORTANCE_ENTRIES]
        return [{"feature": names[j], "importance": float(values[j])} for j in order]

    def explain(self, X: Features):
        """Per-row contributions of the input features to the raw score, plus the base
        value (app/automl/explain.py says what the raw score of a blend is). Raises
        explain.ExplainRefused for a stacked ensemble or too many rows."""
        from .explain import explain

        return explain(self, X)

    def to_bytes(self) -> bytes:
        files: dict[str, bytes] = {}
        members = []
        for m, member in enumerate(self.members):
            components = []
            for c, component in enumerate(member.components):
                meta, blobs = component.to_artifact()
                paths = {}
                for name, blob in blobs.items():
                    paths[name] = f"members/{m}/{c}/{name}"
                    files[paths[name]] = blob
                components.append({"meta": meta, "files": paths})
            members.append(
                {
                    "name": member.name,
                    "weight": member.weight,
                    "components": components,
                    "stacked": member.stacked,
                }
            )
        manifest = {
            "task": self.task,
            "labels": self.labels.to_manifest(),
            "features": self.encoder.to_manifest(),
            "members": members,
            "stack_inputs": self.stack_inputs,
        }
        if self.threshold is not None:
            manifest["decision_threshold"] = self.threshold
        return artifact.pack(manifest, files)

    @classmethod
    def from_bytes(cls, data: bytes, threads: int = 1) -> FittedModel:
        """`threads`: per prediction call (the server predicts on one thread, `model_cache`)."""
        manifest, files = artifact.unpack(data)
        return cls.from_manifest(manifest, files, max(1, int(threads)))

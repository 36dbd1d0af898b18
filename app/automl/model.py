"""The trained model: feature encoding + label codec + a weighted ensemble of members."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import artifact
from .features import FeatureEncoder, Features
from .labels import LabelCodec
from .metrics import index_metrics, regression_metric
from .models import FittedComponent, load_component
from .stacking import stack_features, stack_width

# Feature importance lists at most this many columns (wide sparse data may use millions).
MAX_IMPORTANCE_ENTRIES = 10_000


def default_threads() -> int:
    """Threads per training/prediction: AUTOML_TRAIN_THREADS, default 1.

    A fixed count keeps results reproducible. The default is 1 because LightGBM's OpenMP
    threads busy-wait: when another process competes for the cores (API server, a second
    training job), 2 threads on 2 cores ran 10-100x slower than 1 in our measurements.
    """
    try:
        return max(1, int(os.environ.get("AUTOML_TRAIN_THREADS", "1")))
    except ValueError:
        return 1


@dataclass
class Member:
    """One ensemble member: a refit model, or the bag of its fold models (averaged).

    A `stacked` member predicts from the features plus the stack inputs' predictions.
    """

    name: str
    weight: float
    components: list[FittedComponent]
    stacked: bool = False

    def predict(self, X) -> np.ndarray:
        out = self.components[0].predict(X)
        for component in self.components[1:]:
            out = out + component.predict(X)
        return out / len(self.components)


@dataclass
class PredictionResult:
    predictions: list
    probabilities: np.ndarray | None
    num_labelled: int
    metric: dict | float | None


class FittedModel:
    """The whole fitted pipeline: feature encoding, label coding and the weighted members.

    `stack_inputs` are indices of members (weight 0 if they only feed the stack) whose
    predictions stacked members see as extra columns.
    """

    def __init__(
        self,
        encoder: FeatureEncoder,
        labels: LabelCodec,
        members: list[Member],
        stack_inputs: Sequence[int] = (),
    ):
        self.encoder = encoder
        self.labels = labels
        self.members = members
        self.stack_inputs = list(stack_inputs)
        self.task = labels.task
        self.classes_ = list(labels.classes_)
        self.categorical_names_ = list(encoder.categorical_names_)

    @property
    def numeric_names_(self) -> list[str]:
        return self.encoder.numeric_names_

    def _raw(self, X: Features) -> np.ndarray:
        n_rows = X.n_rows
        if n_rows == 0:
            return np.zeros((0, len(self.classes_))) if self.classes_ else np.zeros(0)
        M = self.encoder.transform(X)
        cache: dict[int, np.ndarray] = {}

        def first_level(i: int) -> np.ndarray:
            if i not in cache:
                cache[i] = self.members[i].predict(M)
            return cache[i]

        Z = None
        if any(m.stacked and m.weight > 0 for m in self.members):
            Z = stack_features(M, [first_level(i) for i in self.stack_inputs])
        out = None
        for i, member in enumerate(self.members):
            if member.weight <= 0:
                continue
            pred = member.predict(Z) if member.stacked else first_level(i)
            out = member.weight * pred if out is None else out + member.weight * pred
        return out

    def _decode(self, raw: np.ndarray) -> list:
        if self.task == "regression":
            return np.asarray(raw, dtype=np.float64).tolist()
        return self.labels.decode(raw.argmax(axis=1))

    def predict(self, X: Features) -> list:
        """Predicted labels (classification) or values (regression) as python scalars."""
        return self._decode(self._raw(X))

    def predict_proba(self, X: Features) -> np.ndarray:
        """Class probabilities, shape (n, len(classes_)); classification only."""
        if self.task != "classification":
            raise ValueError("predict_proba is only available for classification models")
        return self._raw(X)

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
                truth[rows], raw[rows].argmax(axis=1), proba[rows], len(self.classes_)
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

    def predict_encoded(self, M) -> np.ndarray:
        """What `_raw` gives, from an already encoded matrix (`encoder.transform`'s output):
        probabilities (n, n_classes) or values (n,). Permutation importance shuffles encoded
        columns and predicts many times from them."""
        if M.shape[0] == 0:
            return np.zeros((0, len(self.classes_))) if self.classes_ else np.zeros(0)
        first = {i: self.members[i].predict(M) for i, m in enumerate(self.members)
                 if m.weight > 0 and not m.stacked}
        Z = None
        if any(m.stacked and m.weight > 0 for m in self.members):
            for i in self.stack_inputs:
                if i not in first:
                    first[i] = self.members[i].predict(M)
            Z = stack_features(M, [first[i] for i in self.stack_inputs])
        out = None
        for i, member in enumerate(self.members):
            if member.weight <= 0:
                continue
            pred = member.predict(Z) if member.stacked else first[i]
            out = member.weight * pred if out is None else out + member.weight * pred
        return out

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
        return artifact.pack(manifest, files)

    @classmethod
    def from_bytes(cls, data: bytes) -> FittedModel:
        manifest, files = artifact.unpack(data)
        threads = default_threads()
        members = []
        for member in manifest["members"]:
            components = [
                load_component(
                    c["meta"], {name: files[path] for name, path in c["files"].items()}, threads
                )
                for c in member["components"]
            ]
            stacked = bool(member.get("stacked", False))
            members.append(Member(member["name"], float(member["weight"]), components, stacked))
        return cls(
            FeatureEncoder.from_manifest(manifest["features"]),
            LabelCodec.from_manifest(manifest["labels"]),
            members,
            manifest.get("stack_inputs", []),
        )

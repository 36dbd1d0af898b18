"""The scoring pipeline: feature encoding, each member's prediction (stacked members on the
features plus the stack inputs' predictions), the weighted blend and the label decoding. The
server's `FittedModel` is this class plus training-side methods."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .families import SCORERS
from .features import Encoder, Features


def prediction_columns(pred: np.ndarray) -> np.ndarray:
    """Columns a first-level prediction adds: the value (regression), the positive class's
    probability (binary; the other is redundant) or every class's probability."""
    if pred.ndim == 1:
        return pred[:, None]
    if pred.shape[1] == 2:
        return pred[:, 1:]
    return pred


def stack_features(M, preds: list[np.ndarray]):
    """The encoded features with the prediction columns appended (sparse stays sparse)."""
    extra = np.hstack([prediction_columns(p) for p in preds]).astype(np.float64)
    if sp.issparse(M):
        return sp.hstack([M, sp.csr_matrix(extra)], format="csr")
    return np.hstack([np.asarray(M, dtype=np.float64), extra])


class Labels:
    """The label space: `classes_` (sorted; label k of the model is `classes_[k]`) for a
    classifier, none for a regressor."""

    def __init__(self, task: str):
        self.task = task

    def decode(self, codes: np.ndarray) -> list:
        if len(codes) < 16:
            return [self.classes_[int(k)] for k in codes]
        classes = np.empty(len(self.classes_), dtype=object)
        classes[:] = self.classes_
        return classes[np.asarray(codes, dtype=np.int64)].tolist()

    @classmethod
    def from_manifest(cls, manifest: dict):
        codec = cls(manifest["task"])
        codec.classes_ = list(manifest["classes"])
        codec.numeric_ = bool(manifest["numeric"])
        codec._index = {label: k for k, label in enumerate(codec.classes_)}
        return codec


@dataclass
class Member:
    """One ensemble member: a refit model, or the bag of its fold models (averaged).

    A `stacked` member predicts from the features plus the stack inputs' predictions.
    """

    name: str
    weight: float
    components: list
    stacked: bool = False

    def predict(self, X) -> np.ndarray:
        X = self.components[0].prepare(X)
        out = self.components[0].predict(X)
        for component in self.components[1:]:
            out = out + component.predict(X)
        return out / len(self.components)


def load_scorer(meta: dict, files: dict[str, bytes], threads: int):
    """A component of the runtime's own classes from its stored files."""
    family = meta.get("family")
    if family not in SCORERS:
        raise ValueError(f"unknown model family {family!r} in the artifact; upgrade automl-runtime")
    return SCORERS[family].from_artifact(meta, files, threads)


class Pipeline:
    """Feature encoding, label coding and the weighted members.

    `stack_inputs` are indices of members (weight 0 if they only feed the stack) whose
    predictions stacked members see as extra columns.
    """

    encoder_type: type = Encoder
    labels_type: type = Labels

    def __init__(self, encoder, labels, members: list[Member],
                 stack_inputs: Sequence[int] = ()):
        self.encoder = encoder
        self.labels = labels
        self.members = members
        self.stack_inputs = list(stack_inputs)
        self.task = labels.task
        self.classes_ = list(labels.classes_)
        self.categorical_names_ = list(encoder.categorical_names_)
        # Binary classifiers tuned for a threshold metric (accuracy, balanced_accuracy, f1):
        # class 1 is predicted when its probability is above this (the manifest's
        # "decision_threshold"); None: the most probable class (argmax, as 0.5 with ties to
        # class 0). Probabilities are never changed by it.
        self.threshold: float | None = None

    @staticmethod
    def load_component(meta: dict, files: dict[str, bytes], threads: int):
        return load_scorer(meta, files, threads)

    @classmethod
    def from_manifest(cls, manifest: dict, files: dict[str, bytes], threads: int):
        """The pipeline an artifact's manifest and files describe (see `artifact.read`)."""
        members = []
        for member in manifest["members"]:
            components = [
                cls.load_component(
                    c["meta"], {name: files[path] for name, path in c["files"].items()}, threads
                )
                for c in member["components"]
            ]
            stacked = bool(member.get("stacked", False))
            members.append(Member(member["name"], float(member["weight"]), components, stacked))
        model = cls(
            cls.encoder_type.from_manifest(manifest["features"]),
            cls.labels_type.from_manifest(manifest["labels"]),
            members,
            manifest.get("stack_inputs", []),
        )
        threshold = manifest.get("decision_threshold")
        model.threshold = None if threshold is None else float(threshold)
        return model

    @property
    def numeric_names_(self) -> list[str]:
        return self.encoder.numeric_names_

    def _raw(self, X: Features) -> np.ndarray:
        if X.n_rows == 0:
            return np.zeros((0, len(self.classes_))) if self.classes_ else np.zeros(0)
        return self.predict_encoded(self.encoder.transform(X))

    def predict_encoded(self, M) -> np.ndarray:
        """What `_raw` gives, from an already encoded matrix (`encoder.transform`'s output):
        probabilities (n, n_classes) or values (n,). (The server's permutation importance
        shuffles encoded columns and predicts many times from them.)"""
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

    def _decode(self, raw: np.ndarray) -> list:
        if self.task == "regression":
            return np.asarray(raw, dtype=np.float64).tolist()
        return self.labels.decode(self.decide(raw))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """The predicted class codes of probabilities: argmax, or the decision threshold."""
        if self.threshold is not None and proba.shape[1] == 2:
            return (proba[:, 1] > self.threshold).astype(np.int64)
        return proba.argmax(axis=1)

    def predict(self, X: Features) -> list:
        """Predicted labels (classification) or values (regression) as python scalars."""
        return self._decode(self._raw(X))

    def predict_proba(self, X: Features) -> np.ndarray:
        """Class probabilities, shape (n, len(classes_)); classification only."""
        if self.task != "classification":
            raise ValueError("predict_proba is only available for classification models")
        return self._raw(X)

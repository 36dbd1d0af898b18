"""Small synthetic datasets for the engine tests."""

import numpy as np

from app.automl import Features
from app.automl.features import FeatureEncoder
from app.automl.labels import LabelCodec
from app.automl.model import FittedModel, Member
from app.automl.models import FitContext

CAT_EFFECT = {"A": 1.5, "B": -1.5, "C": 0.0}


def make_data(task: str, n: int = 300, seed: int = 0, n_classes: int = 3, d: int = 6):
    """Numeric + one categorical feature with a clear signal.

    Labels: binary -> "yes"/"no"; multiclass -> ints 0..n_classes-1; regression -> floats.
    """
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    cats = rng.choice(list(CAT_EFFECT), n)
    score = X[:, 0] + X[:, 1] - X[:, 2] + np.array([CAT_EFFECT[c] for c in cats])
    if task == "binary":
        y = np.where(score > 0, "yes", "no").tolist()
    elif task == "multiclass":
        edges = np.quantile(score, np.linspace(0, 1, n_classes + 1)[1:-1])
        y = np.digitize(score, edges).tolist()
    else:
        y = (3 * score + 0.1 * rng.standard_normal(n)).tolist()
    names = [f"x{i}" for i in range(d)]
    return Features(X, names, {"color": cats.tolist()}), y


def accuracy(pred, truth) -> float:
    return float(np.mean([p == t for p, t in zip(pred, truth, strict=True)]))


def fit_members(task: str, learners: list, X: Features, y, bags: int = 1) -> FittedModel:
    """A FittedModel blending `learners` ([(learner, weight)]), each member a bag of `bags`
    fits on interleaved parts of the rows (1: one fit on all rows)."""
    kind = "regression" if task == "regression" else "classification"
    labels = LabelCodec(kind)
    codes = labels.fit_encode(y)
    encoder = FeatureEncoder()
    M = encoder.fit_transform(X)
    ctx = FitContext(kind, len(labels.classes_), tuple(encoder.categorical_indices_), 0, 1)
    members = []
    for learner, weight in learners:
        parts = []
        for b in range(bags):
            rows = np.arange(M.shape[0]) if bags == 1 else np.arange(b, M.shape[0], bags)
            parts.append(learner.fit(ctx, M[rows], codes[rows]))
        members.append(Member(learner.name, weight, parts))
    return FittedModel(encoder, labels, members)

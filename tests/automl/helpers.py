"""Small synthetic datasets for the engine tests."""

import numpy as np

from app.automl import Features

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

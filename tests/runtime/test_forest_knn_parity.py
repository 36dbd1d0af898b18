"""automl_runtime scores forest and kNN members (arrays in .npy files) exactly as the server
does, in a process that never imports the server (nor scikit-learn's estimators)."""

import numpy as np
import pandas as pd
import pytest

from app.automl import FittedModel
from app.automl.features import FeatureEncoder, Features
from app.automl.labels import LabelCodec
from app.automl.model import Member
from app.automl.models import FitContext, ForestLearner, KNNLearner
from tests.automl.helpers import make_data

from .support import score_elsewhere

LEARNERS = {
    "extra_trees": ForestLearner("extra_trees", "extra_trees", 30),
    "random_forest": ForestLearner("random_forest", "random_forest", 30, min_samples_leaf=3),
    "knn": KNNLearner("knn", k=7, weights="distance"),
}


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_forest_and_knn_score_the_same(task, tmp_path):
    X, y = make_data(task, n=300, seed=1)
    encoder = FeatureEncoder()
    M = encoder.fit_transform(X)
    labels = LabelCodec("regression" if task == "regression" else "classification")
    codes = labels.fit_encode(y)
    ctx = FitContext(labels.task, len(labels.classes_), tuple(encoder.categorical_indices_),
                     seed=0, threads=1)
    members = [Member(name, 1 / 3, [learner.fit(ctx, M, codes)])
               for name, learner in LEARNERS.items()]
    model = FittedModel(encoder, labels, members)
    rows, _ = make_data(task, n=80, seed=5)
    numeric = np.array(rows.numeric, dtype=np.float64)
    numeric[::7, 1] = np.nan
    colors = list(rows.categorical["color"])
    colors[::5] = ["Z"] * len(colors[::5])  # unseen
    features = Features(numeric, rows.numeric_names, {"color": colors})
    frame = pd.DataFrame(numeric, columns=rows.numeric_names)
    frame["color"] = colors
    artifact = model.to_bytes()
    out = score_elsewhere(artifact, frame, tmp_path)
    assert out["modules"] == []
    assert [m["family"] for m in out["describe"]["members"]] == ["forest", "forest", "knn"]
    server = FittedModel.from_bytes(artifact)
    if task == "regression":
        np.testing.assert_allclose(out["predict"].to_numpy(), server.predict(features),
                                   rtol=0, atol=1e-12)
    else:
        assert out["predict"].tolist() == server.predict(features)
        np.testing.assert_allclose(out["proba"].to_numpy(), server.predict_proba(features),
                                   rtol=0, atol=1e-12)

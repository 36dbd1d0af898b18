"""automl_runtime scores every model family, blends and stacks exactly as the server does.

Each model is saved as the server saves it (`FittedModel.to_bytes`), scored by the server's
FittedModel (what automl_predict runs) and by automl_runtime in a process that never imports
the server, on rows with unseen and missing categories and missing numbers."""

import numpy as np
import pandas as pd
import pytest

from app.automl import FittedModel, portfolio, train
from app.automl.features import FeatureEncoder, Features
from app.automl.labels import LabelCodec
from app.automl.model import Member
from app.automl.models import CatBoostLearner, FitContext, LGBMLearner, LinearLearner
from tests.automl.helpers import make_data

from .support import SERVER_MODULES, score_elsewhere

FAMILIES = {
    "lgbm": LGBMLearner("lgbm", params={"num_leaves": 15, "learning_rate": 0.1}, max_rounds=60,
                        early_stopping=None),
    "catboost": CatBoostLearner("catboost", params={"depth": 4}, max_rounds=60,
                                early_stopping=None),
    "linear": LinearLearner(),
}


def fit(task: str, X: Features, y, families: dict[str, float]) -> FittedModel:
    """A model of the given families and weights, fitted on all rows."""
    encoder = FeatureEncoder()
    M = encoder.fit_transform(X)
    labels = LabelCodec("regression" if task == "regression" else "classification")
    codes = labels.fit_encode(y)
    ctx = FitContext(labels.task, len(labels.classes_), tuple(encoder.categorical_indices_),
                     seed=0, threads=1)
    members = [Member(name, weight, [FAMILIES[name].fit(ctx, M, codes)])
               for name, weight in families.items()]
    return FittedModel(encoder, labels, members)


def hostile_rows(task: str, n: int = 120, seed: int = 5):
    """Rows to score, as the server gets them and as a DataFrame: unseen ("Z") and missing
    categories, missing numbers, columns in another order, and the label column (ignored)."""
    X, y = make_data(task, n=n, seed=seed)
    numeric = np.array(X.numeric, dtype=np.float64)
    numeric[::7, 1] = np.nan
    colors = list(X.categorical["color"])
    for i in range(0, n, 5):
        colors[i] = "Z"
    for i in range(2, n, 9):
        colors[i] = None
    features = Features(numeric, X.numeric_names, {"color": colors})
    frame = pd.DataFrame(numeric, columns=X.numeric_names)
    frame.insert(0, "color", colors)
    frame["label"] = y
    return features, frame[["label", "color", *reversed(X.numeric_names)]]


def assert_same(model: FittedModel, tmp_path, task: str):
    features, frame = hostile_rows(task)
    artifact = model.to_bytes()
    server = FittedModel.from_bytes(artifact)
    out = score_elsewhere(artifact, frame, tmp_path)
    assert out["modules"] == [], f"the runtime imported {out['modules']}"
    expected = server.predict(features)
    if task == "regression":
        np.testing.assert_allclose(out["predict"].to_numpy(), expected, rtol=0, atol=1e-12)
        assert out["proba"] is None
    else:
        assert out["predict"].tolist() == expected
        assert out["classes"] == server.classes_
        assert list(out["proba"].columns) == server.classes_
        np.testing.assert_allclose(out["proba"].to_numpy(), server.predict_proba(features),
                                   rtol=0, atol=1e-12)
    assert out["predict"].index.tolist() == frame.index.tolist()
    return out


@pytest.mark.parametrize("family", ["lgbm", "catboost", "linear"])
@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_each_family_scores_the_same(family, task, tmp_path):
    X, y = make_data(task, n=300, seed=1)
    model = fit(task, X, y, {family: 1.0})
    out = assert_same(model, tmp_path, task)
    assert out["describe"]["members"] == [
        {"name": family, "family": family, "weight": 1.0, "stacked": False}]
    assert out["features"] == [*X.numeric_names, "color"]


def test_a_weighted_blend_of_families_scores_the_same(tmp_path):
    X, y = make_data("multiclass", n=300, seed=2)
    model = fit("multiclass", X, y, {"lgbm": 0.5, "catboost": 0.3, "linear": 0.2})
    assert_same(model, tmp_path, "multiclass")


def test_a_stacked_high_accuracy_ensemble_scores_the_same(tmp_path, monkeypatch):
    """(The data and trials of tests/automl/test_stacking.py, where a stack is chosen.)"""
    monkeypatch.setattr(portfolio, "HIGH_ACCURACY_TRIALS", 8)
    task = "binary"
    X, y = make_data(task, n=300, seed=23)
    model = train(X, y, task="classification", mode="high_accuracy").model
    assert any(m.stacked and m.weight > 0 for m in model.members)
    assert any(len(model.members[i].components) > 1 for i in model.stack_inputs)  # bags
    out = assert_same(model, tmp_path, task)
    assert any(m["stacked"] for m in out["describe"]["members"])


def test_a_decision_threshold_is_applied(tmp_path):
    """A binary model tuned for a threshold metric predicts by its stored threshold."""
    X, y = make_data("binary", n=300, seed=3)
    model = fit("binary", X, y, {"lgbm": 1.0})
    features, _ = hostile_rows("binary")
    proba = model.predict_proba(features)[:, 1]
    model.threshold = float(np.quantile(proba, 0.8))  # far from 0.5: labels change
    assert sum(model.predict(features)[i] != ["no", "yes"][int(p > 0.5)]
               for i, p in enumerate(proba)) > 0
    assert_same(model, tmp_path, "binary")


def test_server_modules_are_known_to_the_check():
    assert {"app", "fastapi", "sqlalchemy"} <= SERVER_MODULES


def test_unnamed_vectors_score_from_arrays_and_frames(tmp_path):
    """A model trained on unnamed (dense or sparse) vectors reads a 2-D array of its width, or
    a DataFrame whose other columns are left out by name (f0, f1, ...) or by count."""
    import scipy.sparse as sp

    rng = np.random.default_rng(9)
    X = rng.normal(size=(300, 5))
    y = np.where(X[:, 0] - X[:, 3] > 0, "up", "down").tolist()
    rows = rng.normal(size=(60, 5))
    rows[::6, 2] = np.nan
    for numeric, given in ((X, rows), (sp.csr_matrix(np.where(X > 0.5, X, 0.0)),
                                       sp.csr_matrix(np.where(rows > 0.5, rows, 0.0)))):
        model = fit("binary", Features(numeric, []), y, {"lgbm": 0.6, "linear": 0.4})
        expected = model.predict_proba(Features(given, []))
        named = pd.DataFrame(given.toarray() if sp.issparse(given) else given,
                             columns=[f"f{j}" for j in range(5)])
        named["label"] = "up"
        for rows_in in (given, named, named.drop(columns="label").set_axis(range(5), axis=1)):
            out = score_elsewhere(model.to_bytes(), rows_in, tmp_path)
            np.testing.assert_allclose(out["proba"].to_numpy(), expected, rtol=0, atol=1e-12)
            assert out["predict"].tolist() == model.predict(Features(given, []))
            assert out["features"] == [f"f{j}" for j in range(5)]


def test_features_take_rows_in_the_given_order():
    from automl_runtime.features import Features

    X = Features(np.arange(8.0).reshape(4, 2), ["a", "b"], {"c": ["w", "x", None, "z"]})
    taken = X.take([3, 0])
    np.testing.assert_array_equal(taken.numeric, [[6.0, 7.0], [0.0, 1.0]])
    assert taken.numeric_names == ["a", "b"] and taken.categorical == {"c": ["z", "w"]}
    assert X.take([]).n_rows == 0


def test_a_bag_prepares_its_input_once_and_averages_its_models(monkeypatch):
    from automl_runtime import families

    X, y = make_data("binary", n=200, seed=3)
    encoder = FeatureEncoder()
    M = encoder.fit_transform(X)
    labels = LabelCodec("classification")
    codes = labels.fit_encode(y)
    ctx = FitContext("classification", 2, tuple(encoder.categorical_indices_), seed=0,
                     threads=1)
    folds = [FAMILIES["catboost"].fit(ctx, M[rows], codes[rows])
             for rows in (np.arange(0, 200, 2), np.arange(1, 200, 2))]
    alone = [model.predict(M) for model in folds]
    pools = []
    make_pool = families.catboost_pool
    monkeypatch.setattr(families, "catboost_pool",
                        lambda *args, **kw: pools.append(1) or make_pool(*args, **kw))
    bag = Member("catboost", 1.0, folds).predict(M)
    assert len(pools) == 1  # one Pool for both fold models, not one each
    np.testing.assert_allclose(bag, (alone[0] + alone[1]) / 2, rtol=0, atol=1e-12)

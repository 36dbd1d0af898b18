"""ONNX export: the graph run in onnxruntime gives the model's own predictions, or the export
is refused naming the member that prevents it."""

import json
import sys

import numpy as np
import pytest
import scipy.sparse as sp

from app.automl import Features, FittedModel, train
from app.automl.features import FeatureEncoder
from app.automl.labels import LabelCodec
from app.automl.model import Member
from app.automl.models import CatBoostLearner, FitContext, LGBMLearner, LinearLearner
from app.automl.onnx_export import NotExportable, OnnxUnavailable, to_onnx
from tests.automl.helpers import make_data

ort = pytest.importorskip("onnxruntime")
onnx = pytest.importorskip("onnx")

TASKS = [("binary", "classification"), ("multiclass", "classification"),
         ("regression", "regression")]
SMALL_LGBM = {"num_leaves": 15, "min_data_in_leaf": 5, "min_data_per_group": 5, "max_bin": 63}
RANDOM_FOREST = {**SMALL_LGBM, "boosting": "rf", "bagging_fraction": 0.632, "bagging_freq": 1,
                 "feature_fraction": 0.8}


def _data(kind, n=300, seed=0, categorical=True):
    X, y = make_data(kind, n=n, seed=seed)
    X.numeric[::7, 2] = np.nan  # missing values in training
    if not categorical:
        X = Features(X.numeric, X.numeric_names, {})
    return X, y


def _test_rows(kind, categorical=True):
    X, _ = _data(kind, n=200, seed=1, categorical=categorical)
    X.numeric[::5, 1] = np.nan  # missing where training had none
    X.numeric[3, 0] = np.inf
    X.numeric[4, 3] = -np.inf
    if categorical:
        colors = list(X.categorical["color"])
        colors[1], colors[2], colors[6] = "", "never seen", None  # missing, unseen, missing
        X.categorical["color"] = colors
    return X


def _model(kind, task, learners, categorical=True) -> FittedModel:
    """A model of the given (learner, weight, n_components) members, fitted directly and
    loaded back from its artifact."""
    X, y = _data(kind, categorical=categorical)
    encoder = FeatureEncoder()
    M = encoder.fit_transform(X)
    labels = LabelCodec(task)
    codes = labels.fit_encode(y)
    ctx = FitContext(task, len(labels.classes_), tuple(encoder.categorical_indices_), 0, 1)
    members = []
    for learner, weight, bag in learners:
        rows = [np.arange(len(y))] if bag == 1 else np.array_split(np.arange(len(y)), bag)
        components = [learner.fit(ctx, M[r], codes[r]) for r in rows]
        members.append(Member(learner.name, weight, components))
    return FittedModel.from_bytes(FittedModel(encoder, labels, members).to_bytes())


def _feeds(model: FittedModel, X: Features) -> dict:
    session_inputs = json.loads(_metadata(to_onnx(model))["automl.inputs"])
    feeds = {}
    if model.encoder.n_numeric_:
        feeds[session_inputs[0]] = np.asarray(X.numeric, dtype=np.float64)
    for name in model.encoder.kept_categorical_:
        feeds[name] = np.asarray(
            ["" if value is None else str(value) for value in X.categorical[name]], dtype=object
        )
    return feeds


def _metadata(data: bytes) -> dict:
    return {p.key: p.value for p in onnx.load_from_string(data).metadata_props}


def _run(model: FittedModel, X: Features) -> dict:
    session = ort.InferenceSession(to_onnx(model))
    outputs = session.run(None, _feeds(model, X))
    return {o.name: v for o, v in zip(session.get_outputs(), outputs, strict=True)}


def _tolerance(model: FittedModel) -> float:
    """LightGBM, linear members and the blend are computed in double as on the server;
    CatBoost's exporter stores its leaf values as float32."""
    families = {c.family for m in model.members if m.weight > 0 for c in m.components}
    return 1e-6 if "catboost" in families else 1e-12


def assert_same_as_server(model: FittedModel, X: Features):
    out = _run(model, X)
    tolerance = _tolerance(model)
    if model.task == "regression":
        expected = np.asarray(model.predict(X))
        assert out["value"].shape == expected.shape
        np.testing.assert_allclose(out["value"], expected, rtol=tolerance, atol=tolerance)
        return
    proba = model.predict_proba(X)
    assert out["probabilities"].shape == proba.shape
    np.testing.assert_allclose(out["probabilities"], proba, rtol=0, atol=tolerance)
    assert out["label"].tolist() == model.predict(X)


@pytest.mark.parametrize("kind,task", TASKS)
def test_lightgbm_with_categorical_codes_and_missing_values(kind, task):
    model = _model(kind, task, [(LGBMLearner("lgbm", params=SMALL_LGBM, max_rounds=60,
                                             early_stopping=None), 1.0, 1)])
    assert_same_as_server(model, _test_rows(kind))


@pytest.mark.parametrize("kind,task", TASKS)
def test_lightgbm_splits_compare_in_double_as_lightgbm_does(kind, task):
    """Values at a split threshold and one double step either side take LightGBM's branch
    (float32 trees would send some of them the other way)."""
    model = _model(kind, task, [(LGBMLearner("lgbm", params=SMALL_LGBM, max_rounds=60,
                                             early_stopping=None), 1.0, 1)])
    booster = model.members[0].components[0].booster
    thresholds = []

    def walk(node):
        if "split_feature" in node and node["decision_type"] == "<=":
            thresholds.append((node["split_feature"], float(node["threshold"])))
            walk(node["left_child"])
            walk(node["right_child"])

    for tree in booster.dump_model()["tree_info"]:
        walk(tree["tree_structure"])
    numeric = [(j, t) for j, t in thresholds if j < 6]  # encoded numeric columns are x0..x5
    assert numeric
    X = _test_rows(kind)
    rows = min(len(numeric), X.n_rows // 3)
    for r, (j, t) in enumerate(numeric[:rows]):
        for k, value in enumerate((t, np.nextafter(t, np.inf), np.nextafter(t, -np.inf))):
            X.numeric[3 * r + k, j] = value
    assert_same_as_server(model, X)


@pytest.mark.parametrize("kind,task", TASKS)
def test_lightgbm_random_forest_averages_its_trees(kind, task):
    model = _model(kind, task, [(LGBMLearner("rf", params=RANDOM_FOREST, max_rounds=30,
                                             early_stopping=None), 1.0, 1)])
    assert model.members[0].components[0].averaged
    assert_same_as_server(model, _test_rows(kind))


@pytest.mark.parametrize("kind,task", TASKS)
def test_linear_scaling_one_hot_and_imputation_are_exact(kind, task):
    model = _model(kind, task, [(LinearLearner("linear"), 1.0, 1)])
    out = _run(model, X := _test_rows(kind))
    assert_same_as_server(model, X)
    if task == "classification":  # the graph is double throughout
        np.testing.assert_allclose(out["probabilities"], model.predict_proba(X), atol=1e-12)


@pytest.mark.parametrize("kind,task", TASKS)
def test_catboost_without_categorical_features(kind, task):
    model = _model(kind, task, [(CatBoostLearner("catboost", params={"depth": 4}, max_rounds=60,
                                                 early_stopping=None), 1.0, 1)],
                   categorical=False)
    assert_same_as_server(model, _test_rows(kind, categorical=False))


@pytest.mark.parametrize("kind,task", TASKS)
def test_weighted_blend_of_bagged_lightgbm_and_linear(kind, task):
    model = _model(kind, task, [
        (LGBMLearner("lgbm_default", params=SMALL_LGBM, max_rounds=40,
                     early_stopping=None), 0.6, 3),
        (LinearLearner("linear"), 0.4, 2),
        (LGBMLearner("unused", params=SMALL_LGBM, max_rounds=5, early_stopping=None), 0.0, 1),
    ])
    assert_same_as_server(model, _test_rows(kind))
    members = json.loads(_metadata(to_onnx(model))["automl.members"])
    assert members == [{"name": "lgbm_default", "weight": 0.6}, {"name": "linear", "weight": 0.4}]


def test_blend_with_catboost_on_numeric_data():
    model = _model("multiclass", "classification", [
        (CatBoostLearner("catboost", params={"depth": 4}, max_rounds=40,
                         early_stopping=None), 0.5, 1),
        (LGBMLearner("lgbm", params=SMALL_LGBM, max_rounds=40, early_stopping=None), 0.3, 1),
        (LinearLearner("linear"), 0.2, 1),
    ], categorical=False)
    assert_same_as_server(model, _test_rows("multiclass", categorical=False))


@pytest.mark.parametrize("kind,task", TASKS)
@pytest.mark.parametrize("mode", ["high_speed", "balanced"])
def test_models_the_engine_trains(kind, task, mode):
    X, y = _data(kind)
    model = train(X, y, task=task, mode=mode, time_budget=30).model
    if any(c.family == "catboost" for m in model.members for c in m.components):
        with pytest.raises(NotExportable, match="categorical"):
            to_onnx(model)
        return
    assert_same_as_server(FittedModel.from_bytes(model.to_bytes()), _test_rows(kind))


@pytest.mark.parametrize("kind,task", TASKS)
def test_balanced_blends_on_numeric_data(kind, task):
    X, y = _data(kind, categorical=False)
    model = train(X, y, task=task, mode="balanced", time_budget=30).model
    assert_same_as_server(FittedModel.from_bytes(model.to_bytes()),
                          _test_rows(kind, categorical=False))


@pytest.mark.parametrize("kind,task", TASKS)
def test_sparse_input_is_fed_dense(kind, task):
    """A model trained on sparse rows (max-abs scaling in the linear member, implicit zeros):
    the graph takes the same rows dense."""
    X, y = _data(kind)
    dense = np.where(np.abs(X.numeric) < 0.8, 0.0, X.numeric)
    sparse = Features(sp.csr_matrix(dense), X.numeric_names, X.categorical)
    encoder = FeatureEncoder()
    M = encoder.fit_transform(sparse)
    assert encoder.sparse_
    labels = LabelCodec(task)
    codes = labels.fit_encode(y)
    ctx = FitContext(task, len(labels.classes_), tuple(encoder.categorical_indices_), 0, 1)
    members = [Member("lgbm", 0.5, [LGBMLearner("lgbm", params=SMALL_LGBM, max_rounds=40,
                                                early_stopping=None).fit(ctx, M, codes)]),
               Member("linear", 0.5, [LinearLearner().fit(ctx, M, codes)])]
    model = FittedModel.from_bytes(FittedModel(encoder, labels, members).to_bytes())
    rows = _test_rows(kind)
    rows.numeric = np.where(np.abs(rows.numeric) < 0.8, 0.0, rows.numeric)
    out = _run(model, rows)
    server = Features(sp.csr_matrix(np.nan_to_num(rows.numeric, nan=np.nan, posinf=np.nan,
                                                  neginf=np.nan)),
                      rows.numeric_names, rows.categorical)
    tolerance = _tolerance(model)
    if task == "regression":
        np.testing.assert_allclose(out["value"], model.predict(server), rtol=tolerance,
                                   atol=tolerance)
    else:
        np.testing.assert_allclose(out["probabilities"], model.predict_proba(server),
                                   atol=tolerance)
        assert out["label"].tolist() == model.predict(server)


def test_string_labels_and_metadata_name_the_inputs_in_order():
    model = _model("binary", "classification", [(LinearLearner("linear"), 1.0, 1)])
    data = to_onnx(model)
    meta = _metadata(data)
    assert json.loads(meta["automl.inputs"]) == ["features", "color"]
    assert json.loads(meta["automl.numeric_features"]) == [f"x{i}" for i in range(6)]
    assert json.loads(meta["automl.categorical_features"]) == ["color"]
    assert json.loads(meta["automl.classes"]) == ["no", "yes"]
    assert meta["automl.task"] == "classification"
    session = ort.InferenceSession(data)
    assert [i.name for i in session.get_inputs()] == ["features", "color"]
    out = _run(model, X := _test_rows("binary"))
    assert set(out["label"].tolist()) <= {"no", "yes"}
    assert out["label"].tolist() == model.predict(X)


def test_a_tuned_decision_threshold_decides_the_label():
    model = _model("binary", "classification", [(LinearLearner("linear"), 1.0, 1)])
    if not hasattr(model, "decide"):
        pytest.skip("this engine has no decision threshold")
    X = _test_rows("binary")
    model.threshold = float(np.median(model.predict_proba(X)[:, 1]))
    if model.decide(model.predict_proba(X)).tolist() == model.predict_proba(X).argmax(1).tolist():
        pytest.fail("the threshold should change some labels")
    assert _metadata(to_onnx(model))["automl.decision_threshold"] == repr(model.threshold)
    assert_same_as_server(model, X)


def test_float32_models_round_inputs_as_the_server_does():
    X, y = _data("regression")
    X = Features(X.numeric.astype(np.float32), X.numeric_names, X.categorical)
    encoder = FeatureEncoder()
    M = encoder.fit_transform(X)
    assert encoder.dtype_ == "float32"
    labels = LabelCodec("regression")
    codes = labels.fit_encode(y)
    ctx = FitContext("regression", 0, tuple(encoder.categorical_indices_), 0, 1)
    linear = LinearLearner().fit(ctx, M, codes)
    model = FittedModel(encoder, labels, [Member("linear", 1.0, [linear])])
    assert_same_as_server(model, _test_rows("regression"))


def test_catboost_with_categorical_features_is_refused_naming_the_member():
    model = _model("binary", "classification", [
        (LGBMLearner("lgbm", params=SMALL_LGBM, max_rounds=20, early_stopping=None), 0.5, 1),
        (CatBoostLearner("catboost_default", params={"depth": 4}, max_rounds=20,
                         early_stopping=None), 0.5, 1),
    ])
    with pytest.raises(NotExportable) as refused:
        to_onnx(model)
    assert refused.value.member == "catboost_default"
    assert str(refused.value) == (
        "member 'catboost_default' uses categorical features, which CatBoost cannot export to "
        "ONNX; train with categorical_features=[] or download format zip"
    )


def test_stacked_member_is_refused_naming_it():
    model = _model("binary", "classification", [
        (LGBMLearner("lgbm", params=SMALL_LGBM, max_rounds=20, early_stopping=None), 0.0, 1),
        (LGBMLearner("stack_lgbm", params=SMALL_LGBM, max_rounds=20, early_stopping=None), 1.0, 1),
    ])
    model.members[1].stacked = True
    model.stack_inputs = [0]
    with pytest.raises(NotExportable, match="^member 'stack_lgbm' is a stacked model"):
        to_onnx(model)


def test_a_stacked_member_without_weight_does_not_prevent_export():
    model = _model("binary", "classification", [
        (LGBMLearner("lgbm", params=SMALL_LGBM, max_rounds=20, early_stopping=None), 1.0, 1),
        (LGBMLearner("stack_lgbm", params=SMALL_LGBM, max_rounds=20, early_stopping=None), 0.0, 1),
    ])
    model.members[1].stacked = True
    assert_same_as_server(model, _test_rows("binary"))


def test_without_the_onnx_packages_the_error_says_what_to_install(monkeypatch):
    model = _model("binary", "classification", [(LinearLearner("linear"), 1.0, 1)])
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(OnnxUnavailable, match=r"pip install 'automl-server\[onnx\]'"):
        to_onnx(model)

"""The forest (ExtraTrees / RandomForest) and kNN learners: predictions equal scikit-learn's
on the same fitted model / scaled data, with NaN and categorical codes, a class missing from
the fit, pickle-free artifacts that load back (server and runtime) to identical predictions,
deadlines; models holding them are refused by explain and ONNX export with a clear message."""

import json
import time

import numpy as np
import pytest
import scipy.sparse as sp
from automl_runtime.families import KNN_PROBA_FLOOR, ForestScorer, KNNScorer
from automl_runtime.pipeline import load_scorer
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

from app.automl.explain import ExplainRefused, check_explainable, permutation_importance
from app.automl.model import FittedModel
from app.automl.models import BudgetExceeded, FitContext, load_component
from app.automl.models.forest import ForestLearner, NotApplicable
from app.automl.models.knn import KNNLearner
from app.automl.onnx_export import NotExportable, check_exportable
from tests.automl.helpers import fit_members, make_data

TASKS = [("classification", 2), ("classification", 3), ("classification", 4),
         ("regression", 0)]


def _data(n, seed, task="classification", n_classes=2):
    """Columns 0-2 numeric with NaN, column 3 a categorical code (NaN = missing) that moves
    the label. With 4 classes, class 2 never occurs (as in a fold that lacks it)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 4))
    X[:, 3] = rng.integers(0, 4, n)
    score = (np.nan_to_num(X[:, 0]) - X[:, 1] + np.array([1.5, -1.5, 0, 0.5])[
        X[:, 3].astype(int)] + 0.5 * rng.standard_normal(n))
    X[rng.random((n, 4)) < 0.1] = np.nan
    if task == "regression":
        return X, score
    if n_classes == 2:
        return X, (score > 0).astype(np.int64)
    y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3])).astype(np.int64)
    if n_classes == 4:
        y[y == 2] = 3  # classes 0, 1, 3 of 4
    return X, y


def _ctx(task, n_classes, threads=1):
    return FitContext(task, n_classes, (3,), seed=0, threads=threads)


def _assert_pickle_free(meta, files):
    assert json.loads(json.dumps(meta)) == meta  # meta is plain JSON
    for name, data in files.items():
        assert name.endswith(".npy") and data.startswith(b"\x93NUMPY"), name
        assert not data.startswith(b"\x80") and b"\x80\x04\x95" not in data[:128]
        from automl_runtime.families import npy_array

        assert npy_array(data).dtype != object  # np.load(..., allow_pickle=False)


def _round_trips(fitted, X, runtime_type):
    """to_artifact -> load_component (server) and -> the runtime's loader: the same
    predictions, and the server's copy saves to the same bytes."""
    pred = fitted.predict(X)
    meta, files = fitted.to_artifact()
    _assert_pickle_free(meta, files)
    loaded = load_component(meta, files, threads=1)
    np.testing.assert_array_equal(loaded.predict(X), pred)
    assert loaded.to_artifact() == (meta, files)
    scorer = load_scorer(meta, files, threads=1)
    assert type(scorer) is runtime_type
    np.testing.assert_array_equal(scorer.predict(X), pred)
    return pred


# ---- forests --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["extra_trees", "random_forest"])
@pytest.mark.parametrize(("task", "n_classes"), TASKS)
def test_forest_equals_scikit_learn_and_round_trips(kind, task, n_classes):
    X, y = _data(400, 1, task, n_classes)
    T, _ = _data(300, 2, task, n_classes)
    ctx = _ctx(task, n_classes)
    learner = ForestLearner(kind, kind, 40, min_samples_leaf=2)
    fitted = learner.fit(ctx, X, y)
    assert learner.best_rounds(fitted) is None and fitted.n_trees == 40
    # The same forest fitted in one go (the chunks are a warm start of the same trees).
    reference = learner.estimator(ctx, 40).fit(X, y)
    pred = _round_trips(fitted, T, ForestScorer)
    if n_classes:
        expected = np.zeros((len(T), n_classes))
        expected[:, reference.classes_] = reference.predict_proba(T)
        assert pred.shape == (300, n_classes) and np.allclose(pred.sum(axis=1), 1)
        if n_classes == 4:
            assert (pred[:, 2] == 0).all()  # the class the fit never saw
    else:
        expected = reference.predict(T)
        assert pred.shape == (300,)
    np.testing.assert_allclose(pred, expected, rtol=0, atol=1e-9)
    # Sparse rows predict the same.
    np.testing.assert_array_equal(fitted.predict(sp.csr_matrix(np.nan_to_num(T))),
                                  fitted.predict(np.nan_to_num(T)))
    gain = fitted.feature_gain(4)
    assert gain.shape == (4,) and (gain >= 0).all() and gain.sum() > 0
    assert fitted.predict_cost() > 0


def test_forest_routes_thresholds_and_missing_values_as_scikit_learn():
    """Values on and next to every threshold, and NaN in every column."""
    X, y = _data(300, 3, "regression")
    ctx = _ctx("regression", 0)
    learner = ForestLearner("xt", "extra_trees", 10)
    fitted = learner.fit(ctx, X, y)
    reference = learner.estimator(ctx, 10).fit(X, y)
    thresholds = np.concatenate([e.tree_.threshold[e.tree_.children_left >= 0]
                                 for e in reference.estimators_])
    probes = np.concatenate([thresholds, np.nextafter(thresholds, np.inf),
                             np.nextafter(thresholds.astype(np.float32), np.float32(np.inf)),
                             thresholds.astype(np.float32)]).astype(np.float64)
    T = np.tile(probes[:, None], (1, 4))
    T[::3, 1] = np.nan
    T[1::3, 0] = np.nan
    np.testing.assert_allclose(fitted.predict(T), reference.predict(T), rtol=0, atol=1e-9)


def test_forest_weights_and_one_class():
    X, y = _data(300, 4)
    weight = np.where(y == 1, 5.0, 1.0)
    ctx = _ctx("classification", 2)
    learner = ForestLearner("rf", "random_forest", 20)
    weighted = learner.fit(ctx, X, y, weight=weight).predict(X)[:, 1].mean()
    plain = learner.fit(ctx, X, y).predict(X)[:, 1].mean()
    assert weighted > plain
    only = learner.fit(ctx, X, np.zeros(300, dtype=np.int64))  # a fold with one class
    np.testing.assert_array_equal(only.predict(X), np.tile([1.0, 0.0], (300, 1)))


def test_forest_deadline_abandons_and_stop_at_keeps_trees():
    X, y = _data(2000, 5)
    ctx = _ctx("classification", 2)
    learner = ForestLearner("xt", "extra_trees", 100_000)
    with pytest.raises(BudgetExceeded):
        learner.fit(ctx, X, y, deadline=time.monotonic() - 1)
    start = time.monotonic()
    with pytest.raises(BudgetExceeded):  # clearly cannot grow 100,000 trees in 2 s
        learner.fit(ctx, X, y, deadline=time.monotonic() + 2)
    assert time.monotonic() - start < 1.5  # known after the first chunk, not at the deadline
    cut = learner.fit(ctx, X, y, stop_at=time.monotonic() + 0.5)
    assert 4 <= cut.n_trees < 100_000
    assert cut.predict(X).shape == (2000, 2)


def test_forest_is_deterministic():
    X, y = _data(300, 6, "classification", 3)
    learner = ForestLearner("xt", "extra_trees", 12)
    a = learner.fit(_ctx("classification", 3), X, y).to_artifact()
    b = learner.fit(_ctx("classification", 3), X, y).to_artifact()
    assert a == b


# ---- kNN ------------------------------------------------------------------------------------


@pytest.mark.parametrize("weights", ["uniform", "distance"])
@pytest.mark.parametrize(("task", "n_classes"), TASKS)
def test_knn_equals_scikit_learn_on_the_scaled_rows(weights, task, n_classes):
    X, y = _data(500, 7, task, n_classes)
    T, _ = _data(200, 8, task, n_classes)
    T[:5] = X[:5]  # exact matches (distance 0) with distance weights
    fitted = KNNLearner("knn", k=7, weights=weights).fit(_ctx(task, n_classes), X, y)
    assert fitted.arrays["numeric"].tolist() == [0, 1, 2]  # not the categorical codes
    pred = _round_trips(fitted, T, KNNScorer)
    train = fitted.train.astype(np.float64)
    Z = fitted.transform(T).astype(np.float64)
    if n_classes:
        model = KNeighborsClassifier(7, weights=weights, algorithm="brute").fit(train, y)
        expected = np.zeros((len(T), n_classes))
        expected[:, model.classes_] = model.predict_proba(Z)
        expected = np.maximum(expected, KNN_PROBA_FLOOR)
        expected /= expected.sum(axis=1, keepdims=True)
        assert pred.shape == (200, n_classes) and np.allclose(pred.sum(axis=1), 1)
        assert (pred > 0).all()  # log loss stays finite
    else:
        model = KNeighborsRegressor(7, weights=weights, algorithm="brute").fit(train, y)
        expected = model.predict(Z)
    np.testing.assert_allclose(pred, expected, rtol=0, atol=1e-9)
    assert fitted.predict_cost() > 0 and fitted.feature_gain(4).tolist() == [1, 1, 1, 0]


def test_knn_scaling_is_robust_and_fills_the_median():
    X, y = _data(400, 9, "regression")
    fitted = KNNLearner("knn").fit(_ctx("regression", 0), X, y)
    for j in range(3):
        col = X[:, j][~np.isnan(X[:, j])]
        assert fitted.arrays["fill"][j] == pytest.approx(np.median(col))
    T = np.full((1, 4), np.nan)
    np.testing.assert_allclose(fitted.transform(T), 0.0)  # a missing value is the median


def test_knn_keeps_a_seeded_sample_of_rows():
    X, y = _data(1000, 10)
    learner = KNNLearner("knn", k=5, max_rows=200)
    a = learner.fit(_ctx("classification", 2), X, y)
    b = learner.fit(_ctx("classification", 2), X, y)
    assert a.train.shape == (200, 3) and a.train.dtype == np.float32
    assert a.to_artifact() == b.to_artifact()


def test_knn_without_numeric_columns_is_a_dropped_candidate():
    X = np.column_stack([np.arange(50) % 3, np.arange(50) % 5]).astype(float)
    y = (np.arange(50) % 2).astype(np.int64)
    ctx = FitContext("classification", 2, (0, 1), seed=0, threads=1)
    with pytest.raises(NotApplicable, match="numeric columns") as raised:
        KNNLearner("knn").fit(ctx, X, y)
    # The search drops a candidate whose fit raises BudgetExceeded and goes on.
    assert isinstance(raised.value, BudgetExceeded)


def test_knn_deadline():
    X, y = _data(100, 11)
    with pytest.raises(BudgetExceeded):
        KNNLearner("knn").fit(_ctx("classification", 2), X, y, deadline=time.monotonic() - 1)


# ---- whole models: artifact, explain and ONNX refusals -------------------------------------


def _model(task, learners):
    X, y = make_data(task, n=200, seed=3)
    model = fit_members(task, [(learner, 1.0 / len(learners)) for learner in learners], X, y)
    return model, X, model.labels.encode_truth(y)


@pytest.mark.parametrize("task", ["binary", "multiclass", "regression"])
def test_models_of_forest_and_knn_save_and_score_in_the_runtime(task):
    import automl_runtime

    model, X, _ = _model(task, [ForestLearner("extra_trees", "extra_trees", 20),
                                KNNLearner("knn", k=5)])
    data = model.to_bytes()
    again = FittedModel.from_bytes(data)
    assert again.predict(X) == model.predict(X)
    runtime = automl_runtime.load(data)
    frame = runtime_frame(X)
    if task == "regression":
        np.testing.assert_array_equal(runtime.predict(frame).to_numpy(), model.predict(X))
    else:
        np.testing.assert_array_equal(runtime.predict_proba(frame).to_numpy(),
                                      model.predict_proba(X))
    assert [m["family"] for m in runtime.describe()["members"]] == ["forest", "knn"]
    importance = model.feature_importance() if hasattr(model, "feature_importance") else None
    assert importance is None or len(importance) > 0


def runtime_frame(X):
    import pandas as pd

    frame = pd.DataFrame(np.asarray(X.numeric), columns=X.numeric_names)
    frame["color"] = X.categorical["color"]
    return frame


@pytest.mark.parametrize("learner", [ForestLearner("extra_trees", "extra_trees", 10),
                                     KNNLearner("knn", k=5)], ids=["forest", "knn"])
def test_explain_and_onnx_refuse_them_clearly(learner):
    model, X, codes = _model("binary", [learner])
    family = learner.family
    with pytest.raises(ExplainRefused, match=f"'{learner.name}' is of family '{family}'"):
        check_explainable(model, 3)
    with pytest.raises(ExplainRefused, match="no exact per-feature contributions"):
        model.explain(X)
    with pytest.raises(NotExportable, match=f"is of family '{family}', which has no ONNX"):
        check_exportable(model)
    # Permutation importance needs only predictions: it works.
    result = permutation_importance(model, X, np.asarray(codes))
    assert len(result.importances) > 0

import numpy as np
import pytest
import scipy.sparse as sp

from app.automl import Features, FittedModel, train

from .helpers import accuracy, make_data


def test_numeric_labels_given_as_strings_come_back_as_numbers():
    X, y = make_data("multiclass", n=300, seed=1)
    result = train(X, [str(v) for v in y], task="classification", mode="high_speed")
    assert result.model.classes_ == [0, 1, 2]
    assert set(result.model.predict(X)) <= {0, 1, 2}
    # float labels that are integral are ints; others stay floats
    float_labels = [v + 0.5 if v == 2 else float(v) for v in y]
    model = train(X, float_labels, task="classification", mode="high_speed").model
    assert model.classes_ == [0, 1, 2.5]
    assert [type(c) for c in model.classes_] == [int, int, float]


def test_string_labels_and_unlabelled_rows():
    X, y = make_data("binary", n=300, seed=2)
    y = list(y)
    y[:20] = [None] * 20  # unlabelled rows are skipped
    result = train(X, y, task="classification", mode="high_speed")
    assert result.model.classes_ == ["no", "yes"]
    evaluated = result.model.evaluate(X, y)
    assert evaluated.num_labelled == 280
    assert len(evaluated.predictions) == 300
    assert all(isinstance(p, str) for p in evaluated.predictions)
    assert result.model.evaluate(X, [None] * 300).metric is None


def test_unseen_and_missing_category_at_predict():
    X, y = make_data("binary", n=300, seed=3)
    model = train(X, y, task="classification", mode="high_speed").model
    Xt, _ = make_data("binary", n=50, seed=4)
    Xt.categorical["color"] = ["Z"] * 25 + [None] * 20 + [float("nan")] * 5
    predictions = model.predict(Xt)
    assert len(predictions) == 50 and set(predictions) <= {"no", "yes"}
    assert np.isfinite(model.predict_proba(Xt)).all()


def test_numbers_as_categories_match_their_strings():
    X, y = make_data("binary", n=300, seed=5)
    codes = {"A": 1, "B": 2, "C": 3}
    X.categorical["color"] = [codes[c] for c in X.categorical["color"]]
    model = train(X, y, task="classification", mode="high_speed").model
    as_strings = Features(
        X.numeric, X.numeric_names, {"color": [str(c) for c in X.categorical["color"]]}
    )
    as_floats = Features(
        X.numeric, X.numeric_names, {"color": [float(c) for c in X.categorical["color"]]}
    )
    assert model.predict(as_strings) == model.predict(X) == model.predict(as_floats)


def test_nan_in_features():
    X, y = make_data("binary", n=400, seed=6)
    rng = np.random.default_rng(0)
    X.numeric[rng.random(X.numeric.shape) < 0.2] = np.nan
    X.numeric[0, 0] = np.inf
    for mode in ("high_speed", "balanced"):
        result = train(X, y, task="classification", mode=mode, time_budget=5)
        assert result.validation_metric["auc"] > 0.75
        assert np.isfinite(result.model.predict_proba(X)).all()


def test_constant_and_duplicate_columns_are_dropped_but_layout_kept():
    X, y = make_data("regression", n=300, seed=7)
    numeric = np.column_stack([X.numeric, np.ones(300), X.numeric[:, 0], np.full(300, np.nan)])
    names = X.numeric_names + ["const", "dup_x0", "all_nan"]
    Xd = Features(numeric, names, X.categorical)
    result = train(Xd, y, task="regression", mode="balanced", time_budget=5)
    importance = {e["feature"]: e["importance"] for e in result.feature_importance}
    assert set(importance) == set(X.numeric_names) | {"color"}  # only the columns used
    assert importance["x0"] > 0
    assert sum(importance.values()) == pytest.approx(1.0)
    assert result.model.numeric_names_ == names
    assert len(result.model.predict(Xd)) == 300


def test_sparse_input_stays_sparse():
    rng = np.random.default_rng(8)
    dense = rng.standard_normal((400, 30)) * (rng.random((400, 30)) < 0.2)
    y = np.where(dense[:, 0] + dense[:, 1] > 0, "pos", "neg").tolist()
    cats = rng.choice(["u", "v"], 400).tolist()
    X = Features(sp.csr_matrix(dense), [f"s{i}" for i in range(30)], {"kind": cats})
    result = train(X, y, task="classification", mode="balanced", time_budget=5)
    assert result.model.encoder.transform(X).format == "csr"
    assert result.validation_metric["accuracy"] > 0.8
    again = FittedModel.from_bytes(result.model.to_bytes())
    assert np.array_equal(again.predict_proba(X), result.model.predict_proba(X))
    # dense input with the same layout predicts the same
    X_dense = Features(dense, X.numeric_names, X.categorical)
    assert np.allclose(result.model.predict_proba(X_dense), result.model.predict_proba(X))


def test_many_classes_with_a_singleton():
    rng = np.random.default_rng(9)
    n_classes, per_class = 30, 8
    centers = rng.standard_normal((n_classes, 5)) * 4
    labels = np.repeat(np.arange(n_classes), per_class)
    X = centers[labels] + rng.standard_normal((len(labels), 5)) * 0.5
    y = [f"c{k}" for k in labels]
    X = np.vstack([X, centers[:1] + 0.1])
    y.append("lonely")  # a class with a single member
    features = Features(X, [f"x{i}" for i in range(5)], {})
    for mode in ("high_speed", "balanced"):
        result = train(features, y, task="classification", mode=mode, time_budget=4)
        assert len(result.model.classes_) == n_classes + 1
        assert result.validation_metric["accuracy"] > 0.5
        assert result.model.predict_proba(features).shape == (len(y), n_classes + 1)


def test_wide_data():
    rng = np.random.default_rng(10)
    X = rng.standard_normal((150, 1000)).astype(np.float32)
    y = (X[:, 5] - X[:, 700] > 0).astype(int).tolist()
    result = train(
        Features(X, [f"w{i}" for i in range(1000)], {}), y, task="classification", mode="high_speed"
    )
    assert result.validation_metric["auc"] > 0.75
    assert {e["feature"] for e in result.feature_importance[:5]} & {"w5", "w700"}


def test_class_imbalance():
    rng = np.random.default_rng(11)
    X = rng.standard_normal((1000, 4))
    y = np.where(X[:, 0] > 1.6, "rare", "common").tolist()  # ~5% positives
    result = train(Features(X, list("abcd"), {}), y, task="classification", mode="high_speed")
    assert result.validation_metric["auc"] > 0.95
    assert result.validation_metric["macro_recall"] > 0.8
    assert "rare" in result.model.predict(Features(X, list("abcd"), {}))


def test_categorical_only_and_reordered_numeric_columns():
    X, y = make_data("binary", n=300, seed=12)
    model = train(X, y, task="classification", mode="high_speed").model
    reordered = Features(X.numeric[:, ::-1], X.numeric_names[::-1], X.categorical)
    assert model.predict(reordered) == model.predict(X)
    only_cat = Features(np.empty((300, 0)), [], X.categorical)
    cat_model = train(only_cat, y, task="classification", mode="high_speed").model
    assert accuracy(cat_model.predict(only_cat), y) > 0.6

"""Artifacts, determinism, honest validation, time budgets and bad data."""

import time
import zipfile
from io import BytesIO

import numpy as np
import orjson
import pytest

from app.automl import Features, FittedModel, TrainingError, train

from .helpers import make_data


@pytest.mark.parametrize(
    ("kind", "task", "mode"),
    [
        ("binary", "classification", "balanced"),
        ("multiclass", "classification", "high_accuracy"),
        ("regression", "regression", "balanced"),
    ],
)
def test_artifact_round_trip(kind, task, mode):
    X, y = make_data(kind, n=300, seed=1)
    Xt, yt = make_data(kind, n=100, seed=2)
    Xt.categorical["color"][:10] = ["unseen"] * 10
    model = train(X, y, task=task, mode=mode, time_budget=4).model
    data = model.to_bytes()
    with zipfile.ZipFile(BytesIO(data)) as archive:
        names = archive.namelist()
        manifest = orjson.loads(archive.read("manifest.json"))
    assert "manifest.json" in names
    assert not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in names)
    assert manifest["features"]["categories"]["color"]
    again = FittedModel.from_bytes(data)
    assert again.predict(Xt) == model.predict(Xt)
    assert again.evaluate(Xt, yt).metric == model.evaluate(Xt, yt).metric
    if task == "classification":
        assert np.array_equal(again.predict_proba(Xt), model.predict_proba(Xt))
        assert again.classes_ == model.classes_
    assert again.to_bytes() == data


def test_bad_artifact():
    with pytest.raises(ValueError):
        FittedModel.from_bytes(b"not a zip")


def _with_manifest(files: dict[str, bytes], manifest: dict) -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, blob in {**files, "manifest.json": orjson.dumps(manifest)}.items():
            archive.writestr(name, blob)
    return buffer.getvalue()


def test_version_1_artifacts_still_load():
    """Models stored before stacking (format version 1: no `stacked`, no `stack_inputs`)
    keep predicting after the upgrade; an unknown version is refused."""
    X, y = make_data("binary", n=200, seed=3)
    model = train(X, y, task="classification", mode="high_speed").model
    with zipfile.ZipFile(BytesIO(model.to_bytes())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = orjson.loads(files["manifest.json"])
    manifest["version"] = 1
    del manifest["stack_inputs"]
    for member in manifest["members"]:
        del member["stacked"]
    old = FittedModel.from_bytes(_with_manifest(files, manifest))
    assert old.predict(X) == model.predict(X)
    manifest["version"] = 4
    with pytest.raises(ValueError, match="version 4"):
        FittedModel.from_bytes(_with_manifest(files, manifest))


def test_version_2_artifacts_of_unnamed_columns_still_load():
    """Before version 3 an artifact listed every column name, f0, f1, ... included, and had
    no `n_numeric`."""
    X, y = make_data("binary", n=200, seed=3)
    X = Features(X.numeric, [], X.categorical)  # unnamed: f0, f1, ...
    model = train(X, y, task="classification", mode="high_speed").model
    with zipfile.ZipFile(BytesIO(model.to_bytes())) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    manifest = orjson.loads(files["manifest.json"])
    assert manifest["features"]["numeric_names"] is None
    assert manifest["features"]["n_numeric"] == 6
    manifest["version"] = 2
    del manifest["features"]["n_numeric"]
    manifest["features"]["numeric_names"] = [f"f{j}" for j in range(6)]
    old = FittedModel.from_bytes(_with_manifest(files, manifest))
    assert old.predict(X) == model.predict(X)
    assert old.numeric_names_ == model.numeric_names_ == [f"f{j}" for j in range(6)]


@pytest.mark.parametrize("mode", ["high_speed", "balanced"])
def test_deterministic(mode):
    X, y = make_data("binary", n=300, seed=3)
    first = train(X, y, task="classification", mode=mode, time_budget=60, seed=7)
    second = train(X, y, task="classification", mode=mode, time_budget=60, seed=7)
    assert first.validation_metric == second.validation_metric
    assert np.array_equal(first.model.predict_proba(X), second.model.predict_proba(X))
    assert first.model.to_bytes() == second.model.to_bytes()


@pytest.mark.parametrize("mode", ["high_speed", "balanced"])
def test_validation_is_out_of_fold(mode):
    """Noise labels + a unique ID column: a model can memorise the rows but not generalise,
    so an honest validation metric must stay near chance."""
    rng = np.random.default_rng(4)
    n = 600
    X = np.column_stack([np.arange(n), rng.standard_normal((n, 3))])
    y = rng.choice(["a", "b"], n).tolist()
    ids = [f"id{i}" for i in range(n)]
    features = Features(X, ["row_id", "n1", "n2", "n3"], {"id": ids})
    result = train(features, y, task="classification", mode=mode, time_budget=8)
    assert result.validation_metric["accuracy"] < 0.62
    assert result.validation_metric["auc"] < 0.62
    reg = train(
        features, rng.standard_normal(n).tolist(), task="regression", mode=mode, time_budget=8
    )
    assert reg.validation_metric > 0.8  # variance of the noise is 1


@pytest.mark.parametrize("mode", ["balanced", "high_accuracy"])
def test_time_budget_respected(mode):
    X, y = make_data("multiclass", n=20_000, seed=5, n_classes=5, d=20)
    start = time.monotonic()
    result = train(X, y, task="classification", mode=mode, time_budget=3)
    assert time.monotonic() - start < 6.5
    assert result.leaderboard  # always at least one model
    assert len(result.model.predict(X)) == 20_000


def test_training_errors():
    X, y = make_data("binary", n=50, seed=6)
    with pytest.raises(TrainingError, match="only one class"):
        train(X, ["1"] * 50, task="classification", mode="high_speed")
    with pytest.raises(TrainingError, match="not numeric"):
        train(X, ["abc"] + [1.0] * 49, task="regression", mode="high_speed")
    with pytest.raises(TrainingError, match="no labelled rows"):
        train(X, [None] * 50, task="classification", mode="high_speed")
    empty = Features(np.empty((0, 6)), X.numeric_names, {"color": []})
    with pytest.raises(TrainingError, match="no labelled rows"):
        train(empty, [], task="classification", mode="high_speed")
    with pytest.raises(TrainingError, match="labels for"):
        train(X, y[:10], task="classification", mode="high_speed")
    with pytest.raises(TrainingError, match="mode"):
        train(X, y, task="classification", mode="turbo")
    with pytest.raises(TrainingError, match="task"):
        train(X, y, task="clustering", mode="high_speed")
    with pytest.raises(TrainingError, match="1,500 distinct values; at most 1,000 classes; is it"):
        train(
            Features(np.random.default_rng(0).standard_normal((1500, 2)), ["a", "b"], {}),
            np.linspace(0, 1, 1500).tolist(),
            task="classification",
            mode="high_speed",
        )


def test_predict_layout_errors():
    X, y = make_data("binary", n=100, seed=7)
    model = train(X, y, task="classification", mode="high_speed").model
    with pytest.raises(ValueError, match="numeric features"):
        model.predict(Features(X.numeric[:, :3], X.numeric_names[:3], X.categorical))
    with pytest.raises(ValueError, match="color"):
        model.predict(Features(X.numeric, X.numeric_names, {}))
    assert model.predict(Features(np.empty((0, 6)), X.numeric_names, {"color": []})) == []

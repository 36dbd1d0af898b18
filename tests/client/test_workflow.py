"""The client's whole surface against a live server, in the embedded and the production mode:
upload a DataFrame with text categoricals and missing values, train high_speed, wait, predict,
probabilities, leaderboard, importance, listing and deleting; and examples/client_workflow.py
(the official example's workflow with the client) run to the end."""

import asyncio
import io
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from automl_client import AsyncClient, Model, NotFound, Unsupported

from tests.client.support import frame

ROOT = Path(__file__).resolve().parents[2]


def test_classification_workflow(client, capsys, tmp_path):
    df = frame(150)
    train, test = df.iloc[:110], df.iloc[110:]
    proj = client.create_project("demo", exist_ok=True)
    assert client.create_project("demo", exist_ok=True) == proj
    ds = proj.upload("train", train, label="target")
    assert ds.categorical_features == ["color", "size", "flag"]
    assert [j.last_status["status"] for j in ds.upload_jobs] == ["finished"]

    info = proj.dataset("train").info()
    assert info["num_vectors"] == 110
    assert info["feature_names"] == ["x1", "x2"]
    assert sorted(info["categorical_attributes"]) == ["color", "flag", "size"]

    job = ds.train("m1", mode="high_speed", task="classification", label="target",
                   time_budget=5, seed=1)
    model = job.wait(progress=True)
    assert isinstance(model, Model) and model.name == "m1"
    assert "100%" in capsys.readouterr().err  # the bar ends full
    assert set(model.validation_metric) >= {"accuracy", "macro_f1", "auc"}
    assert model.validation_metric["accuracy"] > 0.6

    board = model.leaderboard()
    assert list(board.columns) == ["model", "score", "metric", "fit_seconds",
                                   "predict_seconds_per_row"] and len(board)
    importance = model.feature_importance()
    assert list(importance.columns) == ["feature", "importance"]
    assert set(importance["feature"]) <= {"x1", "x2", "color", "size", "flag"}
    assert importance["importance"].is_monotonic_decreasing
    assert importance["importance"].sum() == pytest.approx(1.0)

    test = test.set_axis([f"row{i}" for i in range(len(test))])  # a non-default index
    predictions = model.predict(test)  # the label column is left out of the request
    assert isinstance(predictions, pd.Series)
    assert list(predictions.index) == list(test.index)
    assert set(predictions) <= {"yes", "no"}
    assert (predictions == test["target"]).mean() > 0.6

    proba = model.predict_proba(test.drop(columns="target"))
    assert sorted(proba.columns) == ["no", "yes"]
    assert list(proba.index) == list(test.index)
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert (proba.idxmax(axis=1) == predictions).all()

    scored = model.evaluate(test)
    assert scored["num_samples"] == len(test) and "accuracy" in scored["prediction_metric"]

    # Taken out, the model answers the same (automl_runtime, the server's scoring code).
    manifest = model.download(tmp_path / "m1.zip")
    assert manifest["label"] == "target" and manifest["classes"] == ["no", "yes"]
    import automl_runtime

    local = automl_runtime.load(tmp_path / "m1.zip")
    assert local.predict(test).tolist() == predictions.tolist()
    np.testing.assert_allclose(local.predict_proba(test)[list(proba.columns)], proba,
                               rtol=0, atol=1e-12)

    again = proj.dataset("train").model("m1")  # a fresh handle: described by the server
    assert (again.task_type, again.training_mode, again.label) == (
        "classification", "high_speed", "target")
    assert again.validation_metric == model.validation_metric
    assert again.leaderboard().equals(board)  # found through list_jobs
    assert [m.name for m in proj.dataset("train").models()] == ["m1"]
    assert proj.datasets() == [ds]
    assert client.projects() == [proj]

    jobs = client.jobs()
    assert [j.kind for j in jobs] == ["train", "data"]
    assert jobs[0].job_id == job.job_id and jobs[0].last_status["status"] == "finished"
    assert [j.job_id for j in client.jobs(ds, kind="data")] == [ds.upload_jobs[0].job_id]
    assert client.jobs("demo", "train", kind="train")[0].wait().name == "m1"
    assert client.job(job.job_id).status()["status"] == "finished"

    model.delete()
    assert proj.dataset("train").models() == []
    with pytest.raises(NotFound):
        again.predict(test)
    proj.delete()
    assert client.projects() == []


def test_regression_from_a_csv_file_uploaded_in_parts(server, tmp_path):
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"a": rng.normal(size=200), "b": rng.normal(size=200),
                       "kind": rng.choice(["p", "q"], size=200)})
    df["y"] = 2.5 * df["a"] - df["b"] + (df["kind"] == "p") + rng.normal(scale=0.1, size=200)
    path = tmp_path / "train.csv"
    df.to_csv(path, index=False)
    # a small request limit splits the upload into several requests, each waited for; the
    # files go as plain CSV (compress=False), for servers without gzip
    with server.client(max_request_bytes=2000, compress=False, poll_interval=0.2) as c:
        ds = c.create_project("reg").upload("data", path, label="y")
        assert len(ds.upload_jobs) > 2
        assert ds.info()["num_vectors"] == 200
        model = ds.train("r", mode="high_speed", time_budget=5).wait()  # task inferred
        assert model.task_type == "regression"
        assert isinstance(model.validation_metric, float) and model.validation_metric < 1.0
        predictions = model.predict(df)  # predicted in parts too
        assert len(predictions) == 200 and predictions.dtype.kind == "f"
        assert ((predictions - df["y"]) ** 2).mean() < 1.0
        with pytest.raises(Unsupported, match="regression"):
            model.predict_proba(df)


def test_async_client(server):
    async def flow():
        async with AsyncClient(server.base, api_key="async-key", poll_interval=0.2) as c:
            proj = await c.create_project("a", exist_ok=True)
            ds = await proj.upload("d", frame(80, seed=5), label="target")
            model = await (await ds.train("m", mode="high_speed", task="classification",
                                          time_budget=5)).wait()
            csv = io.StringIO()
            frame(10, seed=6).to_csv(csv, index=False)
            csv.seek(0)
            predictions, proba, board, names = await asyncio.gather(
                model.predict(pd.read_csv(csv)), model.predict_proba(frame(10, seed=6)),
                model.leaderboard(), c.projects())
            assert len(predictions) == 10 and proba.shape == (10, 2) and len(board)
            assert names == [proj]
            jobs = await c.jobs(kind="train")
            assert [j.model_name for j in jobs] == ["m"]
            await proj.delete()
            with pytest.raises(NotFound):
                await proj.datasets()

    asyncio.run(flow())


def test_client_workflow_example(server):
    env = {**os.environ, "AUTOML_BASE_URL": server.base, "AUTOML_API_KEY": "example-key",
           "PYTHONPATH": str(ROOT / "client")}
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "client_workflow.py")],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    accuracy = float(result.stdout.split("accuracy:")[1].split()[0])
    assert accuracy > 0.7


def test_training_options_and_an_onnx_download(client, tmp_path):
    """eval_metric and class_weight reach the training (the leaderboard ranks by the metric
    asked for); download(format="onnx") saves the ONNX graph and names its inputs."""
    import onnx

    df = frame(120, seed=3)
    ds = client.create_project("options", exist_ok=True).upload("d", df, label="target")
    model = ds.train("m", mode="high_speed", task="classification", time_budget=5,
                     eval_metric="balanced_accuracy", class_weight="balanced").wait()
    assert set(model.leaderboard()["metric"]) == {"balanced_accuracy"}

    manifest = model.download(tmp_path / "m.onnx", format="onnx")
    assert manifest["format"] == "onnx"
    graph = onnx.load(tmp_path / "m.onnx")
    assert [i.name for i in graph.graph.input] == list(manifest["onnx_inputs"])


def test_explain_in_parts_adds_up_to_the_raw_score(client, monkeypatch):
    """model.explain: contributions indexed like the input, base value plus contributions =
    the raw score (a regression's prediction), the same answer when sent in parts; a
    multiclass model's columns are (class, feature) pairs."""
    import automl_client.resources as resources

    rng = np.random.default_rng(5)
    df = pd.DataFrame({"a": rng.normal(size=150), "b": rng.normal(size=150),
                       "kind": rng.choice(["p", "q", "r"], size=150)})
    df["y"] = 2.0 * df["a"] - df["b"] + (df["kind"] == "p") + rng.normal(scale=0.1, size=150)
    df["band"] = np.digitize(df["y"], [-1.0, 1.0]).astype(str)
    proj = client.create_project("explain", exist_ok=True)
    ds = proj.upload("d", df.drop(columns=["band"]), label="y")
    model = ds.train("r", mode="high_speed", task="regression", time_budget=5).wait()
    rows = df.iloc[:23].set_axis([f"row{i}" for i in range(23)])

    whole = model.explain(rows)
    assert whole.raw_score == "value" and whole.positive_class is None
    assert list(whole.contributions.index) == list(rows.index)
    assert set(whole.contributions.columns) == {"a", "b", "kind"}
    np.testing.assert_allclose(whole.raw_scores(), whole.predictions, rtol=1e-9, atol=1e-9)
    assert list(whole.predictions) == pytest.approx(list(model.predict(rows)))

    monkeypatch.setattr(resources, "EXPLAIN_ROWS", 5)  # 23 rows in 5 requests
    parts = model.explain(rows)
    pd.testing.assert_frame_equal(parts.contributions, whole.contributions)
    assert parts.base_value == whole.base_value

    ds = proj.upload("m", df.drop(columns=["y"]), label="band")
    multi = ds.train("c", mode="high_speed", task="classification", time_budget=5).wait()
    e = multi.explain(rows)
    assert e.raw_score == "margin" and set(e.base_value) == {0, 1, 2}
    assert e.contributions.columns.names == ["class", "feature"]
    assert e.contributions.shape == (23, 3 * 3)
    margins = e.raw_scores()
    assert list(margins.columns) == list(e.base_value) and list(margins.index) == list(rows.index)
    assert list(e.predictions) == list(multi.predict(rows))

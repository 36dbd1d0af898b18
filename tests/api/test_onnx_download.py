"""download_automl_model format onnx: the graph, run in onnxruntime, answers what
automl_predict answers; a model it cannot express exactly is a 400 naming the member."""

import base64
import sys

import numpy as np
import pytest

from app.automl.model import FittedModel
from tests.api.test_automl import make_rows

ort = pytest.importorskip("onnxruntime")


MODELS = (("bin", "classification", "label", "balanced", []),
          ("multi", "classification", "band", "high_speed", ["category"]),
          ("reg", "regression", "value", "high_speed", ["category"]))


def train(client, project, models=MODELS):
    """Models on 400 rows: a balanced binary classifier on the vectors alone (whichever
    families it blends, none has categorical features), high_speed (LightGBM) ones for three
    bands and a value with the categorical attribute; a 100-row held-out dataset with unseen
    categories. Returns where they are and the held-out rows."""
    where = {"project_name": project, "collection_name": "train"}
    held = None
    for name, n, seed in (("train", 400, 1), ("held", 100, 2)):
        client.ok("init", project_name=project, collection_name=name, vector_dim=8)
        x, attributes, score = make_rows(n, seed)
        for i, (row, s) in enumerate(zip(attributes, score, strict=True)):
            row["value"] = float(s)
            row["band"] = str(int(np.digitize(s, [-1.0, 1.0])))
            if name == "held" and i % 10 == 3:
                row["category"] = "Z"  # never seen in training
        client.finished(client.ok("add_data_batch", project_name=project, collection_name=name,
                                  data=x.tolist(), attributes=attributes,
                                  string_ids=[f"{name}{i}" for i in range(n)])["job_id"])
        held = (x, [row["category"] for row in attributes])
    for model, task, label, mode, categorical in models:
        job = client.ok("train_automl_model", **where, model_name=model, training_mode=mode,
                        task_type=task, label_attribute=label, categorical_features=categorical,
                        time_budget=30)["job_id"]
        client.finished(job, "get_automl_training_status")
    return where, held


def _onnx(client, where, model):
    answer = client.ok("download_automl_model", **where, model_name=model, format="onnx")
    manifest = answer["manifest"]
    inputs = ["features"] if model == "bin" else ["features", "category"]
    assert manifest["format"] == "onnx" and manifest["onnx_inputs"] == inputs
    session = ort.InferenceSession(base64.b64decode(answer["model_data"]))
    assert [i.name for i in session.get_inputs()] == inputs
    return session, answer


def test_onnx_answers_what_automl_predict_answers(client, project):
    where, (x, categories) = train(client, project)
    feeds = {"features": x, "category": np.asarray(categories, dtype=object)}
    for model in ("bin", "multi", "reg"):
        session, answer = _onnx(client, where, model)
        predicted = client.ok("automl_predict", **where, model_name=model,
                              prediction_dataset="held", return_probabilities=True)
        given = {i.name: feeds[i.name] for i in session.get_inputs()}
        out = dict(zip([o.name for o in session.get_outputs()], session.run(None, given),
                       strict=True))
        if model == "reg":
            np.testing.assert_allclose(out["value"], predicted["predictions"], rtol=1e-9,
                                       atol=1e-5)
            continue
        assert answer["manifest"]["classes"] == predicted["classes"]
        np.testing.assert_allclose(out["probabilities"], predicted["probabilities"],
                                   rtol=0, atol=1e-5)
        assert out["label"].tolist() == predicted["predictions"]


def test_refusals_are_400s_that_say_why(client, project, monkeypatch):
    """A model the graph cannot express exactly names the member (here the stored model with
    its first member made a stacked one); a server without the onnx extra says what to
    install. (One test: the models train once.)"""
    where, _ = train(client, project, MODELS[1:])
    load = FittedModel.from_bytes.__func__

    def stacked(cls, data):
        model = load(cls, data)
        model.members[0].stacked = True
        return model

    with monkeypatch.context() as patch:
        patch.setattr(FittedModel, "from_bytes", classmethod(stacked))
        name = client.ok("download_automl_model", **where, model_name="multi")["manifest"][
            "members"][0]["name"]
        message = client.fails("download_automl_model", 400, **where, model_name="multi",
                               format="onnx")
    assert message.startswith(f"cannot export this model to ONNX: member '{name}' is a "
                              "stacked model")
    assert "download format zip" in message

    monkeypatch.setitem(sys.modules, "onnx", None)
    message = client.fails("download_automl_model", 400, **where, model_name="reg",
                           format="onnx")
    assert "pip install 'automl-server[onnx]'" in message
    assert client.ok("download_automl_model", **where, model_name="reg")["manifest"][
        "format"] == "zip"

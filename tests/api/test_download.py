"""download_automl_model: the model leaves the server, and automl_runtime, in a process that
never imports the server, answers exactly what automl_predict answers for the same rows."""

import base64
import io

import numpy as np
import pandas as pd
import pytest

from tests.runtime.support import score_elsewhere

CITIES = ["Paris", "Lyon", "Nice", "Lille"]


LABELS = {"classification": "target", "regression": "amount"}


def table(n: int, seed: int, task: str) -> str:
    """CSV text: numbers a, b, c (some missing), a text category city and the label: target
    (text) for classification, amount (a number) for regression."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    city = rng.choice(CITIES, n)
    effect = {"Paris": 1.0, "Lyon": -1.0, "Nice": 0.5, "Lille": 0.0}
    score = x[:, 0] - x[:, 1] + np.array([effect[c] for c in city])
    lines = [f"a,b,c,city,{LABELS[task]}"]
    for i in range(n):
        a = "" if i % 11 == 3 else f"{x[i, 0]:.4f}"
        label = ("yes" if score[i] > 0 else "no") if task == "classification" else \
            f"{3 * score[i]:.4f}"
        lines.append(f"{a},{x[i, 1]:.4f},{x[i, 2]:.4f},{city[i]},{label}")
    return "\n".join(lines) + "\n"


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def unseen_and_missing(text: str) -> str:
    """The same rows with cities the model never saw and missing ones."""
    lines = text.splitlines()
    out = [lines[0]]
    for i, line in enumerate(lines[1:]):
        cells = line.split(",")
        if i % 4 == 0:
            cells[3] = "Atlantis"
        elif i % 4 == 1:
            cells[3] = ""
        out.append(",".join(cells))
    return "\n".join(out) + "\n"


def trained(client, project, task: str, name: str = "m") -> dict:
    """A dataset of the task's table and a high_speed model (LightGBM, maybe blended with the
    linear model) on it."""
    where = {"project_name": project, "collection_name": task}
    client.finished(client.ok("upload", **where, file_data=encoded(table(300, 1, task)),
                              file_format="csv", has_field_names=True,
                              label_column=LABELS[task], categorical_features=["city"])["job_id"])
    job = client.ok("train_automl_model", **where, model_name=name, training_mode="high_speed",
                    task_type=task, label_attribute=LABELS[task], time_budget=5)["job_id"]
    client.finished(job, "get_automl_training_status")
    return where


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_the_downloaded_model_predicts_what_the_server_predicts(client, project, task,
                                                                 tmp_path):
    label = LABELS[task]
    where = trained(client, project, task)
    download = client.ok("download_automl_model", **where, model_name="m")
    assert set(download) == {"success", "model_data", "format_version", "manifest"}
    artifact = base64.b64decode(download["model_data"])
    manifest = download["manifest"]
    assert download["format_version"] == manifest["format_version"] == 3
    assert manifest["format"] == "zip" and manifest["task"] == task
    assert manifest["label"] == label
    assert manifest["numeric_features"] == ["a", "b", "c"]
    assert manifest["n_numeric"] == len(manifest["numeric_features"])
    [city] = manifest["categorical_features"]
    assert city["name"] == "city" and sorted(city["levels"]) == sorted(CITIES)
    members = manifest["members"]
    assert members and {m["family"] for m in members} <= {"lgbm", "linear"}
    assert sum(m["weight"] for m in members) == pytest.approx(1.0)
    assert not any(m["stacked"] for m in members)
    if task == "classification":
        assert manifest["classes"] == ["no", "yes"]
    else:
        assert "classes" not in manifest

    rows = unseen_and_missing(table(80, 2, task))
    server = client.ok("automl_predict", **where, model_name="m", file_data=encoded(rows),
                       file_format="csv", has_field_names=True, return_probabilities=True)
    frame = pd.read_csv(io.StringIO(rows))  # as a user would read the same file
    out = score_elsewhere(artifact, frame, tmp_path)
    assert out["modules"] == []
    if task == "classification":
        assert out["predict"].tolist() == server["predictions"]
        assert list(out["proba"].columns) == server["classes"]
        np.testing.assert_allclose(out["proba"].to_numpy(), server["probabilities"],
                                   rtol=0, atol=1e-12)
    else:
        np.testing.assert_allclose(out["predict"].to_numpy(), server["predictions"],
                                   rtol=0, atol=1e-12)
    assert out["describe"]["members"] == manifest["members"]


def test_download_refusals(client, project):
    where = trained(client, project, "classification")
    message = client.fails("download_automl_model", 400, **where, model_name="m",
                           format="pickle")
    assert "format" in message and "zip" in message
    assert "does not exist" in client.fails("download_automl_model", 404, **where,
                                            model_name="nope")
    job = client.ok("train_automl_model", **where, model_name="busy",
                    training_mode="high_speed", task_type="classification",
                    label_attribute="target")["job_id"]
    # Until its job ends, the model is training: a 409 that says so (or, if it has ended
    # already, the download).
    response = client.post("download_automl_model", **where, model_name="busy")
    if response.status_code == 409:
        assert "still training" in response.json()["error_message"]
    else:
        assert response.status_code == 200
    client.finished(job, "get_automl_training_status")

"""eval_metric, weight_attribute and class_weight on train_automl_model, and the
get_model_leaderboard extension (issue 13), in both modes (the `client` fixture)."""

import base64

import numpy as np
import pytest

from tests.conftest import BOB


def csv_rows(n: int, seed: int, weight=lambda i, y: 1.0) -> str:
    """An imbalanced binary CSV (about 10 % positives) with a numeric weight column `w`."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 3))
    y = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(size=n) * 0.8 > 1.6).astype(int)
    lines = ["x0,x1,x2,w,label"]
    for i in range(n):
        lines.append(",".join([*(f"{v:.5f}" for v in x[i]), str(weight(i, y[i])), str(y[i])]))
    return "\n".join(lines) + "\n"


def upload(client, where: dict, text: str) -> None:
    data = base64.b64encode(text.encode()).decode()
    client.finished(client.ok("upload", **where, file_data=data, file_format="csv",
                              has_field_names=True, label_column="label")["job_id"])


@pytest.fixture
def dataset(client, project):
    where = {"project_name": project, "collection_name": "d"}
    upload(client, where, csv_rows(400, 0, weight=lambda i, y: 2.0 if y else 1.0))
    return where


def test_eval_metric_weights_and_the_kept_leaderboard(client, dataset):
    where = dataset
    job = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                    task_type="classification", label_attribute="label",
                    eval_metric="balanced_accuracy", weight_attribute="w",
                    class_weight="balanced")["job_id"]
    status = client.finished(job, "get_automl_training_status")
    board = client.ok("get_model_leaderboard", **where, model_name="m")["leaderboard"]
    assert board == status["leaderboard"] and board
    assert {entry["metric"] for entry in board} == {"balanced_accuracy"}
    scores = [entry["score"] for entry in board]
    assert scores == sorted(scores, reverse=True)  # best first: greater is better
    for entry in board:
        assert 0 <= entry["score"] <= 1 and entry["fit_seconds"] >= 0
        assert entry["predict_seconds_per_row"] >= 0
    # The weight column is not a feature.
    importance = client.ok("get_feature_importance", **where, model_name="m")
    assert "w" not in {f["feature"] for f in importance["feature_importance"]}
    # A default training is ranked by AUC, as before.
    job = client.ok("train_automl_model", **where, model_name="plain",
                    training_mode="high_speed", task_type="classification",
                    label_attribute="label")["job_id"]
    client.finished(job, "get_automl_training_status")
    board = client.ok("get_model_leaderboard", **where, model_name="plain")["leaderboard"]
    assert {entry["metric"] for entry in board} == {"auc"}


def test_predictions_apply_the_tuned_threshold_and_probabilities_do_not(client, project):
    where = {"project_name": project, "collection_name": "t"}
    upload(client, where, csv_rows(400, 0))  # w is all 1s: here an uninformative feature
    job = client.ok("train_automl_model", **where, model_name="b", training_mode="high_speed",
                    task_type="classification", label_attribute="label",
                    eval_metric="balanced_accuracy")["job_id"]
    client.finished(job, "get_automl_training_status")
    model = {**where, "model_name": "b"}
    manifest = client.ok("download_automl_model", **model)["manifest"]
    threshold = manifest["decision_threshold"]
    assert 0 < threshold < 0.4  # balanced accuracy favours the 10 % minority
    rows = base64.b64encode(csv_rows(300, 9).encode()).decode()
    answer = client.ok("automl_predict", **model, file_data=rows, file_format="csv",
                       has_field_names=True, return_probabilities=True)
    p1 = [p[answer["classes"].index(1)] for p in answer["probabilities"]]
    assert answer["predictions"] == [int(p > threshold) for p in p1]
    assert answer["predictions"] != [int(p > 0.5) for p in p1]  # the threshold matters here


def test_leaderboard_of_a_regression_metric_is_sorted_ascending(client, project):
    where = {"project_name": project, "collection_name": "r"}
    rng = np.random.default_rng(5)
    x = rng.normal(size=(200, 3))
    y = x[:, 0] * 3 + rng.normal(size=200)
    text = "a,b,c,target\n" + "".join(f"{r[0]},{r[1]},{r[2]},{t}\n" for r, t in zip(x, y,
                                                                                   strict=True))
    upload(client, where, text.replace("target", "label"))
    job = client.ok("train_automl_model", **where, model_name="m", training_mode="balanced",
                    time_budget=20, task_type="regression", label_attribute="label",
                    eval_metric="mae", seed=1)["job_id"]
    client.finished(job, "get_automl_training_status", timeout=120)
    board = client.ok("get_model_leaderboard", **where, model_name="m")["leaderboard"]
    assert len(board) > 1 and {entry["metric"] for entry in board} == {"mae"}
    scores = [entry["score"] for entry in board]
    assert scores == sorted(scores)  # an error: lowest first


def test_bad_training_options_are_400s_saying_what_fits(client, dataset):
    where = {**dataset, "model_name": "bad", "training_mode": "high_speed",
             "label_attribute": "label"}
    message = client.fails("train_automl_model", 400, **where, task_type="regression",
                           eval_metric="auc")
    assert "rmse, mse, mae, r2, mape" in message
    message = client.fails("train_automl_model", 400, **where, task_type="classification",
                           eval_metric="mae")
    assert "accuracy, balanced_accuracy, f1, log_loss, auc, pr_auc" in message
    assert "balanced" in client.fails("train_automl_model", 400, **where,
                                      task_type="classification", class_weight="heavy")
    assert "classification" in client.fails("train_automl_model", 400, **where,
                                            task_type="regression", class_weight="balanced")
    assert "is the label" in client.fails("train_automl_model", 400, **where,
                                          task_type="classification", weight_attribute="label")
    assert "'nothing' is not in" in client.fails(
        "train_automl_model", 400, **where, task_type="classification",
        weight_attribute="nothing")


def test_a_negative_weight_fails_the_job_naming_its_row(client, project):
    where = {"project_name": project, "collection_name": "neg"}
    upload(client, where, csv_rows(100, 1, weight=lambda i, y: -1.0 if i == 7 else 1.0))
    job = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                    task_type="classification", label_attribute="label",
                    weight_attribute="w")["job_id"]
    status = client.wait(job, "get_automl_training_status")
    assert status["status"] == "failed"
    assert "row 8" in status["error"] and ">= 0" in status["error"]


def test_leaderboard_of_someone_else_or_of_nothing_is_404(client, dataset):
    job = client.ok("train_automl_model", **dataset, model_name="m", training_mode="high_speed",
                    task_type="classification", label_attribute="label")["job_id"]
    client.finished(job, "get_automl_training_status")
    client.as_key(BOB).fails("get_model_leaderboard", 404, **dataset, model_name="m")
    client.fails("get_model_leaderboard", 404, **dataset, model_name="missing")

"""Training, prediction and model management through the API."""

import base64

import numpy as np
import pytest

CLASS_METRICS = {"accuracy", "micro_precision", "macro_precision", "micro_recall",
                 "macro_recall", "micro_f1", "macro_f1", "auc"}


def make_rows(n: int, seed: int, dim: int = 8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, dim))
    cats = rng.choice(["A", "B", "C"], size=n)
    score = x[:, :3].sum(axis=1) + np.select([cats == "A", cats == "B"], [1.0, -1.0], 0.0)
    labels = np.where(score > 0, "1", "0")
    attributes = [{"label": str(lab), "category": str(c)} for lab, c in zip(labels, cats,
                                                                             strict=True)]
    return x, attributes, score


@pytest.fixture
def trained(client, project):
    """A classification model on 400 rows, and a 100-row prediction dataset."""
    where = {"project_name": project, "collection_name": "train"}
    for name, n, seed in (("train", 400, 1), ("pred", 100, 2)):
        client.ok("init", project_name=project, collection_name=name, vector_dim=8)
        x, attributes, _ = make_rows(n, seed)
        client.finished(client.ok("add_data_batch", project_name=project, collection_name=name,
                                  data=x.tolist(), attributes=attributes,
                                  string_ids=[f"{name}{i}" for i in range(n)])["job_id"])
    job = client.ok("train_automl_model", **where, model_name="m1", training_mode="high_speed",
                    task_type="classification", label_attribute="label",
                    categorical_features=["category"])["job_id"]
    status = client.finished(job, "get_automl_training_status")
    return where, status


def test_training_status_and_metrics(client, trained):
    where, status = trained
    assert status["model_name"] == "m1" and status["task_type"] == "classification"
    assert status["label_attribute"] == "label"
    assert set(status["validation_metric"]) == CLASS_METRICS
    assert 0.6 < status["validation_metric"]["accuracy"] < 1.0
    assert status["leaderboard"]
    metric = client.ok("get_model_validation_metric", **where, model_name="m1")
    assert metric["validation_metric"] == status["validation_metric"]
    infos = client.ok("list_automl_model_infos", **where)["model_infos"]
    assert len(infos) == 1
    name, task, mode, label, created = infos[0]
    assert (name, task, mode, label) == ("m1", "classification", "high_speed", "label")
    assert len(created) == len("2025/01/15, 14:30") and ", " in created
    importance = client.ok("get_feature_importance", **where, model_name="m1")
    features = {f["feature"] for f in importance["feature_importance"]}
    assert "category" in features and "f0" in features


def test_predict_from_dataset(client, trained):
    where, _ = trained
    result = client.ok("automl_predict", **where, model_name="m1", prediction_dataset="pred")
    assert result["num_samples"] == 100
    assert len(result["predictions"]) == 100
    assert set(result["predictions"]) <= {0, 1}  # numeric labels come back as numbers
    assert set(result["prediction_metric"]) == CLASS_METRICS
    assert result["prediction_metric"]["accuracy"] > 0.7
    assert "probabilities" not in result
    extended = client.ok("automl_predict", **where, model_name="m1", prediction_dataset="pred",
                         return_probabilities=True)
    assert extended["classes"] == [0, 1]
    assert np.allclose(np.sum(extended["probabilities"], axis=1), 1.0)


def test_predict_inline_whole_csv(client, trained):
    """Real clients send back their whole CSV: ids, features, label; matched by name."""
    where, _ = trained
    x, attributes, _ = make_rows(50, 3)
    header = "id,label," + ",".join(f"f{j}" for j in range(8)) + ",category,comment"
    lines = [header] + [
        f"r{i},{a['label']}," + ",".join(f"{v:.6f}" for v in row) + f",{a['category']},hello"
        for i, (row, a) in enumerate(zip(x, attributes, strict=True))]
    data = base64.b64encode("\n".join(lines).encode()).decode()
    result = client.ok("automl_predict", **where, model_name="m1", file_data=data,
                       file_format="csv", has_field_names=True)
    assert result["num_samples"] == 50 and len(result["predictions"]) == 50
    assert result["prediction_metric"]["accuracy"] > 0.7
    # without the label column: predictions, no metric
    unlabelled = "\n".join(line.split(",", 2)[0] + "," + line.split(",", 2)[2] for line in lines)
    result = client.ok("automl_predict", **where, model_name="m1", file_format="csv",
                       file_data=base64.b64encode(unlabelled.encode()).decode(),
                       has_field_names=True)
    assert result["num_samples"] == 0 and "prediction_metric" not in result
    assert len(result["predictions"]) == 50


def test_unseen_category_and_missing_values_still_predict(client, trained, project):
    where, _ = trained
    client.ok("init", project_name=project, collection_name="odd", vector_dim=8)
    client.finished(client.ok("add_data_batch", project_name=project, collection_name="odd",
                              data=[[None] * 8, [0.5] * 8],
                              attributes=[{"category": "Z"}, {"category": None}])["job_id"])
    result = client.ok("automl_predict", **where, model_name="m1", prediction_dataset="odd")
    assert len(result["predictions"]) == 2 and result["num_samples"] == 0


def test_model_errors(client, trained, project):
    where, _ = trained
    base = dict(**where, task_type="classification", label_attribute="label")
    assert "exist" in client.fails("train_automl_model", 409, **base, model_name="m1",
                                   training_mode="high_speed")
    assert "training_mode" in client.fails("train_automl_model", 400, **base, model_name="m2",
                                           training_mode="fast")
    assert "model_name" in client.fails("train_automl_model", 400, **base, model_name="a b!",
                                        training_mode="high_speed")
    assert "task_type" in client.fails("train_automl_model", 400, **where, model_name="m2",
                                       training_mode="high_speed", task_type="ranking",
                                       label_attribute="label")
    assert "nolabel" in client.fails("train_automl_model", 400, **where, model_name="m2",
                                     training_mode="high_speed", task_type="classification",
                                     label_attribute="nolabel")
    assert "Model does not exist" in client.fails("automl_predict", 404, **where,
                                                  model_name="zz", prediction_dataset="pred")
    client.fails("automl_predict", 400, **where, model_name="m1")
    assert "file_data is empty" in client.fails("automl_predict", 400, **where, model_name="m1",
                                                file_data="", file_format="csv")
    client.fails("automl_predict", 404, **where, model_name="m1", prediction_dataset="nope")
    client.fails("automl_predict", 400, **where, model_name="m1", file_data="@@",
                 file_format="csv")
    client.ok("init", project_name=project, collection_name="narrow", vector_dim=3)
    client.finished(client.ok("add_data_batch", project_name=project, collection_name="narrow",
                              data=[[1, 2, 3]], attributes=[{"category": "A"}])["job_id"])
    assert "8" in client.fails("automl_predict", 400, **where, model_name="m1",
                               prediction_dataset="narrow")


def test_delete_model(client, trained):
    where, status = trained
    client.ok("delete_automl_model", **where, model_name="m1")
    after = client.ok("get_automl_training_status", job_id=status["job_id"])
    assert after["model_name"] == "m1" and after["status"] == "finished"
    assert client.ok("list_automl_model_infos", **where)["model_infos"] == []
    client.fails("delete_automl_model", 404, **where, model_name="m1")
    client.fails("get_model_validation_metric", 404, **where, model_name="m1")


def test_single_class_training_fails_with_reason(client, project):
    where = {"project_name": project, "collection_name": "one"}
    client.ok("init", **where, vector_dim=2)
    client.finished(client.ok("add_data_batch", **where, data=[[1, 2]] * 20,
                              attributes=[{"label": "x"}] * 20)["job_id"])
    job = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                    task_type="classification", label_attribute="label")["job_id"]
    status = client.wait(job, "get_automl_training_status")
    assert status["status"] == "failed" and "class" in status["error"]
    assert status["model_name"] == "m"
    assert "failed" in client.fails("get_model_validation_metric", 409, **where, model_name="m")
    # a failed model's name can be used again
    client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
              task_type="classification", label_attribute="label")


def test_regression_with_validation_dataset_and_unlabelled_rows(client, project):
    rng = np.random.default_rng(0)
    for name, n in (("r_train", 300), ("r_valid", 80)):
        x = rng.normal(size=(n, 5))
        y = 3 * x[:, 0] - 2 * x[:, 1] + rng.normal(scale=0.1, size=n)
        attributes = [{"price": float(v)} for v in y]
        attributes[0] = {}  # an unlabelled row is left out of training
        client.ok("init", project_name=project, collection_name=name, vector_dim=5)
        client.finished(client.ok("add_data_batch", project_name=project, collection_name=name,
                                  data=x.tolist(), attributes=attributes)["job_id"])
    where = {"project_name": project, "collection_name": "r_train"}
    in_sample = client.fails("train_automl_model", 400, **where, model_name="reg",
                             training_mode="high_speed", task_type="regression",
                             label_attribute="price", validation_dataset="r_train")
    assert "is the training dataset" in in_sample
    job = client.ok("train_automl_model", **where, model_name="reg", training_mode="high_speed",
                    task_type="regression", label_attribute="price",
                    validation_dataset="r_valid")["job_id"]
    status = client.finished(job, "get_automl_training_status")
    assert isinstance(status["validation_metric"], float)
    assert status["num_training_samples"] == 299
    result = client.ok("automl_predict", **where, model_name="reg", prediction_dataset="r_valid")
    assert isinstance(result["prediction_metric"], float) and result["prediction_metric"] < 2.0
    assert result["num_samples"] == 79 and len(result["predictions"]) == 80
    assert "regression" in client.ok("list_automl_model_infos", **where)["model_infos"][0]


def test_sparse_libsvm_train_and_inline_predictions(client, project):
    rng = np.random.default_rng(5)
    lines = []
    for _ in range(300):
        idx = sorted(rng.choice(50, size=5, replace=False))
        vals = rng.normal(size=5)
        label = int(sum(v for i, v in zip(idx, vals, strict=True) if i < 10) > 0)
        lines.append(f"{label} " + " ".join(f"{i + 1}:{v:.4f}" for i, v in zip(idx, vals,
                                                                             strict=True)))
    raw = "\n".join(lines).encode()
    where = {"project_name": project, "collection_name": "svm"}
    client.finished(client.ok("upload", **where, file_format="libsvm",
                              file_data=base64.b64encode(raw).decode())["job_id"])
    assert client.ok("get_collection_info", **where)["vector_type"] == "sparse"
    job = client.ok("train_automl_model", **where, model_name="s", training_mode="high_speed",
                    task_type="classification", label_attribute="label")["job_id"]
    client.finished(job, "get_automl_training_status")
    # an inline libsvm file whose highest index is below the training width still predicts
    short = "\n".join(["1 1:0.5 3:1.0", "0 2:-1.0"]).encode()
    result = client.ok("automl_predict", **where, model_name="s", file_format="libsvm",
                       file_data=base64.b64encode(short).decode())
    assert len(result["predictions"]) == 2 and result["num_samples"] == 2
    result = client.ok("automl_predict", **where, model_name="s", file_format="libsvm",
                       file_data=base64.b64encode(raw).decode())
    assert result["prediction_metric"]["accuracy"] > 0.6


def test_inline_json_records_and_gzip(client, trained):
    import gzip
    import json

    where, _ = trained
    x, attributes, _ = make_rows(20, 9)
    records = [{**{f"f{j}": float(v) for j, v in enumerate(row)}, **a}
               for row, a in zip(x, attributes, strict=True)]
    raw = gzip.compress(json.dumps(records).encode())
    result = client.ok("automl_predict", **where, model_name="m1", file_format="json",
                       compression_type="gzip", file_data=base64.b64encode(raw).decode())
    assert result["num_samples"] == 20 and len(result["predictions"]) == 20


def test_label_from_a_plain_csv_column(client, project):
    """A CSV uploaded without naming its label: the numeric label column is a vector column,
    and training on label_attribute takes it out of the features."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(300, 3))
    y = (x[:, 0] + x[:, 1] > 0).astype(int)
    lines = ["a,b,c,target"] + [f"{r[0]:.4f},{r[1]:.4f},{r[2]:.4f},{t}" for r, t in zip(
        x, y, strict=True)]
    data = base64.b64encode("\n".join(lines).encode()).decode()
    where = {"project_name": project, "collection_name": "plain"}
    client.finished(client.ok("upload", **where, file_data=data, file_format="csv",
                              has_field_names=True)["job_id"])
    job = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                    task_type="classification", label_attribute="target")["job_id"]
    client.finished(job, "get_automl_training_status")
    names = {f["feature"] for f in client.ok("get_feature_importance", **where,
                                             model_name="m")["feature_importance"]}
    assert names <= {"a", "b", "c"} and "target" not in names
    result = client.ok("automl_predict", **where, model_name="m", file_data=data,
                       file_format="csv", has_field_names=True)
    assert result["num_samples"] == 300 and result["prediction_metric"]["accuracy"] > 0.85


def test_model_infos_as_objects(tmp_path):
    """AUTOML_MODEL_INFOS_FORMAT=objects: the same five values, keyed, as the live service
    answers them."""
    from fastapi.testclient import TestClient

    from app.main import create_app
    from tests.conftest import Client, make_settings

    settings = make_settings(tmp_path / "data", model_infos_format="objects")
    with TestClient(create_app(settings)) as http:
        client = Client(http)
        client.ok("create_project", project_name="P")
        where = {"project_name": "P", "collection_name": "train"}
        client.ok("init", **where, vector_dim=8)
        x, attributes, _ = make_rows(200, 1)
        client.finished(client.ok("add_data_batch", **where, data=x.tolist(),
                                  attributes=attributes)["job_id"])
        client.finished(client.ok("train_automl_model", **where, model_name="m1",
                                  training_mode="high_speed", task_type="classification",
                                  label_attribute="label", time_budget=2)["job_id"],
                        "get_automl_training_status")
        (info,) = client.ok("list_automl_model_infos", **where)["model_infos"]
    assert list(info) == ["model_name", "task_type", "training_mode", "label_attribute",
                          "create_time"]
    assert info["model_name"] == "m1" and info["label_attribute"] == "label"

"""explain: true on automl_predict and importance_type permutation through the API."""

import base64

import numpy as np
import pytest
from scipy.special import expit

from app.automl.explain import MAX_EXPLAIN_ROWS
from tests.api.test_automl import make_rows


@pytest.fixture
def trained(client, project):
    """A classification model on 400 rows, a 100-row held-out dataset, and a regression
    model on three classes' worth of rows (multiclass too)."""
    where = {"project_name": project, "collection_name": "train"}
    for name, n, seed in (("train", 400, 1), ("held", 100, 2)):
        client.ok("init", project_name=project, collection_name=name, vector_dim=8)
        x, attributes, score = make_rows(n, seed)
        for row, s in zip(attributes, score, strict=True):
            row["value"] = float(s)
            row["band"] = str(int(np.digitize(s, [-1.0, 1.0])))
        client.finished(client.ok("add_data_batch", project_name=project, collection_name=name,
                                  data=x.tolist(), attributes=attributes,
                                  string_ids=[f"{name}{i}" for i in range(n)])["job_id"])
    for model, task, label in (("bin", "classification", "label"),
                               ("multi", "classification", "band"),
                               ("reg", "regression", "value")):
        job = client.ok("train_automl_model", **where, model_name=model,
                        training_mode="high_speed", task_type=task, label_attribute=label,
                        categorical_features=["category"])["job_id"]
        client.finished(job, "get_automl_training_status")
    return where


def test_explanations_add_up_to_the_raw_score(client, trained):
    where = trained
    plain = client.ok("automl_predict", **where, model_name="bin", prediction_dataset="held",
                      return_probabilities=True)
    assert "explanations" not in plain
    answer = client.ok("automl_predict", **where, model_name="bin", prediction_dataset="held",
                       return_probabilities=True, explain=True)
    e = answer["explanations"]
    assert e["raw_score"] == "log_odds" and e["positive_class"] == answer["classes"][1]
    assert "category" in e["features"] and "f0" in e["features"]
    contributions = np.array(e["contributions"])
    assert contributions.shape == (100, len(e["features"]))
    raw = e["base_value"] + contributions.sum(axis=1)
    assert answer["predictions"] == plain["predictions"]
    # The raw score of a blend is its members' weighted log-odds, not the logit of the
    # blended probability, but the two agree closely.
    probabilities = np.array(answer["probabilities"])[:, 1]
    assert np.corrcoef(expit(raw), probabilities)[0, 1] > 0.95

    reg = client.ok("automl_predict", **where, model_name="reg", prediction_dataset="held",
                    explain=True)
    e = reg["explanations"]
    assert e["raw_score"] == "value" and "positive_class" not in e
    raw = e["base_value"] + np.array(e["contributions"]).sum(axis=1)
    np.testing.assert_allclose(raw, reg["predictions"], rtol=1e-9, atol=1e-9)

    multi = client.ok("automl_predict", **where, model_name="multi", prediction_dataset="held",
                      explain=True)
    e = multi["explanations"]
    assert e["raw_score"] == "margin" and "contributions" not in e
    assert [c["label"] for c in e["classes"]] == [0, 1, 2]
    assert all(np.array(c["contributions"]).shape == (100, len(e["features"]))
               for c in e["classes"])


def test_permutation_importance_on_held_out_rows(client, trained):
    where = trained
    answer = client.ok("get_feature_importance", **where, model_name="bin",
                       importance_type="permutation", validation_dataset="held")
    assert answer["importance_type"] == "permutation" and answer["metric"] == "auc"
    assert answer["num_rows"] == 100 and answer["n_repeats"] == 5
    top = answer["feature_importance"][0]
    assert top["feature"] in ("f0", "f1", "f2", "category") and top["std"] >= 0
    gain = client.ok("get_feature_importance", **where, model_name="bin",
                     importance_type="gain")
    assert "importance_type" not in gain and "std" not in gain["feature_importance"][0]
    assert "validation_dataset" in client.fails(
        "get_feature_importance", 400, **where, model_name="bin", importance_type="permutation")
    assert "trained on" in client.fails(
        "get_feature_importance", 400, **where, model_name="bin", importance_type="permutation",
        validation_dataset="train")
    assert "importance_type" in client.fails(
        "get_feature_importance", 400, **where, model_name="bin", importance_type="shap")
    assert "nowhere" in client.fails(
        "get_feature_importance", 404, **where, model_name="multi",
        importance_type="permutation", validation_dataset="nowhere")


def test_too_many_rows_to_explain_is_a_400_that_says_to_split(client, trained):
    x, attributes, _ = make_rows(MAX_EXPLAIN_ROWS + 1, 4)
    lines = [",".join(f"f{j}" for j in range(8)) + ",category"] + [
        ",".join(f"{v:.4f}" for v in row) + f",{a['category']}"
        for row, a in zip(x, attributes, strict=True)]
    data = base64.b64encode("\n".join(lines).encode()).decode()
    message = client.fails("automl_predict", 400, **trained, model_name="bin", file_data=data,
                           file_format="csv", has_field_names=True, explain=True)
    assert f"at most {MAX_EXPLAIN_ROWS} rows" in message and "Split" in message
    answer = client.ok("automl_predict", **trained, model_name="bin", file_data=data,
                       file_format="csv", has_field_names=True)
    assert len(answer["predictions"]) == MAX_EXPLAIN_ROWS + 1

"""The flow of a real third-party VecML client (spec section 8): features uploaded with
upload_automl_X, labels attached with attach_automl_label (polled through
get_automl_training_status), training with train_categorical_features, then the whole CSV
(ids, label and all) sent back to automl_predict. Run on a real dataset (credit-g)."""

import base64
import csv
import gzip
import io

import pytest

from tests.conftest import SHARED

DATA = SHARED / "data" / "credit_g.csv.gz"


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def to_csv(header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


@pytest.mark.skipif(not DATA.exists(), reason="shared data not present")
def test_third_party_client_flow_on_credit_g(client):
    with gzip.open(DATA, "rt") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    target = header.index("target")
    categorical = [name for j, name in enumerate(header) if j != target
                   and any(not _numeric(r[j]) for r in body)]
    features = [name for j, name in enumerate(header) if j != target]
    train, test = body[:800], body[800:]

    client.ok("create_project", project_name="openclaw_automl", application="autoML")
    where = {"project_name": "openclaw_automl", "collection_name": "credit"}
    x_csv = to_csv(features, [[r[header.index(c)] for c in features] for r in train])
    client.ok("upload_automl_X", **where, X=b64(x_csv), file_format="csv",
              has_field_names=True, vector_type="dense", categorical_features=categorical)
    y_csv = to_csv(["target"], [[r[target]] for r in train])
    job = client.ok("attach_automl_label", **where, file_data=b64(y_csv), file_format="csv",
                    has_field_names=True, attribute_name="target")["job_id"]
    client.finished(job, "get_automl_training_status")

    job = client.ok("train_automl_model", **where, model_name="v1", training_mode="high_speed",
                    task_type="classification", label_attribute="target",
                    train_categorical_features=categorical)["job_id"]
    status = client.finished(job, "get_automl_training_status")
    assert 0.6 < status["validation_metric"]["auc"] < 0.95

    importance = client.ok("get_feature_importance", **where, model_name="v1")
    names = [f["feature"] for f in importance["feature_importance"]]
    assert set(names) <= set(features) and "checking_status" in names

    whole = to_csv(["id", *header], [[f"row{i}", *r] for i, r in enumerate(test)])
    result = client.ok("automl_predict", **where, model_name="v1", file_data=b64(whole),
                       file_format="csv", has_field_names=True)
    assert result["num_samples"] == 200 and len(result["predictions"]) == 200
    assert set(result["predictions"]) <= {"good", "bad"}
    assert result["prediction_metric"]["accuracy"] > 0.65
    assert result["prediction_metric"]["auc"] > 0.65


def _numeric(value: str) -> bool:
    if value == "":
        return True
    try:
        float(value)
        return True
    except ValueError:
        return False

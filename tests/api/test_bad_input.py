"""Bad input never gives a 500: every field of every endpoint, replaced by values of the wrong
type or shape, gets a 4xx (or is accepted) and the envelope."""

import pytest

BAD_VALUES = [None, 123, -1, 1.5, "", "x" * 300, True, [], [1, "a"], {}, {"a": [1]}]


@pytest.fixture(params=["embedded"])
def mode(request):
    return request.param


@pytest.fixture
def world(client, project):
    where = {"project_name": project, "collection_name": "c"}
    client.ok("init", **where, vector_dim=2)
    client.finished(client.ok("add_data_batch", **where, data=[[1, 2], [2, 1]] * 10,
                              attributes=[{"label": "a"}, {"label": "b"}] * 10)["job_id"])
    job = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                    task_type="classification", label_attribute="label")["job_id"]
    client.finished(job, "get_automl_training_status")
    return where, job


def baselines(where: dict, job: str) -> dict[str, dict]:
    model = {**where, "model_name": "m"}
    return {
        "create_project": {"project_name": "new", "application": "x"},
        "delete_project": {"project_name": "nope"},
        "get_project_list": {},
        "init": {**where, "collection_name": "d", "vector_type": "dense", "vector_dim": 3},
        "delete_collection": {**where, "collection_name": "nope"},
        "get_collection_list": {"project_name": where["project_name"]},
        "get_collection_info": where,
        "add_data": {**where, "data": [1, 2], "string_id": "z", "attributes": {"a": 1}},
        "add_data_batch": {**where, "data": [[1, 2]], "string_ids": ["y"],
                           "attributes": [{"a": 1}]},
        "upload": {**where, "file_data": "eDEseDIKMSwyCg==", "file_format": "csv",
                   "has_field_names": True},
        "upload_automl_X": {**where, "X": "eDEseDIKMSwyCg==", "file_format": "csv"},
        "attach_automl_label": {**where, "file_data": "eQphCg==", "attribute_name": "y"},
        "delete_data": {**where, "string_ids": ["nope"]},
        "get_upload_data_status": {"job_id": job},
        "get_automl_training_status": {"job_id": job},
        "cancel_job": {"job_id": job},
        "train_automl_model": {**model, "training_mode": "high_speed",
                               "task_type": "classification", "label_attribute": "label"},
        "automl_predict": {**model, "prediction_dataset": "c"},
        "get_model_validation_metric": model,
        "get_feature_importance": model,
        "list_automl_model_infos": where,
        "delete_automl_model": {**model, "model_name": "nope"},
    }


def test_wrong_values_never_give_a_500(client, world):
    where, job = world
    for endpoint, body in baselines(where, job).items():
        for field in list(body) + ["user_api_key"]:
            for value in BAD_VALUES:
                response = client.post(endpoint, **{**body, field: value})
                assert response.status_code < 500, (endpoint, field, value, response.text)
                payload = response.json()
                assert "success" in payload, (endpoint, field, value, payload)
                if not payload["success"]:
                    assert payload["error_message"], (endpoint, field, value)
    # the bad requests changed nothing that was stored
    assert client.ok("get_collection_info", **where)["num_vectors"] >= 20
    assert client.ok("get_model_validation_metric", **where, model_name="m")["validation_metric"]

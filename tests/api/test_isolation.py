"""One user never sees, changes or learns of another's things."""

from tests.conftest import BOB


def test_two_keys_cannot_see_each_other(client, project):
    bob = client.as_key(BOB)
    where = {"project_name": project, "collection_name": "c"}
    client.ok("init", **where, vector_dim=2)
    job = client.ok("add_data_batch", **where, data=[[1, 2]] * 30,
                    attributes=[{"label": str(i % 2)} for i in range(30)])["job_id"]
    client.finished(job)
    train = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                      task_type="classification", label_attribute="label")["job_id"]
    client.wait(train, "get_automl_training_status")

    assert bob.ok("get_project_list")["project_list"] == []
    for endpoint, extra in [
        ("get_collection_list", {}), ("delete_project", {}),
        ("get_collection_info", {"collection_name": "c"}),
        ("add_data_batch", {"collection_name": "c", "data": [[1, 2]]}),
        ("delete_data", {"collection_name": "c", "string_ids": ["0"]}),
        ("delete_collection", {"collection_name": "c"}),
        ("list_automl_model_infos", {"collection_name": "c"}),
        ("get_model_validation_metric", {"collection_name": "c", "model_name": "m"}),
        ("download_automl_model", {"collection_name": "c", "model_name": "m"}),
        ("delete_automl_model", {"collection_name": "c", "model_name": "m"}),
        ("automl_predict", {"collection_name": "c", "model_name": "m",
                            "prediction_dataset": "c"}),
    ]:
        message = bob.fails(endpoint, 404, project_name=project, **extra)
        assert "Project does not exist" in message
    # a guessed (here: known) job id is answered as if it did not exist
    for endpoint in ("get_upload_data_status", "get_automl_training_status"):
        assert "Job does not exist" in bob.fails(endpoint, 404, job_id=job)
    # bob's project of the same name is his own
    bob.ok("create_project", project_name=project)
    assert bob.ok("get_collection_list", project_name=project)["collection_list"] == []
    assert client.ok("get_collection_info", **where)["num_vectors"] == 30

def test_init_list_info_delete(client, project):
    client.ok("init", project_name=project, collection_name="dense", vector_type="dense",
              vector_dim=4)
    client.ok("init", project_name=project, collection_name="sparse", vector_type="sparse")
    listed = client.ok("get_collection_list", project_name=project)["collection_list"]
    assert listed == ["dense", "sparse"]
    info = client.ok("get_collection_info", project_name=project, collection_name="dense")
    assert (info["vector_type"], info["vector_dim"], info["num_vectors"]) == ("dense", 4, 0)
    client.ok("delete_collection", project_name=project, collection_name="dense")
    assert client.ok("get_collection_list", project_name=project)["collection_list"] == ["sparse"]


def test_init_errors(client, project):
    client.ok("init", project_name=project, collection_name="c", vector_dim=4)
    assert "exist" in client.fails("init", 409, project_name=project, collection_name="c",
                                   vector_dim=4)
    assert "vector_dim" in client.fails("init", 400, project_name=project, collection_name="d")
    assert "vector_dim" in client.fails("init", 400, project_name=project, collection_name="d",
                                        vector_dim=0)
    assert "vector_type" in client.fails("init", 400, project_name=project,
                                         collection_name="d", vector_type="dense3", vector_dim=2)
    assert "Collection does not exist" in client.fails(
        "get_collection_info", 404, project_name=project, collection_name="zz")
    assert "Collection does not exist" in client.fails(
        "delete_collection", 404, project_name=project, collection_name="zz")


def test_every_dataset_endpoint_names_a_missing_collection(client, project):
    calls = {
        "get_collection_info": {}, "delete_collection": {},
        "add_data": {"data": [1]}, "add_data_batch": {"data": [[1]]},
        "upload": {"file_data": "MQ==", "file_format": "binary", "vector_dim": 1},
        "attach_automl_label": {"file_data": "eAoxCg==", "attribute_name": "x"},
        "delete_data": {"string_ids": ["a"]},
        "train_automl_model": {"model_name": "m", "task_type": "regression",
                               "label_attribute": "y"},
        "automl_predict": {"model_name": "m", "prediction_dataset": "x"},
        "get_model_validation_metric": {"model_name": "m"},
        "get_feature_importance": {"model_name": "m"},
        "list_automl_model_infos": {}, "delete_automl_model": {"model_name": "m"},
    }
    for endpoint, extra in calls.items():
        if endpoint == "upload":
            continue  # upload creates a missing collection
        message = client.fails(endpoint, 404, project_name=project, collection_name="ghost",
                               **extra)
        assert "Collection does not exist" in message, (endpoint, message)
    for endpoint, extra in calls.items():
        message = client.fails(endpoint, 404, project_name="ghost", collection_name="c", **extra)
        assert "Project does not exist" in message, (endpoint, message)

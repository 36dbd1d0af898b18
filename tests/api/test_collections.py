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

def test_create_list_delete(client):
    client.ok("create_project", project_name="A-1", application="Machine Learning")
    client.ok("create_project", project_name="B 2")
    assert client.ok("get_project_list")["project_list"] == ["A-1", "B 2"]
    client.ok("delete_project", project_name="A-1")
    assert client.ok("get_project_list")["project_list"] == ["B 2"]


def test_duplicate_project_is_a_conflict(client, project):
    message = client.fails("create_project", 409, project_name=project)
    assert "exist" in message


def test_missing_project(client):
    assert "Project does not exist" in client.fails("delete_project", 404, project_name="nope")
    assert "Project does not exist" in client.fails(
        "init", 404, project_name="nope", collection_name="c", vector_dim=3)


def test_bad_names_and_fields(client):
    assert "project_name" in client.fails("create_project", 400, project_name="a/b")
    assert "project_name" in client.fails("create_project", 400, project_name="x" * 129)
    assert "missing field 'project_name'" in client.fails("create_project", 400)
    assert "project_name" in client.fails("create_project", 400, project_name=5)
    for bad in ("qq\n", "qq ", " qq", "q\tq", "q\x00q", ""):
        assert "project_name" in client.fails("create_project", 400, project_name=bad)
    client.ok("create_project", project_name="q q")


def test_delete_project_removes_everything(client, project):
    client.ok("init", project_name=project, collection_name="c", vector_dim=2)
    job = client.ok("add_data_batch", project_name=project, collection_name="c",
                    data=[[1, 2]], string_ids=["a"])["job_id"]
    client.finished(job)
    client.ok("delete_project", project_name=project)
    assert client.ok("get_upload_data_status", job_id=job)["status"] == "finished"
    client.ok("create_project", project_name=project)
    assert client.ok("get_collection_list", project_name=project)["collection_list"] == []

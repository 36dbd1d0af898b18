"""add_data, add_data_batch, delete_data: async jobs with clear errors that store nothing."""

import pytest


@pytest.fixture
def dense(client, project):
    client.ok("init", project_name=project, collection_name="d", vector_type="dense", vector_dim=3)
    return {"project_name": project, "collection_name": "d"}


def info(client, where) -> dict:
    return client.ok("get_collection_info", **where)


def test_add_data_batch_then_status(client, dense):
    job = client.ok("add_data_batch", **dense, string_ids=["a", "b"],
                    data=[[1, 2, 3], [4, None, 6]],
                    attributes=[{"label": "1", "color": "red"}, {"label": "0"}])["job_id"]
    status = client.finished(job)
    assert status["num_inserted"] == 2
    assert len(status["start_time"]) == 19 and status["duration"].count(":") == 2
    described = info(client, dense)
    assert described["num_vectors"] == 2
    assert described["attribute_names"] == ["label", "color"]


def test_add_data_single_and_auto_ids(client, dense):
    client.finished(client.ok("add_data", **dense, data=[1, 2, 3],
                              attributes={"label": 1})["job_id"])
    client.finished(client.ok("add_data", **dense, string_id="x", data=[0, 0, 1])["job_id"])
    client.finished(client.ok("add_data_batch", **dense, data=[[1, 1, 1], [2, 2, 2]])["job_id"])
    assert info(client, dense)["num_vectors"] == 4


def test_bad_batches_are_refused_at_once(client, dense):
    assert "data[1]" in client.fails("add_data_batch", 400, **dense, data=[[1, 2, 3], [1, 2]])
    assert "string_ids" in client.fails("add_data_batch", 400, **dense, data=[[1, 2, 3]],
                                        string_ids=["a", "b"])
    assert "attributes" in client.fails("add_data_batch", 400, **dense, data=[[1, 2, 3]],
                                        attributes=["x"])
    client.fails("add_data_batch", 400, **dense, data=[[1, "x", 3]])
    client.fails("add_data_batch", 400, **dense, data=[])
    client.fails("add_data_batch", 400, **dense)
    assert info(client, dense)["num_vectors"] == 0


def test_duplicate_ids_fail_the_job_and_keep_what_was_stored(client, dense):
    client.finished(client.ok("add_data_batch", **dense, string_ids=["a", "b"],
                              data=[[1, 2, 3], [4, 5, 6]])["job_id"])
    status = client.wait(client.ok("add_data_batch", **dense, string_ids=["c", "a"],
                                   data=[[1, 2, 3], [4, 5, 6]])["job_id"])
    assert status["status"] == "failed" and "'a'" in status["error"]
    assert client.wait(client.ok("add_data_batch", **dense, string_ids=["z", "z"],
                                 data=[[1, 2, 3], [4, 5, 6]])["job_id"])["status"] == "failed"
    assert info(client, dense)["num_vectors"] == 2


def test_delete_data_then_reinsert(client, dense):
    client.finished(client.ok("add_data_batch", **dense, string_ids=["a", "b", "c"],
                              data=[[1, 2, 3], [4, 5, 6], [7, 8, 9]])["job_id"])
    status = client.finished(client.ok("delete_data", **dense,
                                       string_ids=["a", "c", "nope"])["job_id"])
    assert status["num_deleted"] == 2
    assert info(client, dense)["num_vectors"] == 1
    client.finished(client.ok("add_data_batch", **dense, string_ids=["a"],
                              data=[[0, 0, 0]])["job_id"])
    assert info(client, dense)["num_vectors"] == 2
    assert "string_ids" in client.fails("delete_data", 400, **dense, string_ids=[])


def test_sparse_vectors(client, project):
    where = {"project_name": project, "collection_name": "s"}
    client.ok("init", **where, vector_type="sparse")
    job = client.ok("add_data_batch", **where, data=[{"0": 1.5, "7": 2}, [[3, 1.0]], "2:1 9:4"],
                    string_ids=["a", "b", "c"])["job_id"]
    client.finished(job)
    described = info(client, where)
    assert described["num_vectors"] == 3 and described["vector_dim"] == 10


def test_unknown_job_and_bad_job_id(client):
    assert "Job does not exist" in client.fails("get_upload_data_status", 404, job_id="nope")
    assert "Job does not exist" in client.fails("get_upload_data_status", 404, job_id=12)


def test_add_data_single_sparse_vector(client, project):
    where = {"project_name": project, "collection_name": "s1"}
    client.ok("init", **where, vector_type="sparse", vector_dim=100)
    client.finished(client.ok("add_data", **where, data={"5": 1.0, "99": 2.0})["job_id"])
    client.finished(client.ok("add_data", **where, data="1:0.5")["job_id"])
    assert "vector_dim" in client.fails("add_data", 400, **where, data={"100": 1.0})
    assert client.ok("get_collection_info", **where)["num_vectors"] == 2

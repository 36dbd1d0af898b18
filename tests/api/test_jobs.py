"""Job status and the cancellation extension."""

import time

import numpy as np


def _dataset(client, project, n=3000, dim=30):
    where = {"project_name": project, "collection_name": "big"}
    client.ok("init", **where, vector_dim=dim)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, dim))
    labels = [{"label": str(int(v > 0))} for v in x[:, :4].sum(axis=1)]
    client.finished(client.ok("add_data_batch", **where, data=x.tolist(),
                              attributes=labels)["job_id"])
    return where


def _train(client, where, name):
    return client.ok("train_automl_model", **where, model_name=name,
                     training_mode="high_accuracy", task_type="classification",
                     label_attribute="label", time_budget=120)["job_id"]


def test_cancel_running_training(client, project):
    where = _dataset(client, project)
    job = _train(client, where, "slow")
    deadline = time.monotonic() + 60
    while client.ok("get_automl_training_status", job_id=job)["status"] == "pending":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    cancelled = client.ok("cancel_job", job_id=job)
    assert cancelled["status"] == "failed"
    status = client.ok("get_automl_training_status", job_id=job)
    assert status["status"] == "failed" and status["error"] == "cancelled by the user"
    assert "failed" in client.fails("get_model_validation_metric", 409, **where,
                                    model_name="slow")
    assert "already" in client.fails("cancel_job", 409, job_id=job)
    # the name is free again, and a finished job cannot be cancelled
    client.ok("delete_automl_model", **where, model_name="slow")
    assert client.ok("list_automl_model_infos", **where)["model_infos"] == []


def test_cancel_finished_or_foreign_job(client, project):
    where = {"project_name": project, "collection_name": "c"}
    client.ok("init", **where, vector_dim=2)
    job = client.ok("add_data_batch", **where, data=[[1, 2]])["job_id"]
    client.finished(job)
    assert "already" in client.fails("cancel_job", 409, job_id=job)
    assert "Job does not exist" in client.as_key("key-bob").fails("cancel_job", 404, job_id=job)


def test_list_jobs_newest_first_filtered_and_paged(client, project):
    ids = {}
    for name in ("a", "b"):
        where = {"project_name": project, "collection_name": name}
        client.ok("init", **where, vector_dim=2)
        ids[name] = client.ok("add_data_batch", **where, data=[[1, 2], [3, 4]],
                              attributes=[{"y": "0"}, {"y": "1"}])["job_id"]
        client.finished(ids[name])
    deleted = client.ok("delete_data", project_name=project, collection_name="a",
                        string_ids=["0"])["job_id"]
    client.finished(deleted)

    listed = client.ok("list_jobs")
    assert [j["job_id"] for j in listed["jobs"]] == [deleted, ids["b"], ids["a"]]
    assert listed["total"] == 3 and listed["jobs"][0]["status"] == "finished"
    assert listed["jobs"][0]["job_type"] == "delete_data"
    assert (listed["jobs"][0]["project_name"], listed["jobs"][0]["collection_name"]) == (
        project, "a")
    only_a = client.ok("list_jobs", project_name=project, collection_name="a")
    assert [j["job_id"] for j in only_a["jobs"]] == [deleted, ids["a"]]
    page = client.ok("list_jobs", limit=1, offset=1)
    assert [j["job_id"] for j in page["jobs"]] == [ids["b"]] and page["total"] == 3
    assert client.ok("list_jobs", kind="train")["jobs"] == []
    assert client.ok("list_jobs", status="pending", project_name=project)["total"] == 0
    assert client.as_key("key-bob").ok("list_jobs") == {"success": True, "total": 0, "jobs": []}

    assert "does not exist" in client.fails("list_jobs", 404, project_name="nope")
    assert "project_name" in client.fails("list_jobs", 404, collection_name="a")
    client.fails("list_jobs", 400, limit=0)
    assert "offset" in client.fails("list_jobs", 400, offset=2**63)  # was a 500: overflow
    assert client.ok("list_jobs", offset=2**53)["jobs"] == []
    client.fails("list_jobs", 400, kind="everything")

"""A job's input lives apart from its status row and is deleted when the job ends, whichever
way it ends."""

from fastapi.testclient import TestClient
from sqlalchemy import func, inspect, select

from app.db.models import Job, JobInput
from app.db.session import Database
from app.jobs.inputs import read_inputs
from app.jobs.state import cancel, new_job
from app.main import create_app
from tests.conftest import Client, make_settings

WHERE = {"project_name": "P", "collection_name": "c"}


def test_the_status_row_holds_no_input():
    assert "payload" not in {c.key for c in inspect(Job).columns}


def test_inputs_are_deleted_when_jobs_finish_or_fail(tmp_path):
    settings = make_settings(tmp_path / "data")
    with TestClient(create_app(settings)) as http:
        client = Client(http)
        client.ok("create_project", project_name="P")
        client.ok("init", **WHERE, vector_dim=2)
        done = client.ok("add_data_batch", **WHERE, data=[[1, 2]], string_ids=["a"])["job_id"]
        client.finished(done)
        failed = client.ok("add_data_batch", **WHERE, data=[[1, 2]], string_ids=["a"])["job_id"]
        assert client.wait(failed)["status"] == "failed"  # "a" exists already
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(JobInput)) == 0
            job = new_job(session, session.get(Job, done).user_id, kind="data",
                          action="delete_data", meta={"ids": ["a"]}, project_id=None,
                          collection_id=None)
            assert read_inputs(session, job.id) == ({"ids": ["a"]}, {})
            cancel(session, job)
            assert read_inputs(session, job.id) == ({}, {})
    finally:
        db.dispose()

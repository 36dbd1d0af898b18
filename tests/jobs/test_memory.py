"""A finished data job hands its freed memory back (app/jobs/memory.py)."""

import threading

from fastapi.testclient import TestClient

from app.jobs import execute
from app.jobs.memory import release_free_memory
from app.main import create_app
from tests.conftest import Client, make_settings


def test_release_runs_here():
    release_free_memory()  # glibc or not, pyarrow loaded or not: never raises


def test_each_applied_data_job_releases_memory(tmp_path, monkeypatch):
    released = threading.Event()
    monkeypatch.setattr(execute, "release_free_memory", released.set)
    with TestClient(create_app(make_settings(tmp_path / "data"))) as http:
        client = Client(http)
        client.ok("create_project", project_name="P")
        client.ok("init", project_name="P", collection_name="c", vector_dim=2)
        client.finished(client.ok("add_data_batch", project_name="P", collection_name="c",
                                  data=[[1, 2]])["job_id"])
        assert released.wait(timeout=30)  # called after the job's final commit

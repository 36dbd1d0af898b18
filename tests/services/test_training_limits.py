"""The training job's limits travel in its input (`meta["limits"]`) and are checked before
anything is fitted: past one, the job fails at once saying what to change."""

from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.automl import Limits
from app.config import TRAIN_MEMORY_FRACTION, machine_memory_bytes
from app.db.models import Job, Model, User
from app.db.session import Database
from app.jobs import training_job as training
from app.jobs.execute import run_job
from app.main import create_app
from app.services.automl import start_training
from tests.conftest import Client, make_settings

MB = 2**20


@pytest.fixture(autouse=True)
def _no_oom_score(monkeypatch):
    """The jobs run in this test process: leave its OOM score alone."""
    monkeypatch.setattr(training, "volunteer_for_the_oom_killer", lambda: None)


def test_limits_come_from_the_job():
    given = training.training_limits(
        {"limits": {"train_memory_limit": 123 * MB, "max_classes": 7}})
    assert given == Limits(123 * MB, 7, "AUTOML_TRAIN_MEMORY_LIMIT", "AUTOML_MAX_CLASSES")
    default = training.training_limits({})  # a job queued before limits travelled with jobs
    assert default.memory_bytes == int(TRAIN_MEMORY_FRACTION * machine_memory_bytes())
    assert default.max_classes == 1000


def _run_training(tmp_path, labels: list, limits: dict | None) -> tuple[Job, Model]:
    """Store 60 rows with these labels, create a training job carrying `limits`, and run it
    here (no runner: the app is closed by then)."""
    settings = make_settings(tmp_path / "data")
    where = {"project_name": "P", "collection_name": "c"}
    with TestClient(create_app(settings)) as http:
        client = Client(http)
        client.ok("create_project", project_name="P")
        client.ok("init", **where, vector_dim=3)
        rows = [[i % 7, (i * 3) % 11, i % 2] for i in range(len(labels))]
        client.finished(client.ok("add_data_batch", **where, data=rows,
                                  attributes=[{"label": v} for v in labels])["job_id"])
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as session:
            user = session.scalar(select(User).where(User.name == "alice"))
            body = SimpleNamespace(
                **where, model_name="m", training_mode="balanced", task_type="classification",
                label_attribute="label", categorical_features=None,
                train_categorical_features=None, validation_dataset=None, time_budget=3,
                seed=None)
            job_id = start_training(session, user, body, limits=limits).id
        run_job(db, job_id)
        with db.session() as session:
            job = session.get(Job, job_id)
            model = session.scalar(select(Model).where(Model.job_id == job_id))
            session.expunge_all()
        return job, model
    finally:
        db.dispose()


def test_over_the_memory_limit_the_job_fails_at_once(tmp_path):
    job, model = _run_training(tmp_path, [str(i % 2) for i in range(60)],
                               {"train_memory_limit": 50 * MB, "max_classes": 1000})
    assert job.status == "failed" and model.status == "failed"
    assert job.error.startswith("this training needs about ")
    assert "(60 rows x 3 columns, 2 classes, mode balanced;" in job.error
    assert "the limit is 50 MB (AUTOML_TRAIN_MEMORY_LIMIT). Use fewer rows or columns" in job.error
    assert job.progress < 0.05  # refused while preparing the data, before any fit


def test_too_many_classes_fail_the_job(tmp_path):
    job, _ = _run_training(tmp_path, [str(i % 10) for i in range(60)],
                           {"train_memory_limit": 8 * 2**30, "max_classes": 4})
    assert job.status == "failed"
    assert job.error == ("the label has 10 distinct values; at most 4 classes "
                         "(AUTOML_MAX_CLASSES); is it a regression target?")


def test_within_the_limits_it_trains(tmp_path):
    for limits in ({"train_memory_limit": 8 * 2**30, "max_classes": 10}, None):
        job, model = _run_training(tmp_path / str(limits is None),
                                   [str(i % 3) for i in range(60)], limits)
        assert job.status == "finished" and model.status == "ready", job.error


def test_the_servers_settings_reach_the_training(tmp_path):
    """Through the API (embedded mode): Settings(train_memory_limit=...) refuses a training,
    max_classes another; the trainings run in the runner's process."""
    settings = make_settings(tmp_path / "data", train_memory_limit=50 * MB, max_classes=3)
    where = {"project_name": "P", "collection_name": "c"}
    with TestClient(create_app(settings)) as http:
        client = Client(http)
        client.ok("create_project", project_name="P")
        client.ok("init", **where, vector_dim=3)
        rows = [[i % 7, (i * 3) % 11, i % 2] for i in range(60)]
        client.finished(client.ok("add_data_batch", **where, data=rows, attributes=[
            {"two": str(i % 2), "five": str(i % 5)} for i in range(60)])["job_id"])
        errors = {}
        for label in ("two", "five"):
            job = client.ok("train_automl_model", **where, model_name=label, task_type=
                            "classification", label_attribute=label)["job_id"]
            status = client.wait(job, "get_automl_training_status")
            assert status["status"] == "failed"
            errors[label] = status["error"]
    assert "the limit is 50 MB (AUTOML_TRAIN_MEMORY_LIMIT)" in errors["two"]
    assert errors["five"].startswith("the label has 5 distinct values; at most 3 classes")

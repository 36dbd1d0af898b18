"""The training job stores the engine's results with the model: the leaderboard (with each
entry's prediction time) and the chart data (`Model.diagnostics`)."""

import json
import time
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.models import Model, User
from app.db.session import Database
from app.jobs import training_job as training
from app.jobs.execute import run_job
from app.main import create_app
from app.services.automl import start_training
from tests.conftest import Client, make_settings


@pytest.fixture(autouse=True)
def _no_oom_score(monkeypatch):
    """The jobs run in this test process: leave its OOM score alone."""
    monkeypatch.setattr(training, "volunteer_for_the_oom_killer", lambda: None)


def _train(tmp_path, task: str, validation: bool, time_budget: float | None = 3) -> Model:
    """Store 80 training rows (and 40 validation rows), run a high_speed training job here
    (no runner: the app is closed by then), and return its model."""
    settings = make_settings(tmp_path / "data")
    where = {"project_name": "P", "collection_name": "c"}

    def label(i: int):
        return ("b" if (i * 7) % 11 > 4 else "a") if task == "classification" else i * 0.5

    with TestClient(create_app(settings)) as http:
        client = Client(http)
        client.ok("create_project", project_name="P")
        for name, n in (("c", 80), ("v", 40)):
            client.ok("init", project_name="P", collection_name=name, vector_dim=2)
            rows = [[(i * 7) % 11, i % 5] for i in range(n)]
            client.finished(client.ok(
                "add_data_batch", project_name="P", collection_name=name, data=rows,
                attributes=[{"label": label(i)} for i in range(n)])["job_id"])
    db = Database(settings.resolved_database_url)
    try:
        with db.session() as session:
            user = session.scalar(select(User).where(User.name == "alice"))
            body = SimpleNamespace(
                **where, model_name="m", training_mode="high_speed", task_type=task,
                label_attribute="label", categorical_features=None,
                train_categorical_features=None,
                validation_dataset="v" if validation else None, time_budget=time_budget,
                seed=None)
            job_id = start_training(session, user, body).id
        run_job(db, job_id)
        with db.session() as session:
            model = session.scalar(select(Model).where(Model.job_id == job_id))
            session.expunge_all()
        return model
    finally:
        db.dispose()


def test_a_classifier_keeps_its_out_of_fold_charts(tmp_path):
    model = _train(tmp_path, "classification", validation=False)
    assert model.status == "ready"
    charts = model.diagnostics
    assert charts["kind"] == "classification" and charts["source"] == "out_of_fold"
    assert charts["classes"] == ["a", "b"]
    assert sum(map(sum, charts["confusion_matrix"])) == charts["n"] == 80
    assert charts["roc"]["positive_class"] == "b"
    assert all(e["predict_seconds_per_row"] > 0 for e in model.leaderboard)
    assert len(json.dumps(charts)) < 10_000


def test_a_regression_with_a_validation_set_keeps_the_validation_charts(tmp_path):
    model = _train(tmp_path, "regression", validation=True)
    charts = model.diagnostics
    assert charts["kind"] == "regression" and charts["source"] == "validation"
    assert charts["n"] == len(charts["actual"]) == len(charts["predicted"]) == 40


def test_the_budget_counts_from_the_job_start(tmp_path, monkeypatch):
    """The engine's clock starts before the rows are read (`started_at`), and without a
    time_budget in the request none is passed: the engine's default for the mode applies."""
    seen = {}
    real_read, real_train = training.read_collection, training.automl.train

    def read(session, collection):
        seen.setdefault("read_at", time.monotonic())
        return real_read(session, collection)

    def train(*args, **kwargs):
        seen["train_at"] = time.monotonic()
        seen.update(started_at=kwargs.get("started_at"), time_budget=kwargs.get("time_budget"))
        return real_train(*args, **kwargs)

    monkeypatch.setattr(training, "read_collection", read)
    monkeypatch.setattr(training.automl, "train", train)
    model = _train(tmp_path, "classification", validation=True, time_budget=None)
    assert model.status == "ready"
    assert seen["started_at"] is not None
    assert seen["started_at"] <= seen["read_at"] <= seen["train_at"]
    assert seen["time_budget"] is None

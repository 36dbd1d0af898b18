"""The embedded runner: a training process that dies fails its own job, and only that one."""

import signal
import time
from functools import partial

import numpy as np
from fastapi.testclient import TestClient

from app.db.models import Job, utcnow
from app.db.session import Database
from app.jobs.runner import LocalRunner, death_reason
from tests.conftest import ALICE, BOB, Client, make_settings

from .targets import real_unless_doomed, scripted

WAIT = 300  # seconds; a bound for a hung runner, not a synchronisation


def _job(db: Database, job_id: str, action: str) -> str:
    with db.session() as session:
        session.add(Job(id=job_id, user_id=1, kind="train", action=action, status="pending",
                        created_at=utcnow()))
    return job_id


def _state(db: Database, job_id: str) -> tuple[str, str | None, int]:
    with db.session() as session:
        job = session.get(Job, job_id)
        return job.status, job.error, job.attempts


def test_a_killed_process_fails_only_its_job_and_the_queue_runs_on(db):
    runner = LocalRunner(db, train_workers=1, target=scripted)
    try:
        for job_id, action in [("a", "die"), ("b", "ok"), ("c", "ok")]:
            runner.submit(_job(db, job_id, action), "train")
        assert runner.wait_idle(WAIT)
        status, error, attempts = _state(db, "a")
        assert status == "failed" and attempts == 1
        assert "killed by signal 9" in error and "out of memory" in error
        assert _state(db, "b")[0] == _state(db, "c")[0] == "finished"
        # the slot runs on with a fresh process
        runner.submit(_job(db, "d", "ok"), "train")
        assert runner.wait_idle(WAIT)
        assert _state(db, "d")[0] == "finished"
    finally:
        runner.shutdown()


def test_two_slots_one_dies(db):
    runner = LocalRunner(db, train_workers=2, target=scripted)
    try:
        actions = ["ok", "die", "ok", "ok", "die", "ok"]
        for i, action in enumerate(actions):
            runner.submit(_job(db, f"j{i}", action), "train")
        assert runner.wait_idle(WAIT)
        for i, action in enumerate(actions):
            status, error, _ = _state(db, f"j{i}")
            assert status == ("failed" if action == "die" else "finished"), (i, error)
    finally:
        runner.shutdown()


def test_a_job_its_process_never_started_is_queued_again_then_failed(db):
    """Killed before claiming its job (say, while applying the collection's data): the job
    is still pending, so it is queued again; a job that always does so ends failed."""
    runner = LocalRunner(db, train_workers=1, target=scripted)
    try:
        runner.submit(_job(db, "early", "die_early"), "train")
        runner.submit(_job(db, "after", "ok"), "train")
        assert runner.wait_idle(WAIT)
        status, error, attempts = _state(db, "early")
        assert status == "failed" and "killed by signal 9" in error and attempts == 0
        assert _state(db, "after")[0] == "finished"
    finally:
        runner.shutdown()


def test_an_error_outside_the_job_fails_it_with_the_reason(db):
    runner = LocalRunner(db, train_workers=1, target=scripted)
    try:
        runner.submit(_job(db, "r", "raise"), "train")
        runner.submit(_job(db, "s", "ok"), "train")
        assert runner.wait_idle(WAIT)
        status, error, _ = _state(db, "r")
        assert status == "failed" and "RuntimeError: the database went away" in error
        assert _state(db, "s")[0] == "finished"
    finally:
        runner.shutdown()


def test_death_reasons():
    assert "signal 9, SIGKILL, probably out of memory" in death_reason(-signal.SIGKILL)
    assert "signal 11, SIGSEGV" in death_reason(-signal.SIGSEGV)
    assert "exit code 3" in death_reason(3)


def test_another_users_training_survives_a_killed_one(tmp_path, monkeypatch):
    """Through the API (embedded mode): alice's training is killed mid-run; bob's, queued
    behind it, trains; so does alice's next one."""
    monkeypatch.setattr("app.main.LocalRunner", partial(LocalRunner, target=real_unless_doomed))
    rng = np.random.default_rng(0)
    data = rng.standard_normal((60, 3)).round(3).tolist()
    labels = [{"label": str(int(row[0] > 0))} for row in data]
    with TestClient(create_app_for(tmp_path)) as http:
        runner = http.app.state.api.runner
        jobs = {}
        for key, model in [(ALICE, "doomed"), (BOB, "m"), (ALICE, "m2")]:
            client = Client(http, key)
            where = {"project_name": "P", "collection_name": "c"}
            if model != "m2":
                client.ok("create_project", project_name="P")
                client.ok("init", **where, vector_dim=3)
                client.finished(client.ok("add_data_batch", **where, data=data,
                                          attributes=labels)["job_id"])
            jobs[model] = (client, client.ok(
                "train_automl_model", **where, model_name=model, training_mode="high_speed",
                task_type="classification", label_attribute="label", time_budget=2)["job_id"])
        assert runner.wait_idle(WAIT)
        client, job = jobs["doomed"]
        status = client.ok("get_automl_training_status", job_id=job)
        assert status["status"] == "failed" and "killed by signal 9" in status["error"]
        for model in ("m", "m2"):
            client, job = jobs[model]
            assert client.ok("get_automl_training_status", job_id=job)["status"] == "finished"
            client.ok("automl_predict", project_name="P", collection_name="c",
                      model_name=model, prediction_dataset="c")


def create_app_for(tmp_path):
    from app.main import create_app

    return create_app(make_settings(tmp_path / "data"))


def _live_pid(runner: LocalRunner) -> int:
    """The pid of the slot's process once one is running (prestarted, not asked by a job)."""
    deadline = time.monotonic() + WAIT
    while True:
        process = runner._slots[0]._process
        if process is not None and process.is_alive():
            return process.pid
        assert time.monotonic() < deadline, "no training process was started ahead of a job"
        time.sleep(0.05)


def _pid_of(db: Database, job_id: str) -> int:
    with db.session() as session:
        return session.get(Job, job_id).result["pid"]


def test_prestart_has_a_process_waiting_before_each_job(db):
    """A job does not wait for its process to start and import the engine: one is started
    with the runner, and again as soon as one dies."""
    runner = LocalRunner(db, train_workers=1, target=scripted, prestart=True)
    try:
        first = _live_pid(runner)
        runner.submit(_job(db, "a", "ok"), "train")
        assert runner.wait_idle(WAIT)
        assert _pid_of(db, "a") == first
        runner.submit(_job(db, "b", "die"), "train")
        assert runner.wait_idle(WAIT)
        assert _state(db, "b")[0] == "failed"
        second = _live_pid(runner)
        assert second != first
        runner.submit(_job(db, "c", "ok"), "train")
        assert runner.wait_idle(WAIT)
        assert _pid_of(db, "c") == second
    finally:
        runner.shutdown()


def test_without_prestart_no_process_runs_before_a_job(db):
    runner = LocalRunner(db, train_workers=1, target=scripted)
    try:
        time.sleep(0.5)
        assert runner._slots[0]._process is None
    finally:
        runner.shutdown()

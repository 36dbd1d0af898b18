"""Faults of the production mode, each caused for real on this machine's Postgres and Redis:
a worker killed mid-training, a task delivered twice, Redis restarted with jobs queued,
Postgres briefly away, and the API killed mid-upload."""

import base64
import os
import signal
import subprocess
import sys
import threading
import time

import httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db.models import Job
from app.main import create_app
from tests.conftest import ALICE, Client
from tests.production import BROKER_URL, ProductionStack, require_services, wait_until
from tests.test_server_process import free_port

STALE = 4


@pytest.fixture(scope="module")
def stack():
    require_services()
    stack = ProductionStack(AUTOML_JOB_STALE_SECONDS=STALE)
    yield stack
    stack.close()


@pytest.fixture
def client(stack, tmp_path):
    stack.reset()
    settings = stack.settings(tmp_path, api_keys=f"{ALICE}:alice", job_stale_seconds=STALE,
                              republish_after=2.0)
    with TestClient(create_app(settings)) as http:
        yield Client(http)
    stack.stop_workers()


def kill_group(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def dataset(client, n=3000, dim=30, name="c"):
    where = {"project_name": "P", "collection_name": name}
    client.ok("create_project", project_name="P")
    client.ok("init", **where, vector_dim=dim)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, dim))
    labels = [{"label": str(int(v > 0))} for v in x[:, :4].sum(axis=1)]
    return where, client.ok("add_data_batch", **where, data=x.tolist(),
                            attributes=labels)["job_id"]


def job_row(stack, job_id) -> Job:
    with stack.db.session() as session:
        return session.scalar(select(Job).where(Job.id == job_id))


def test_worker_killed_mid_training_is_rerun_by_another(stack, client):
    first = stack.start_worker(concurrency=1)
    where, upload = dataset(client)
    client.finished(upload)
    train = client.ok("train_automl_model", **where, model_name="m",
                      training_mode="high_accuracy", task_type="classification",
                      label_attribute="label", time_budget=15)["job_id"]
    wait_until(lambda: client.ok("get_automl_training_status", job_id=train)["progress"] > 0.05)
    kill_group(first)
    stack.start_worker(concurrency=1)
    status = client.wait(train, "get_automl_training_status", timeout=180)
    assert status["status"] == "finished", status
    assert job_row(stack, train).attempts == 2
    assert client.ok("automl_predict", **where, model_name="m", prediction_dataset="c")[
        "prediction_metric"]["accuracy"] > 0.8


def test_task_delivered_twice_trains_once(stack, client):
    from workers.celery_app import make_celery

    stack.start_worker(concurrency=2)
    where, upload = dataset(client, n=500)
    client.finished(upload)
    train = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                      task_type="classification", label_attribute="label")["job_id"]
    celery = make_celery(stack.settings("."))
    for _ in range(3):
        celery.send_task("automl.run_job", args=[train], queue=f"{stack.prefix}.train")
    client.finished(train, "get_automl_training_status")
    time.sleep(2)
    assert job_row(stack, train).attempts == 1
    assert len(client.ok("list_automl_model_infos", **where)["model_infos"]) == 1


def _restart_redis() -> None:
    port = BROKER_URL.rsplit(":", 1)[1].split("/")[0]
    subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], check=False,
                   capture_output=True)
    time.sleep(0.5)
    subprocess.run(["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1", "--port", port,
                    "--save", "", "--appendonly", "no"], check=True, capture_output=True)
    wait_until(lambda: subprocess.run(["redis-cli", "-p", port, "ping"],
                                      capture_output=True).returncode == 0, timeout=20)


def test_redis_restart_with_queued_jobs_loses_none(stack, client):
    where, upload = dataset(client, n=200)  # no worker yet: the job waits in Redis
    train = client.ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                      task_type="classification", label_attribute="label")["job_id"]
    _restart_redis()  # this Redis keeps nothing on disk: the queued messages are gone
    stack.start_worker(concurrency=2)
    assert client.finished(upload, timeout=90)["num_inserted"] == 200
    assert client.finished(train, "get_automl_training_status", timeout=90)["model_name"] == "m"


def _postgres(action: str) -> None:
    version = os.listdir("/etc/postgresql")[0]
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", action],
                   check=True, capture_output=True)


@pytest.mark.skipif(not os.path.isdir("/etc/postgresql"), reason="needs a local cluster")
def test_postgres_briefly_unreachable(stack, client):
    stack.start_worker(concurrency=1)
    client.ok("create_project", project_name="before")
    _postgres("stop")
    try:
        message = client.fails("get_project_list", 503)
        assert "database is unavailable" in message
    finally:
        _postgres("start")
    wait_until(lambda: client.post("get_project_list").status_code == 200, timeout=60)
    assert client.ok("get_project_list")["project_list"] == ["before"]
    where, upload = dataset(client, n=100)
    assert client.finished(upload, timeout=90)["num_inserted"] == 100


def test_api_killed_mid_upload_leaves_nothing_half_written(stack, tmp_path):
    """A real API process is killed while it handles a large upload: afterwards the dataset
    is either absent or, once its job ran, whole; never partial."""
    stack.reset()
    stack.start_worker(concurrency=1)
    env = {**stack.env(), "AUTOML_API_KEYS": f"{ALICE}:alice", "AUTOML_REPUBLISH_AFTER": "2"}
    rows = 150_000
    rng = np.random.default_rng(3)
    lines = ["x1,x2,x3,x4,label"] + [",".join(f"{v:.5f}" for v in r) + f",{i % 2}"
                                     for i, r in enumerate(rng.normal(size=(rows, 4)))]
    body = {"user_api_key": ALICE, "project_name": "P", "collection_name": "big",
            "file_format": "csv", "has_field_names": True, "label_column": "label",
            "file_data": base64.b64encode("\n".join(lines).encode()).decode()}

    def start_api():
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--data-dir",
             str(tmp_path)], env=env, start_new_session=True,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _healthy(base), timeout=60)
        return process, base

    api, base = start_api()
    httpx.post(f"{base}/api/create_project", json={"user_api_key": ALICE, "project_name": "P"})
    threading.Thread(target=_quiet_post, args=(f"{base}/api/upload", body), daemon=True).start()
    time.sleep(0.15)
    kill_group(api)
    api, base = start_api()
    try:
        seen = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            info = httpx.post(f"{base}/api/get_collection_info", json={
                "user_api_key": ALICE, "project_name": "P", "collection_name": "big"}).json()
            seen.append(info["num_vectors"] if info["success"] else "absent")
            assert seen[-1] in ("absent", 0, rows), seen
            if seen[-1] == rows or seen.count("absent") > 20:
                break
            time.sleep(0.5)
        assert seen[-1] in ("absent", rows), seen
    finally:
        kill_group(api)


def _healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/health").status_code == 200
    except httpx.TransportError:
        return False


def _quiet_post(url: str, body: dict) -> None:
    try:
        httpx.post(url, json=body, timeout=60)
    except httpx.TransportError:
        pass

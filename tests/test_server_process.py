"""The real server process: the official example client, and a crash mid-training."""

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import numpy as np
import pytest

from tests.conftest import SHARED

SEED_WORKFLOW = SHARED / "examples" / "seed_workflow.py"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, data_dir, keys: str = "seed-key:demo", env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**(env or os.environ), "AUTOML_API_KEYS": keys, "AUTOML_LOG_LEVEL": "warning"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port),
             "--data-dir", str(data_dir)], env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{self.base}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert self.process.poll() is None, "the server exited at start"
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)

    def post(self, endpoint: str, **body) -> dict:
        body.setdefault("user_api_key", "seed-key")
        return httpx.post(f"{self.base}/api/{endpoint}", json=body, timeout=60).json()

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


@pytest.fixture(params=["embedded", "production"])
def server(request, tmp_path):
    env = None
    if request.param == "production":
        stack = request.getfixturevalue("production_stack")
        stack.reset()
        env = stack.env()
    running = Server(tmp_path, env=env)
    yield running
    running.stop()


def test_official_example_runs_unchanged(server):
    if not SEED_WORKFLOW.exists():
        pytest.fail(f"the official example is missing: {SEED_WORKFLOW}")
    env = {**os.environ, "AUTOML_BASE_URL": f"{server.base}/api", "AUTOML_API_KEY": "seed-key"}
    result = subprocess.run([sys.executable, str(SEED_WORKFLOW)], env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    accuracy = float(result.stdout.strip().splitlines()[-1].split()[-1])
    assert accuracy > 0.7


def test_server_killed_mid_training_reports_the_job_failed(tmp_path):
    server = Server(tmp_path)
    try:
        server.post("create_project", project_name="P")
        server.post("init", project_name="P", collection_name="c", vector_dim=40)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(3000, 40))
        labels = [{"label": str(int(v > 0))} for v in x[:, :5].sum(axis=1)]
        job = server.post("add_data_batch", project_name="P", collection_name="c",
                          data=x.tolist(), attributes=labels)["job_id"]
        while server.post("get_upload_data_status", job_id=job)["status"] != "finished":
            time.sleep(0.1)
        train = server.post("train_automl_model", project_name="P", collection_name="c",
                            model_name="m", training_mode="high_accuracy",
                            task_type="classification", label_attribute="label",
                            time_budget=120)["job_id"]
        deadline = time.monotonic() + 60
        while server.post("get_automl_training_status", job_id=train)["status"] != "in_progress":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        server.kill()
        server = Server(tmp_path)
        status = server.post("get_automl_training_status", job_id=train)
        assert status["status"] == "failed" and "server stopped" in status["error"]
        time.sleep(2)  # an orphaned training process must not resurrect the job
        assert server.post("get_automl_training_status", job_id=train)["status"] == "failed"
        assert server.post("get_upload_data_status", job_id=job)["status"] == "finished"
    finally:
        server.stop()

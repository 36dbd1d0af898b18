"""Hostile uploads under a memory cap: does one user's input take the server, or another user's
training, down?

Starts a real embedded server (`automl-server serve`, default settings) inside a cgroup-v1
memory cgroup capped at `--cap` GiB (the server, its data-job thread and its training processes
all count against it; needs root and /sys/fs/cgroup/memory). User "victim" starts a training;
user "attacker" then sends the hostile requests of issue 9:

- a 20-row libsvm file with one index of 99,999,999,999;
- `init` with `vector_dim` 10**12 (dense and sparse);
- a binary upload of 12 gzip members of 100 MB of zeros each (1.2 GB inflated, ~1.2 MB sent);
- a gzip bomb of 10 GB of zeros (~10 MB sent);
- a 20-row libsvm file whose one index is the widest allowed (AUTOML_MAX_SPARSE_DIM - 1), then
  a high_speed and a balanced training on it (sparse stays sparse: it must cost little).

Reports for each: the answer (status and message, or the job's outcome), and after all of
them: whether the server is alive, whether the victim's training finished, the cgroup's OOM
kills, and the API process's peak resident memory above its idle size (VmHWM - idle VmRSS).

Usage: sudo python bench/hostile.py [--cap 6]
"""

import argparse
import base64
import os
import sys
import tempfile
import time
import zlib
from pathlib import Path

import httpx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.test_server_process import Server  # noqa: E402

CGROUP_ROOT = Path("/sys/fs/cgroup/memory")
MB = 1 << 20


class MemoryCgroup:
    def __init__(self, name: str, cap_bytes: int):
        self.path = CGROUP_ROOT / name
        self.path.mkdir(exist_ok=True)
        (self.path / "memory.limit_in_bytes").write_text(str(cap_bytes))

    def add(self, pid: int) -> None:
        (self.path / "cgroup.procs").write_text(str(pid))

    def oom_kills(self) -> int:
        for line in (self.path / "memory.oom_control").read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0

    def peak_bytes(self) -> int:
        return int((self.path / "memory.max_usage_in_bytes").read_text())

    def remove(self) -> None:
        for pid in (self.path / "cgroup.procs").read_text().split():
            (CGROUP_ROOT / "cgroup.procs").write_text(pid)
        self.path.rmdir()


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def gzip_members(members: int, member_bytes: int) -> bytes:
    out = []
    zeros = bytes(MB)
    for _ in range(members):
        compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        parts = [compressor.compress(zeros) for _ in range(member_bytes // MB)]
        out.append(b"".join(parts) + compressor.flush())
    return b"".join(out)


class Tenant:
    def __init__(self, server: Server, key: str):
        self.server, self.key = server, key

    def post(self, endpoint: str, **body) -> httpx.Response:
        body["user_api_key"] = self.key
        return httpx.post(f"{self.server.base}/api/{endpoint}", json=body, timeout=600)

    def outcome(self, endpoint: str, **body) -> str:
        start = time.perf_counter()
        try:
            response = self.post(endpoint, **body)
        except httpx.TransportError as err:
            return f"no answer: {type(err).__name__} ({time.perf_counter() - start:.1f} s)"
        payload = response.json()
        text = f"{response.status_code} {payload.get('error_message', '')}"
        if response.status_code == 200 and "job_id" in payload:
            status = self.wait(payload["job_id"])
            text = f"200, job {status['status']} {status.get('error', '')}"
        return f"{text[:160]} ({time.perf_counter() - start:.1f} s)"

    def wait(self, job_id: str, timeout: float = 900) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            try:
                status = self.post("get_automl_training_status", job_id=job_id).json()
            except httpx.TransportError as err:
                return {"status": f"unknown: the server does not answer ({type(err).__name__})"}
            if status.get("status") in ("finished", "failed") or not status.get("success"):
                return status
            if time.monotonic() > deadline:
                return {"status": "timeout"}
            time.sleep(0.2)


def victim_training(victim: Tenant) -> str:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 30))
    labels = [{"label": str(int(v > 0))} for v in x[:, :5].sum(axis=1)]
    victim.post("create_project", project_name="V")
    victim.post("init", project_name="V", collection_name="c", vector_dim=30)
    job = victim.post("add_data_batch", project_name="V", collection_name="c", data=x.tolist(),
                      attributes=labels).json()["job_id"]
    victim.wait(job)
    return victim.post("train_automl_model", project_name="V", collection_name="c",
                       model_name="m", training_mode="balanced", task_type="classification",
                       label_attribute="label", time_budget=60).json()["job_id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cap", type=float, default=6.0, help="memory cap, GiB")
    args = parser.parse_args()
    cgroup = MemoryCgroup(f"automl-hostile-{os.getpid()}", int(args.cap * (1 << 30)))
    cgroup.add(os.getpid())  # the server and its children start inside
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(Path(data_dir), keys="victim-key:victim,attacker-key:attacker",
                        env={**os.environ, "AUTOML_TRAIN_WORKERS": "2"})
        (CGROUP_ROOT / "cgroup.procs").write_text(str(os.getpid()))  # the client is outside
        try:
            pid = server.process.pid
            victim, attacker = Tenant(server, "victim-key"), Tenant(server, "attacker-key")
            training = victim_training(victim)
            idle_kb = status_kb(pid, "VmRSS")
            attacker.post("create_project", project_name="A")
            where = {"project_name": "A", "collection_name": "c"}
            sparse_max = 1 << 24
            results = {
                "libsvm index 99,999,999,999": attacker.outcome(
                    "upload", **where, file_format="libsvm",
                    file_data=base64.b64encode(b"1 99999999999:1\n0 1:2\n" * 10).decode()),
                "init dense vector_dim 10**12": attacker.outcome(
                    "init", **where, vector_dim=10**12),
                "init sparse vector_dim 10**12": attacker.outcome(
                    "init", **where, vector_type="sparse", vector_dim=10**12),
                "12 gzip members x 100 MB zeros": attacker.outcome(
                    "upload", **where, file_format="binary", vector_dim=4,
                    file_data=base64.b64encode(gzip_members(12, 100 * MB)).decode()),
                "10 GB gzip bomb": attacker.outcome(
                    "upload", **where, file_format="csv",
                    file_data=base64.b64encode(gzip_members(1, 10240 * MB)).decode()),
            }
            wide = b"".join(f"{i % 2} 1:{i} {sparse_max}:1\n".encode() for i in range(20))
            results["20 rows, widest sparse index: upload"] = attacker.outcome(
                "upload", project_name="A", collection_name="wide", file_format="libsvm",
                file_data=base64.b64encode(wide).decode())
            for mode in ("high_speed", "balanced"):
                results[f"20 rows, widest sparse index: {mode}"] = attacker.outcome(
                    "train_automl_model", project_name="A", collection_name="wide",
                    model_name=mode, training_mode=mode, task_type="classification",
                    label_attribute="label")
            peak_kb = status_kb(pid, "VmHWM") if server.process.poll() is None else 0
            victim_status = victim.wait(training)
            try:
                alive = httpx.get(f"{server.base}/health").status_code == 200
            except httpx.TransportError:
                alive = False
        finally:
            server.stop()
    print(f"cap {args.cap:g} GiB; cgroup peak {cgroup.peak_bytes() / (1 << 30):.2f} GiB; "
          f"OOM kills {cgroup.oom_kills()}")
    for name, outcome in results.items():
        print(f"- {name}: {outcome}")
    print(f"API process: idle {idle_kb / 1024:.0f} MB, peak {peak_kb / 1024:.0f} MB, "
          f"growth {(peak_kb - idle_kb) / 1024:.0f} MB")
    print(f"victim's training: {victim_status.get('status')} "
          f"{victim_status.get('error', '')}; server alive: {alive}")
    cgroup.remove()


if __name__ == "__main__":
    main()

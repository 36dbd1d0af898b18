"""Throughput of concurrent trainings: production mode with 1 and 2 Celery workers, and the
embedded mode with 1 and 2 training processes, on this machine's Postgres and Redis.

Each configuration gets a fresh server; 8 `high_speed` trainings of one dataset are submitted
at once. Prints jobs per minute and p50/p95 latency (submit -> finished), and each
configuration's throughput relative to the embedded mode with one process, measured in the
same run.

Usage: python bench/scale.py [--jobs 8] [--rows 5000]
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.production import ProductionStack, require_services  # noqa: E402
from tests.test_server_process import Server  # noqa: E402


def prepare(server: Server, rows: int) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 20))
    labels = [{"label": str(int(v > 0))} for v in x[:, :5].sum(axis=1) + rng.normal(size=rows)]
    server.post("create_project", project_name="P")
    server.post("init", project_name="P", collection_name="c", vector_dim=20)
    job = server.post("add_data_batch", project_name="P", collection_name="c",
                      data=x.tolist(), attributes=labels)["job_id"]
    while server.post("get_upload_data_status", job_id=job)["status"] != "finished":
        time.sleep(0.1)


def one_training(server: Server, name: str) -> float:
    start = time.perf_counter()
    job = server.post("train_automl_model", project_name="P", collection_name="c",
                      model_name=name, training_mode="high_speed",
                      task_type="classification", label_attribute="label")["job_id"]
    while True:
        status = server.post("get_automl_training_status", job_id=job)
        if status["status"] in ("finished", "failed"):
            assert status["status"] == "finished", status
            return time.perf_counter() - start
        time.sleep(0.1)


def measure(server: Server, jobs: int, round_: int) -> dict:
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        latencies = list(pool.map(lambda i: one_training(server, f"m{round_}_{i}"),
                                  range(jobs)))
    wall = time.perf_counter() - start
    latencies.sort()
    return {"jobs_per_min": 60 * jobs / wall, "p50": statistics.median(latencies),
            "p95": latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]}


def run_embedded(processes: int, jobs: int, rows: int) -> dict:
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "AUTOML_TRAIN_WORKERS": str(processes)}
        server = Server(Path(data_dir), env=env)
        try:
            prepare(server, rows)
            return measure(server, jobs, 0)
        finally:
            server.stop()


def run_production(stack: ProductionStack, workers: int, jobs: int, rows: int) -> dict:
    stack.reset()
    for _ in range(workers):
        stack.start_worker(concurrency=1)
    with tempfile.TemporaryDirectory() as data_dir:
        server = Server(Path(data_dir), env=stack.env())
        try:
            prepare(server, rows)
            return measure(server, jobs, 0)
        finally:
            server.stop()
            stack.stop_workers()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    require_services()
    results = {
        "embedded, 1 training process": run_embedded(1, args.jobs, args.rows),
        "embedded, 2 training processes": run_embedded(2, args.jobs, args.rows),
    }
    stack = ProductionStack()
    try:
        results["production, 1 worker"] = run_production(stack, 1, args.jobs, args.rows)
        results["production, 2 workers"] = run_production(stack, 2, args.jobs, args.rows)
    finally:
        stack.close()
    reference = results["embedded, 1 training process"]["jobs_per_min"]
    print(f"{args.jobs} concurrent high_speed trainings of {args.rows} x 20 rows; "
          f"{os.cpu_count()} cores")
    print(f"{'configuration':<34}{'jobs/min':>10}{'p50 s':>8}{'p95 s':>8}{'vs ref':>8}")
    for name, r in results.items():
        print(f"{name:<34}{r['jobs_per_min']:>10.1f}{r['p50']:>8.1f}{r['p95']:>8.1f}"
              f"{r['jobs_per_min'] / reference:>8.2f}")


if __name__ == "__main__":
    main()

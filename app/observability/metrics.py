"""Prometheus metrics, safe across processes: every API process and Celery worker writes its
samples to files in one directory (prometheus-client's multiprocess mode) and `GET /metrics`
adds them up, with a registry built per scrape as the library documents.

The directory is `Settings.metrics_dir` (AUTOML_METRICS_DIR; default `<data_dir>/metrics`): the
API processes and workers of one deployment must share it. prometheus-client reads
PROMETHEUS_MULTIPROC_DIR once, before the first metric exists, so `setup` sets it (unless the
operator already did) and only then creates the metrics. Job counts by kind and state, the queue
depth and the trainings running are read from the database at scrape time: exact, whoever runs
the jobs. Labels carry route templates, kinds and states only: no ids, no tenant data.
"""

import os
import time
from pathlib import Path
from types import SimpleNamespace

from sqlalchemy import func, select

_metrics: SimpleNamespace | None = None
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
JOB_BUCKETS = (0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 12 * 3600)


def setup(metrics_dir: Path) -> Path:
    """Create this process's metrics, writing to `metrics_dir` (the first call wins)."""
    global _metrics
    if _metrics is not None:
        return Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    directory = Path(os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR", str(metrics_dir)))
    directory.mkdir(parents=True, exist_ok=True)
    from prometheus_client import Counter, Gauge, Histogram, values

    if values.ValueClass is values.MutexValue:
        # prometheus_client was imported before the variable was set: choose again.
        values.ValueClass = values.get_value_class()
    _metrics = SimpleNamespace(
        requests=Counter("automl_http_requests_total", "HTTP requests by route template and "
                         "status", ["method", "route", "status"]),
        latency=Histogram("automl_http_request_duration_seconds", "HTTP request latency by "
                          "route template", ["method", "route"], buckets=LATENCY_BUCKETS),
        job_duration=Histogram("automl_job_duration_seconds", "Time a job ran until it "
                               "finished or failed", ["kind", "state"], buckets=JOB_BUCKETS),
        ingest_rows=Counter("automl_ingest_rows_total", "Rows stored by data jobs"),
        ingest_bytes=Counter("automl_ingest_bytes_total", "Bytes of files parsed by data jobs "
                             "(as sent, compressed or not)"),
        models_cached=Gauge("automl_models_cached", "Fitted models held in memory for "
                            "predictions", multiprocess_mode="livesum"),
    )
    return directory


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    if _metrics is not None:
        _metrics.requests.labels(method, route, str(status)).inc()
        _metrics.latency.labels(method, route).observe(seconds)


def observe_job(kind: str, state: str, seconds: float) -> None:
    if _metrics is not None:
        _metrics.job_duration.labels(kind, state).observe(seconds)


def count_ingest(rows: int, size: int) -> None:
    if _metrics is not None:
        _metrics.ingest_rows.inc(rows)
        _metrics.ingest_bytes.inc(size)


def set_models_cached(count: int) -> None:
    if _metrics is not None:
        _metrics.models_cached.set(count)


def process_exited() -> None:
    """Drop this process's live gauges from the sums (call when a process stops)."""
    if _metrics is not None:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(os.getpid())


class JobsCollector:
    """Jobs by kind and state, the queue depth and the trainings running, counted in the
    database when scraped."""

    def __init__(self, db):
        self.db = db

    def collect(self):
        from prometheus_client.core import GaugeMetricFamily

        from app.db.models import Job

        with self.db.session() as session:
            rows = session.execute(select(Job.kind, Job.status, func.count())
                                   .group_by(Job.kind, Job.status)).all()
        jobs = GaugeMetricFamily("automl_jobs", "Jobs in the database by kind and state",
                                 labels=["kind", "state"])
        pending = running_trainings = 0
        for kind, status, count in rows:
            jobs.add_metric([kind, status], count)
            if status == "pending":
                pending += count
            if kind != "data" and status == "in_progress":
                running_trainings += count
        yield jobs
        yield GaugeMetricFamily("automl_queue_depth", "Jobs waiting to run (pending)",
                                value=pending)
        yield GaugeMetricFamily("automl_trainings_running", "Trainings running now",
                                value=running_trainings)


def render(db) -> tuple[bytes, str]:
    """The scrape: every process's samples from the directory, plus the database's counts."""
    from prometheus_client import (
        CONTENT_TYPE_LATEST,
        CollectorRegistry,
        generate_latest,
        multiprocess,
    )

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    registry.register(JobsCollector(db))
    return generate_latest(registry), CONTENT_TYPE_LATEST


def now() -> float:
    return time.perf_counter()

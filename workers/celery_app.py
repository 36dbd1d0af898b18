"""The Celery application. Tasks carry only a job id; the job's state and input live in the
database, so a task is idempotent: a second delivery finds the job claimed or done.

Hardening (see Celery's docs on acks_late): tasks are acknowledged after they run and rejected
(so redelivered) when their worker process dies; workers prefetch one task; Redis's
visibility timeout is longer than the longest job, so a running job is not handed out twice.

`make_celery(settings)` is the one place a Celery app is built, from the Settings its caller
was given: `automl-server worker` (the worker), CeleryRunner (the API, which only publishes).
Nothing is built at import. For `celery -A workers.celery_app worker`, the module's `app`
attribute is built on first access from the environment (that command is an entry point)."""

import os
from functools import cache

from celery import Celery
from celery.exceptions import SoftTimeLimitExceeded

from app.config import Settings, available_cores
from app.db.session import Database
from app.jobs.execute import run_job
from app.jobs.state import fail

TASK_NAME = "automl.run_job"


def make_celery(settings: Settings, concurrency: int | None = None) -> Celery:
    """`concurrency`: the worker's processes (None: Celery's default, one per core), among
    which the cores are shared when settings.train_threads is 0."""
    app = Celery("automl", broker=settings.broker_url)
    threads = settings.threads_per_training(concurrency or available_cores())
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,
        task_time_limit=settings.task_time_limit,
        task_soft_time_limit=max(1, settings.task_time_limit - 60),
        broker_transport_options={"visibility_timeout": settings.visibility_timeout},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_default_queue=f"{settings.queue_prefix}.train",
    )
    databases: dict[int, Database] = {}

    def database() -> Database:
        """One engine per worker process (never shared across a fork)."""
        pid = os.getpid()
        if pid not in databases:
            databases[pid] = Database(settings.resolved_database_url)
        return databases[pid]

    @app.task(name=TASK_NAME, shared=False)
    def run_job_task(job_id: str) -> None:
        try:
            run_job(database(), job_id, stale_seconds=settings.job_stale_seconds,
                    threads=threads)
        except SoftTimeLimitExceeded:
            fail(database(), job_id, f"the job ran past its time limit of "
                                     f"{settings.task_time_limit} s")

    return app


@cache
def _from_environment() -> Celery:
    from app.config import get_settings  # entry point: `celery -A workers.celery_app`

    return make_celery(get_settings())


def __getattr__(name: str) -> Celery:
    if name == "app":
        return _from_environment()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

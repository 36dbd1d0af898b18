"""The job runner interface, and the embedded runner: no services, just this machine.

Data jobs run one at a time, in submission order, on a thread of the API process (they are
short and must apply in order). Training jobs run in a pool of separate processes so that a
long fit never stalls the API."""

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Protocol

from app.db.session import Database
from app.jobs.execute import fail, run_job

log = logging.getLogger(__name__)


class JobRunner(Protocol):
    def submit(self, job_id: str, kind: str) -> None: ...

    def shutdown(self) -> None: ...


_process_databases: dict[str, Database] = {}


def _run_in_process(database_url: str, job_id: str) -> None:
    db = _process_databases.get(database_url)
    if db is None:
        db = _process_databases[database_url] = Database(database_url)
    run_job(db, job_id)


def _worker_init() -> None:
    """Exit when the API process dies (so an orphan never finishes a job the restarted server
    has declared interrupted), and import the engine ahead of the first job."""
    parent = os.getppid()

    def watch_parent() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch_parent, daemon=True, name="parent-watch").start()
    import app.automl  # noqa: F401


class LocalRunner:
    def __init__(self, db: Database, train_workers: int = 1):
        self._db = db
        self._train_workers = train_workers
        self._data = ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-job")
        self._train = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self._train_workers, mp_context=multiprocessing.get_context("spawn"),
            initializer=_worker_init)

    def submit(self, job_id: str, kind: str) -> None:
        if kind == "data":
            future = self._data.submit(run_job, self._db, job_id)
        else:
            try:
                future = self._train.submit(_run_in_process, self._db.url, job_id)
            except BrokenProcessPool:  # a worker died earlier: start a fresh pool
                self._train = self._new_pool()
                future = self._train.submit(_run_in_process, self._db.url, job_id)
        future.add_done_callback(lambda f, job_id=job_id: self._report(f, job_id))

    def _report(self, future: Future, job_id: str) -> None:
        error = future.exception()
        if error is not None:  # the worker process died: run_job could not record it
            log.error("job %s ended abnormally: %r", job_id, error)
            fail(self._db, job_id, f"the training process died: {error!r}")

    def shutdown(self) -> None:
        self._data.shutdown(wait=True, cancel_futures=False)
        self._train.shutdown(wait=False, cancel_futures=True)

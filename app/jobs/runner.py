"""The job runner interface, and the embedded runner: no services, just this machine.

Data jobs run one at a time, in submission order, on a thread of the API process (they are
short and must apply in order). Training jobs run in separate processes so that a long fit
never stalls the API: `train_workers` slots, each one process that runs one job at a time
(and stays, with the engine imported, for the next). The queue of training jobs is kept here,
not in the processes, so a process that dies (the kernel's OOM killer, a crash in a native
library) takes only its own job with it: that job is failed with the reason, the slot starts
a fresh process, and the jobs queued behind it run as if nothing happened."""

import functools
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Protocol

from app.db.models import Job
from app.db.session import Database
from app.jobs.execute import run_job
from app.jobs.state import STALE_SECONDS, fail

log = logging.getLogger(__name__)


class JobRunner(Protocol):
    def submit(self, job_id: str, kind: str) -> None: ...

    def shutdown(self) -> None: ...


_process_databases: dict[str, Database] = {}


def _run_in_process(database_url: str, job_id: str, stale_seconds: float = STALE_SECONDS,
                    threads: int = 1) -> None:
    db = _process_databases.get(database_url)
    if db is None:
        db = _process_databases[database_url] = Database(database_url)
    run_job(db, job_id, stale_seconds=stale_seconds, threads=threads)


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


def _slot_main(conn, database_url: str, target: Callable[[str, str], None]) -> None:
    """A training process: run the job ids it is sent, one at a time, answering each with
    None or the description of an error that escaped the job's own error handling."""
    _worker_init()
    while True:
        try:
            job_id = conn.recv()
        except EOFError:
            return
        if job_id is None:
            return
        try:
            target(database_url, job_id)
            outcome = None
        except BaseException as err:  # noqa: BLE001 - reported to the parent, which fails the job
            log.exception("job %s ended abnormally", job_id)
            outcome = f"{type(err).__name__}: {err}"
        conn.send(outcome)


def death_reason(exitcode: int | None) -> str:
    """Why a training process ended, as said to the user whose job it ran."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = "unknown signal"
        if -exitcode == signal.SIGKILL:
            return (f"the training process died (killed by signal {-exitcode}, {name}, probably "
                    "out of memory); nothing was stored. Train on fewer rows or columns, a "
                    "sparse dataset, or with training_mode high_speed")
        return f"the training process died (killed by signal {-exitcode}, {name}); nothing " \
               "was stored"
    return f"the training process died (exit code {exitcode}); nothing was stored"


# A job still pending when its process died never started (its process died before, say
# while applying the collection's data): it is queued again, this many times at most.
MAX_REQUEUES = 2


class _Slot:
    """One training process and the thread that feeds it jobs from the runner's queue."""

    def __init__(self, runner: "LocalRunner", number: int):
        self._runner = runner
        self._process = None
        self._conn = None
        self._lock = threading.Lock()  # sends to the process: this thread's and shutdown's
        self._stopped = False
        self._thread = threading.Thread(target=self._loop, daemon=True,
                                        name=f"train-slot-{number}")
        self._thread.start()

    def _start(self) -> None:
        """A fresh process (after the previous one, if any, has ended)."""
        if self._conn is not None:
            self._conn.close()
        if self._process is not None:
            self._process.join()
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        self._process = context.Process(
            target=_slot_main, args=(theirs, self._runner.database_url, self._runner.target),
            name="automl-train", daemon=False)
        self._process.start()
        theirs.close()  # so that our end sees EOF when the process dies
        self._conn = ours

    def _ready(self) -> None:
        """With `prestart`, have a live process waiting (its imports done: 5-6 s of a loaded
        machine) before the next job comes, so that no training waits for one."""
        with self._lock:
            if self._runner.prestart and not self._stopped and (
                    self._process is None or not self._process.is_alive()):
                self._start()

    def _loop(self) -> None:
        while True:
            try:
                self._ready()
            except Exception:  # a job still starts its own process in `_run`
                log.exception("could not start a training process ahead of its job")
            if (job_id := self._runner.next_job()) is None:
                return
            try:
                self._run(job_id)
            except Exception:  # the runner must outlive anything one job does
                log.exception("training slot failed on job %s", job_id)
            finally:
                self._runner.job_done()

    def _run(self, job_id: str) -> None:
        with self._lock:
            if self._stopped:
                return
            if self._process is None or not self._process.is_alive():
                self._start()
            try:
                self._conn.send(job_id)
            except OSError:  # it died between two jobs
                self._start()
                self._conn.send(job_id)
            conn = self._conn
        try:
            outcome = conn.recv()
        except (EOFError, OSError):
            self._process.join()
            exitcode = self._process.exitcode
            conn.close()
            with self._lock:
                self._process = self._conn = None
            log.error("training process of job %s died, exit code %s", job_id, exitcode)
            self._runner.process_died(job_id, exitcode)
            return
        if outcome is not None:
            fail(self._runner.db, job_id, f"internal error: {outcome}")

    def stop(self) -> None:
        """Let the process exit once its current job (if any) is done."""
        with self._lock:
            self._stopped = True
            if self._conn is not None:
                try:
                    self._conn.send(None)
                except OSError:
                    pass


class LocalRunner:
    """`target(database_url, job_id)` is what a training process runs for a job (tests give
    their own, to kill a process on purpose). From Settings: `stale_seconds` (job_stale_seconds)
    and `threads` (threads_per_training(), of each training).

    `prestart`: start each slot's training process now, and again as soon as one dies, rather
    than when a job comes: a fresh process spends seconds importing the engine (5-6 s on a
    loaded 2-core machine), which a job would otherwise wait for outside its time budget.
    Off by default: a process that never trains (most tests) then costs nothing."""

    def __init__(self, db: Database, train_workers: int = 1,
                 target: Callable[[str, str], None] | None = None, *,
                 stale_seconds: float = STALE_SECONDS, threads: int = 1,
                 prestart: bool = False):
        self.db = db
        self.prestart = prestart
        self.database_url = db.url
        self.stale_seconds = stale_seconds
        self.target = target or functools.partial(_run_in_process, stale_seconds=stale_seconds,
                                                   threads=threads)
        self._data = ThreadPoolExecutor(max_workers=1, thread_name_prefix="data-job")
        self._queue: deque[str] = deque()
        self._requeued: dict[str, int] = {}
        self._running = 0
        self._closed = False
        self._changed = threading.Condition()
        self._slots = [_Slot(self, i) for i in range(train_workers)]

    def submit(self, job_id: str, kind: str) -> None:
        if kind == "data":
            future = self._data.submit(run_job, self.db, job_id, stale_seconds=self.stale_seconds)
            future.add_done_callback(lambda f, job_id=job_id: self._report(f, job_id))
            return
        with self._changed:
            if not self._closed:
                self._queue.append(job_id)
                self._changed.notify_all()

    def _report(self, future: Future, job_id: str) -> None:
        error = future.exception()
        if error is not None:  # run_job records the job's own errors; this escaped it
            log.error("job %s ended abnormally: %r", job_id, error)
            fail(self.db, job_id, f"internal error: {type(error).__name__}: {error}")

    def next_job(self) -> str | None:
        """The next queued training job (waits for one); None once shut down."""
        with self._changed:
            while not self._queue and not self._closed:
                self._changed.wait()
            if self._closed:
                return None
            self._running += 1
            return self._queue.popleft()

    def job_done(self) -> None:
        with self._changed:
            self._running -= 1
            self._changed.notify_all()

    def process_died(self, job_id: str, exitcode: int | None) -> None:
        """Fail the job the dead process was running; a job it had not started yet (still
        pending) is queued again, at the front."""
        with self.db.session() as session:
            job = session.get(Job, job_id)
            status = job.status if job is not None else None
        requeues = self._requeued.get(job_id, 0)
        if status == "pending" and requeues < MAX_REQUEUES:
            self._requeued[job_id] = requeues + 1
            with self._changed:
                if not self._closed:
                    self._queue.appendleft(job_id)
                    self._changed.notify_all()
            return
        self._requeued.pop(job_id, None)
        if status in ("pending", "in_progress"):
            fail(self.db, job_id, death_reason(exitcode))

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no training job is queued or running; False on timeout."""
        with self._changed:
            return self._changed.wait_for(
                lambda: not self._queue and not self._running, timeout=timeout)

    def shutdown(self) -> None:
        """Queued trainings are dropped (they stay pending, to be queued again at the next
        start); a running one finishes in its process, which then exits."""
        with self._changed:
            self._closed = True
            self._queue.clear()
            self._changed.notify_all()
        for slot in self._slots:
            slot.stop()
        self._data.shutdown(wait=True, cancel_futures=False)

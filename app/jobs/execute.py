"""Running jobs, the same way in every runner.

A job is claimed before it runs (only a pending job can be claimed), so a job delivered twice
runs once. Data jobs of one collection apply in submission order: whoever is asked to run one
drains the collection's queue, oldest first, so no runner has to keep that order itself.
"""

import logging
import threading
import time
from datetime import timedelta

from sqlalchemy import func, or_, select, update

from app.config import get_settings
from app.db.models import Job, Model, utcnow
from app.db.session import Database
from app.errors import AppError, BadRequest
from app.services.data import apply_data_job, discard_failed_upload, prepare_data_job
from app.services.jobs import finish_job, still_ours
from app.services.training import run_training_job
from app.storage.collections import lock_collection

log = logging.getLogger(__name__)
OPEN = ("pending", "in_progress")
PEER_WAIT_SECONDS = 600
MAX_ATTEMPTS = 3


def stale_seconds() -> float:
    """How old a heartbeat may be before its job counts as abandoned (AUTOML_JOB_STALE_SECONDS);
    workers beat six times as often."""
    return get_settings().job_stale_seconds


def claim(db: Database, job_id: str) -> int | None:
    """Take a job: a pending one, or one whose worker stopped sending heartbeats (it died).
    Returns this run's attempt number, which its final commit must still match."""
    now = utcnow()
    stale = now - timedelta(seconds=stale_seconds())
    with db.session() as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, or_(
                Job.status == "pending",
                (Job.status == "in_progress") & (Job.heartbeat_at < stale)))
            .values(status="in_progress", started_at=func.coalesce(Job.started_at, now),
                    heartbeat_at=now, attempts=Job.attempts + 1)
        ).rowcount
        if claimed != 1:
            return None
        attempt = session.scalar(select(Job.attempts).where(Job.id == job_id))
    if attempt > MAX_ATTEMPTS:
        fail(db, job_id, f"the worker running this job stopped {MAX_ATTEMPTS} times; giving up")
        return None
    return attempt


class Heartbeat:
    """Refreshes a claimed job's heartbeat from a background thread while its body runs."""

    def __init__(self, db: Database, job_id: str, attempt: int):
        self._db, self._job_id, self._attempt = db, job_id, attempt
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"heartbeat-{job_id}")

    def _beat(self) -> None:
        while not self._stop.wait(stale_seconds() / 6):
            try:
                with self._db.session() as session:
                    session.execute(
                        update(Job)
                        .where(Job.id == self._job_id, Job.attempts == self._attempt,
                               Job.status == "in_progress")
                        .values(heartbeat_at=utcnow()))
            except Exception:  # the database may be briefly away; the next beat retries
                log.warning("heartbeat of job %s failed", self._job_id, exc_info=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        self._thread.join()


def fail(db: Database, job_id: str, message: str, *, attempt: int | None = None) -> None:
    """End a job as failed; with `attempt`, only if that run still holds it."""
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.status in ("finished", "failed"):
            return
        if attempt is not None and job.attempts != attempt:
            return
        job.status = "failed"
        job.error = message
        job.finished_at = utcnow()
        if job.kind == "train":
            model = session.scalar(select(Model).where(Model.job_id == job_id))
            if model is not None:
                model.status = "failed"
        else:
            discard_failed_upload(session, job)
        job.payload = None


def _guarded(db: Database, job_id: str, attempt: int, body) -> None:
    """Run `body(attempt)` under a heartbeat; any failure ends the job as failed with a
    reason, never in_progress."""
    try:
        with Heartbeat(db, job_id, attempt):
            body(attempt)
    except AppError as err:
        fail(db, job_id, err.message, attempt=attempt)
    except Exception as err:  # a bug or an unexpected library error
        log.exception("job %s crashed", job_id)
        fail(db, job_id, f"internal error: {type(err).__name__}: {err}", attempt=attempt)


def run_job(db: Database, job_id: str) -> None:
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return  # deleted with its project or collection
        kind, collection_id, created_at = job.kind, job.collection_id, job.created_at
    # A training sees the data sent before it: apply those jobs first (here, or by their peer).
    drain_collection(db, collection_id, until=None if kind == "data" else created_at)
    if kind == "data":
        return
    attempt = claim(db, job_id)
    if attempt is not None:
        _guarded(db, job_id, attempt, lambda attempt: _train(db, job_id, attempt))


def _train(db: Database, job_id: str, attempt: int) -> None:
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        _ = job.payload  # load it before the session closes
    run_training_job(db, job, attempt)


def drain_collection(db: Database, collection_id: int | None, until=None) -> None:
    """Run the collection's open data jobs in submission order until none is left (of those
    submitted `until` then, when given)."""
    waited_since = None
    while True:
        query = select(Job.id).where(Job.collection_id == collection_id, Job.kind == "data",
                                     Job.status.in_(OPEN))
        if until is not None:
            query = query.where(Job.created_at <= until)
        with db.session() as session:
            oldest = session.scalar(query.order_by(Job.created_at, Job.id).limit(1))
        if oldest is None:
            return
        attempt = claim(db, oldest)
        if attempt is None:
            # another live worker is applying it; the order says wait for it
            waited_since = waited_since or time.monotonic()
            if time.monotonic() - waited_since > PEER_WAIT_SECONDS:
                return
            time.sleep(0.05)
            continue
        waited_since = None
        _guarded(db, oldest, attempt,
                 lambda attempt, job_id=oldest: _apply_data(db, job_id, attempt))


def _apply_data(db: Database, job_id: str, attempt: int) -> None:
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        prepared = prepare_data_job(session, job)
    with db.session() as session:
        job = session.get(Job, job_id)
        collection = lock_collection(session, job.collection_id) if job else None
        if job is not None:
            session.refresh(job)  # read after the lock: the job may have been cancelled
        if not still_ours(job, attempt):
            return
        if collection is None:
            raise BadRequest("the collection was deleted before this job ran")
        finish_job(job, apply_data_job(session, job, collection, prepared))


def recover_interrupted(db: Database) -> list[tuple[str, str]]:
    """After a restart: jobs that were running are failed with a reason; pending ones are
    returned (id, kind) to be queued again."""
    with db.session() as session:
        running = session.scalars(select(Job.id).where(Job.status == "in_progress")).all()
        pending = session.execute(
            select(Job.id, Job.kind).where(Job.status == "pending").order_by(Job.created_at)
        ).all()
    for job_id in running:
        fail(db, job_id, "interrupted: the server stopped while this job ran; nothing of it "
                         "was stored, submit it again")
    return [(job_id, kind) for job_id, kind in pending]

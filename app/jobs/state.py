"""Job state transitions, the only code that changes a job's status: new, claim, heartbeat,
finish, fail, cancel, release; and the one staleness rule (a heartbeat older than
AUTOML_JOB_STALE_SECONDS means the worker died).

A job is claimed before it runs (only a pending or stale job can be claimed), so a job delivered
twice runs once; each claim counts an attempt, which the run's final commit must still match.
A job's input is deleted when it ends, whichever way.
"""

import logging
import secrets
import threading
from datetime import timedelta

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db.models import Job, Model, utcnow
from app.db.session import Database
from app.jobs.data_job import discard_failed_upload
from app.jobs.inputs import drop_inputs, store_inputs

log = logging.getLogger(__name__)
OPEN = ("pending", "in_progress")
MAX_ATTEMPTS = 3
CANCELLED = "cancelled by the user"


STALE_SECONDS: float = Settings.model_fields["job_stale_seconds"].default
"""How old a heartbeat may be before its job counts as abandoned, when the caller does not say:
Settings' default. Callers pass `settings.job_stale_seconds` (AUTOML_JOB_STALE_SECONDS);
workers beat six times as often."""


def new_job(session: Session, user_id: int, *, kind: str, action: str, meta: dict,
            parts: dict[str, bytes] | None = None, project_id: int | None,
            collection_id: int | None, details: dict | None = None) -> Job:
    """A pending job with its input (`meta` and binary `parts`); `details` are fields every
    status of the job reports (a training's model name...)."""
    job = Job(id=f"{action}-{secrets.token_hex(12)}", user_id=user_id, kind=kind, action=action,
              project_id=project_id, collection_id=collection_id, status="pending",
              result=details, created_at=utcnow())
    session.add(job)
    session.flush()
    store_inputs(session, job.id, meta, parts)
    return job


def claim(db: Database, job_id: str, *, stale_seconds: float = STALE_SECONDS) -> int | None:
    """Take a job: a pending one, or one whose worker stopped sending heartbeats (it died).
    Returns this run's attempt number, which its final commit must still match."""
    now = utcnow()
    stale = now - timedelta(seconds=stale_seconds)
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


def still_ours(job: Job | None, attempt: int) -> bool:
    """True when `job` is still claimed by run `attempt` (not failed, cancelled, re-claimed)."""
    return job is not None and job.status == "in_progress" and job.attempts == attempt


class Heartbeat:
    """Refreshes a claimed job's heartbeat from a background thread while its body runs."""

    def __init__(self, db: Database, job_id: str, attempt: int, *,
                 stale_seconds: float = STALE_SECONDS):
        self._db, self._job_id, self._attempt = db, job_id, attempt
        self._interval = stale_seconds / 6
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, daemon=True,
                                        name=f"heartbeat-{job_id}")

    def _beat(self) -> None:
        while not self._stop.wait(self._interval):
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


def finish(session: Session, job: Job, result: dict | None) -> None:
    job.status = "finished"
    job.progress = 1.0
    job.step = None
    job.result = {**(job.result or {}), **(result or {})}
    job.finished_at = utcnow()
    drop_inputs(session, [job.id])  # applied: keep the database small


def _end_model(session: Session, job: Job) -> None:
    if job.kind == "train":
        model = session.scalar(select(Model).where(Model.job_id == job.id))
        if model is not None:
            model.status = "failed"


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
        _end_model(session, job)
        if job.kind == "data":
            discard_failed_upload(session, job)
        drop_inputs(session, [job_id])


def cancel(session: Session, job: Job) -> None:
    """End an open job as failed at once; a worker still running it stops at its next progress
    report, and its result is discarded."""
    job.cancel_requested = True
    job.status = "failed"
    job.error = CANCELLED
    job.finished_at = utcnow()
    _end_model(session, job)
    drop_inputs(session, [job.id])


def release(session: Session, owner: ColumnElement[bool], reason: str) -> None:
    """Before a dataset, project or model is deleted: its open jobs (those matching `owner`) end
    as failed with `reason` (a worker running one stops at its next progress report), and every
    job is detached from what is deleted, so that a client polling its job id still reads how it
    ended instead of a 404."""
    now = utcnow()
    drop_inputs(session, select(Job.id).where(owner, Job.status.in_(OPEN)))
    session.execute(
        update(Job).where(owner, Job.status.in_(OPEN))
        .values(status="failed", cancel_requested=True, error=reason, finished_at=now)
        .execution_options(synchronize_session=False))
    session.execute(
        update(Job).where(owner).values(project_id=None, collection_id=None)
        .execution_options(synchronize_session=False))
    session.expire_all()


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

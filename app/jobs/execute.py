"""Running jobs, the same way in every runner (state transitions: `state.py`).

Data jobs of one collection apply in submission order: whoever is asked to run one
drains the collection's queue, oldest first, so no runner has to keep that order itself.
"""

import logging
import time

from sqlalchemy import select

from app.db.models import Job
from app.db.session import Database
from app.errors import AppError, BadRequest
from app.jobs.data_job import apply_data_job, prepare_data_job
from app.jobs.memory import release_free_memory
from app.jobs.state import OPEN, STALE_SECONDS, Heartbeat, claim, fail, finish, still_ours
from app.jobs.training_job import run_training_job
from app.observability.logs import job_id_var
from app.observability.metrics import observe_job
from app.storage.collections import lock_collection

log = logging.getLogger(__name__)
PEER_WAIT_SECONDS = 600


def _guarded(db: Database, job_id: str, attempt: int, body, stale_seconds: float,
             kind: str = "data") -> None:
    """Run `body(attempt)` under a heartbeat; any failure ends the job as failed with a
    reason, never in_progress. Log lines meanwhile carry the job id; the time it ran is
    observed by kind and outcome."""
    token = job_id_var.set(job_id)
    started = time.perf_counter()
    state = "failed"
    try:
        with Heartbeat(db, job_id, attempt, stale_seconds=stale_seconds):
            body(attempt)
        state = "finished"
    except AppError as err:
        fail(db, job_id, err.message, attempt=attempt)
    except Exception as err:  # a bug or an unexpected library error
        log.exception("job %s crashed", job_id)
        fail(db, job_id, f"internal error: {type(err).__name__}: {err}", attempt=attempt)
    finally:
        seconds = time.perf_counter() - started
        observe_job(kind, state, seconds)
        log.info("%s job %s after %.3f s", kind, state, seconds)
        job_id_var.reset(token)


def run_job(db: Database, job_id: str, *, stale_seconds: float = STALE_SECONDS,
            threads: int = 1) -> None:
    """Run one job (after the data jobs it must see). From the caller's Settings:
    `stale_seconds` (job_stale_seconds: heartbeat age after which a claimed job is taken over)
    and `threads` (threads_per_training(): of a training)."""
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return  # deleted with its project or collection
        kind, collection_id, created_at = job.kind, job.collection_id, job.created_at
    # A training sees the data sent before it: apply those jobs first (here, or by their peer).
    drain_collection(db, collection_id, until=None if kind == "data" else created_at,
                     stale_seconds=stale_seconds)
    if kind == "data":
        return
    attempt = claim(db, job_id, stale_seconds=stale_seconds)
    if attempt is not None:
        _guarded(db, job_id, attempt, lambda attempt: _train(db, job_id, attempt, threads),
                 stale_seconds, kind)


def _train(db: Database, job_id: str, attempt: int, threads: int) -> None:
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
    run_training_job(db, job, attempt, threads=threads)


def drain_collection(db: Database, collection_id: int | None, until=None, *,
                     stale_seconds: float = STALE_SECONDS) -> None:
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
        attempt = claim(db, oldest, stale_seconds=stale_seconds)
        if attempt is None:
            # another live worker is applying it; the order says wait for it
            waited_since = waited_since or time.monotonic()
            if time.monotonic() - waited_since > PEER_WAIT_SECONDS:
                return
            time.sleep(0.05)
            continue
        waited_since = None
        _guarded(db, oldest, attempt,
                 lambda attempt, job_id=oldest: _apply_data(db, job_id, attempt), stale_seconds)


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
        finish(session, job, apply_data_job(session, job, collection, prepared))
    del prepared
    release_free_memory()

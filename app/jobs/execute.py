"""Running jobs, the same way in every runner.

A job is claimed before it runs (only a pending job can be claimed), so a job delivered twice
runs once. Data jobs of one collection apply in submission order: whoever is asked to run one
drains the collection's queue, oldest first, so no runner has to keep that order itself.
"""

import logging
import time

from sqlalchemy import select, update

from app.db.models import Job, Model, utcnow
from app.db.session import Database
from app.errors import AppError
from app.services.data import apply_data_job, discard_failed_upload, prepare_data_job
from app.services.jobs import finish_job
from app.services.training import run_training_job

log = logging.getLogger(__name__)
OPEN = ("pending", "in_progress")
PEER_WAIT_SECONDS = 600


def claim(db: Database, job_id: str) -> bool:
    with db.session() as session:
        claimed = session.execute(
            update(Job)
            .where(Job.id == job_id, Job.status == "pending")
            .values(status="in_progress", started_at=utcnow())
        ).rowcount
    return claimed == 1


def fail(db: Database, job_id: str, message: str) -> None:
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.status in ("finished", "failed"):
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


def _guarded(db: Database, job_id: str, body) -> None:
    """Run `body`; any failure ends the job as failed with a reason, never in_progress."""
    try:
        body()
    except AppError as err:
        fail(db, job_id, err.message)
    except Exception as err:  # a bug or an unexpected library error
        log.exception("job %s crashed", job_id)
        fail(db, job_id, f"internal error: {type(err).__name__}: {err}")


def run_job(db: Database, job_id: str) -> None:
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return  # deleted with its project or collection
        kind, collection_id = job.kind, job.collection_id
    if kind == "data":
        drain_collection(db, collection_id)
    elif claim(db, job_id):
        _guarded(db, job_id, lambda: _train(db, job_id))


def _train(db: Database, job_id: str) -> None:
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        _ = job.payload  # load it before the session closes
    run_training_job(db, job)


def drain_collection(db: Database, collection_id: int | None) -> None:
    """Run the collection's open data jobs in submission order until none is left."""
    waited_since = None
    while True:
        with db.session() as session:
            oldest = session.execute(
                select(Job.id, Job.status)
                .where(Job.collection_id == collection_id, Job.kind == "data",
                       Job.status.in_(OPEN))
                .order_by(Job.created_at, Job.id).limit(1)
            ).first()
        if oldest is None:
            return
        job_id, status = oldest
        if status == "in_progress" or not claim(db, job_id):
            # another worker is applying it; the order says wait for it
            waited_since = waited_since or time.monotonic()
            if time.monotonic() - waited_since > PEER_WAIT_SECONDS:
                return
            time.sleep(0.05)
            continue
        waited_since = None
        _guarded(db, job_id, lambda job_id=job_id: _apply_data(db, job_id))


def _apply_data(db: Database, job_id: str) -> None:
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None:
            return
        prepared = prepare_data_job(session, job)
    with db.session() as session:
        job = session.get(Job, job_id)
        if job is None or job.status != "in_progress":
            return
        finish_job(job, apply_data_job(session, job, prepared))


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

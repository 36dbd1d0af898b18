"""Running one job, the same way in every runner: claim it (only a pending job can be claimed,
so a job delivered twice runs once), run its body, record how it ended."""

import logging

from sqlalchemy import select, update

from app.db.models import Job, Model, utcnow
from app.db.session import Database
from app.errors import AppError
from app.services.data import discard_failed_upload, run_data_job
from app.services.jobs import finish_job
from app.services.training import run_training_job

log = logging.getLogger(__name__)


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


def run_job(db: Database, job_id: str) -> None:
    if not claim(db, job_id):
        return
    try:
        if _kind(db, job_id) == "data":
            with db.session() as session:
                job = session.get(Job, job_id)
                if job is None:
                    return  # its project or collection was deleted meanwhile
                finish_job(job, run_data_job(session, job))
        else:
            with db.session() as session:
                job = session.get(Job, job_id)
                if job is None:
                    return
                _ = job.payload  # load it before the session closes
            run_training_job(db, job)
    except AppError as err:
        fail(db, job_id, err.message)
    except Exception as err:  # a bug or an unexpected library error: still end the job
        log.exception("job %s crashed", job_id)
        fail(db, job_id, f"internal error: {type(err).__name__}: {err}")


def _kind(db: Database, job_id: str) -> str | None:
    with db.session() as session:
        return session.scalar(select(Job.kind).where(Job.id == job_id))


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

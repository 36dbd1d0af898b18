"""Async jobs as users see them: creation, ownership and the status views."""

import secrets
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from app.db.models import Job, Model, User, utcnow
from app.errors import Conflict, NotFound


def new_job(
    session: Session, user: User, *, kind: str, action: str, payload: bytes,
    project_id: int | None, collection_id: int | None, details: dict | None = None,
) -> Job:
    """`details` are fields every status of the job reports (a training's model name...)."""
    job = Job(
        id=f"{action}-{secrets.token_hex(12)}",
        user_id=user.id,
        kind=kind,
        action=action,
        project_id=project_id,
        collection_id=collection_id,
        status="pending",
        payload=payload,
        result=details,
        created_at=utcnow(),
    )
    session.add(job)
    session.flush()
    return job


def get_job(session: Session, user: User, job_id: object) -> Job:
    """A job of another user is reported exactly like one that does not exist."""
    job = session.get(Job, job_id) if isinstance(job_id, str) else None
    if job is None or job.user_id != user.id:
        raise NotFound(f"Job does not exist: {job_id!r}")
    return job


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_time(moment: datetime | None) -> str | None:
    """VecML's "2025/01/15 14:30:25", in the server's local time."""
    return _aware(moment).astimezone().strftime("%Y/%m/%d %H:%M:%S") if moment else None


def format_duration(job: Job) -> str:
    if job.started_at is None:
        seconds = 0
    else:
        end = _aware(job.finished_at) if job.finished_at else datetime.now(UTC)
        seconds = max(0, int((end - _aware(job.started_at)).total_seconds()))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def status_view(session: Session, job: Job) -> dict:
    """Documented fields first; `progress`, `current_step` and job details are extensions."""
    view: dict = {
        "success": True,
        "job_id": job.id,
        "job_type": job.action,
        "status": job.status,
        "start_time": format_time(job.started_at or job.created_at),
        "duration": format_duration(job),
        "progress": round(job.progress or 0.0, 3),
        "current_step": job.step,
    }
    if job.kind == "train":
        model = session.scalar(select(Model).where(Model.job_id == job.id))
        if job.status == "finished" and model is not None:
            view["validation_metric"] = model.validation_metric
            view["leaderboard"] = model.leaderboard
    if job.status == "failed":
        view["error"] = job.error or "the job failed"
    if job.result:
        view.update(job.result)
    return view


def finish_job(job: Job, result: dict | None) -> None:
    job.status = "finished"
    job.progress = 1.0
    job.step = None
    job.result = {**(job.result or {}), **(result or {})}
    job.finished_at = utcnow()
    job.payload = None  # its input is applied; keep the database small


def still_ours(job: Job | None, attempt: int) -> bool:
    """True when `job` is still claimed by run `attempt` (not failed, cancelled, re-claimed)."""
    return job is not None and job.status == "in_progress" and job.attempts == attempt


CANCELLED = "cancelled by the user"
OPEN = ("pending", "in_progress")


def cancel_job(session: Session, user: User, job_id: object) -> dict:
    """Cancel a queued or running job (an extension). It ends at once as failed; a worker still
    running it stops at its next progress report and its result is discarded."""
    job = get_job(session, user, job_id)
    if job.status in ("finished", "failed"):
        raise Conflict(f"job {job.id!r} has already {job.status}; nothing to cancel")
    job.cancel_requested = True
    job.status = "failed"
    job.error = CANCELLED
    job.finished_at = utcnow()
    if job.kind == "train":
        model = session.scalar(select(Model).where(Model.job_id == job.id))
        if model is not None:
            model.status = "failed"
    return {"success": True, "job_id": job.id, "status": job.status, "error": job.error}


def release_jobs(session: Session, owner: ColumnElement[bool], reason: str) -> None:
    """Before a dataset, project or model is deleted: its open jobs (those matching `owner`) end
    as failed with `reason` (a worker running one stops at its next progress report), and every
    job is detached from what is deleted, so that a client polling its job id still reads how it
    ended instead of a 404."""
    now = utcnow()
    session.execute(
        update(Job).where(owner, Job.status.in_(OPEN))
        .values(status="failed", cancel_requested=True, error=reason, finished_at=now,
                payload=None)
        .execution_options(synchronize_session=False))
    session.execute(
        update(Job).where(owner).values(project_id=None, collection_id=None)
        .execution_options(synchronize_session=False))
    session.expire_all()

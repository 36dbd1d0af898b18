"""Async jobs as users see them: ownership, the status views, cancelling (the transitions
themselves are `app.jobs.state`'s)."""

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Collection, Job, Model, Project, User
from app.errors import Conflict, NotFound
from app.jobs.state import cancel


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
    collection = session.get(Collection, job.collection_id) if job.collection_id else None
    project = session.get(Project, job.project_id) if job.project_id else None
    if project is not None:
        view["project_name"] = project.name
    if collection is not None:
        view["collection_name"] = collection.name
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


def cancel_job(session: Session, user: User, job_id: object) -> dict:
    """Cancel a queued or running job (an extension). It ends at once as failed; a worker still
    running it stops at its next progress report and its result is discarded."""
    job = get_job(session, user, job_id)
    if job.status in ("finished", "failed"):
        raise Conflict(f"job {job.id!r} has already {job.status}; nothing to cancel")
    cancel(session, job)
    return {"success": True, "job_id": job.id, "status": job.status, "error": job.error}


def list_jobs(session: Session, user: User, *, project_id: int | None = None,
              collection_id: int | None = None, kind: str | None = None,
              status: str | None = None, limit: int = 100, offset: int = 0) -> dict:
    """The user's jobs, newest first, each in its status view (an extension); `total` counts
    every job the filters match, so a client can page through them."""
    query = select(Job).where(Job.user_id == user.id)
    if project_id is not None:
        query = query.where(Job.project_id == project_id)
    if collection_id is not None:
        query = query.where(Job.collection_id == collection_id)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if status is not None:
        query = query.where(Job.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    page = session.scalars(
        query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit).offset(offset))
    return {"success": True, "total": total,
            "jobs": [status_view(session, job) for job in page]}

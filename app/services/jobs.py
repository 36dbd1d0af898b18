"""Async jobs as users see them: ownership, the status views, cancelling (the transitions
themselves are `app.jobs.state`'s; app/api/views.py words them)."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Collection, Job, Model, Project, User
from app.errors import Conflict, NotFound
from app.jobs.state import cancel
from app.services.collections import get_collection
from app.services.projects import get_project


def get_job(session: Session, user: User, job_id: object) -> Job:
    """A job of another user is reported exactly like one that does not exist."""
    job = session.get(Job, job_id) if isinstance(job_id, str) else None
    if job is None or job.user_id != user.id:
        raise NotFound(f"Job does not exist: {job_id!r}")
    return job


@dataclass(frozen=True)
class JobStatus:
    """A job as its owner sees it: with the names of its project and dataset (when they still
    exist) and, for a finished training, its model."""

    job: Job
    project_name: str | None = None
    collection_name: str | None = None
    model: Model | None = None


def job_status(session: Session, job: Job) -> JobStatus:
    project = session.get(Project, job.project_id) if job.project_id else None
    collection = session.get(Collection, job.collection_id) if job.collection_id else None
    model = None
    if job.kind == "train" and job.status == "finished":
        model = session.scalar(select(Model).where(Model.job_id == job.id))
    return JobStatus(job=job, project_name=project.name if project else None,
                     collection_name=collection.name if collection else None, model=model)


def cancel_job(session: Session, user: User, job_id: object) -> Job:
    """Cancel a queued or running job (an extension). It ends at once as failed; a worker still
    running it stops at its next progress report and its result is discarded."""
    job = get_job(session, user, job_id)
    if job.status in ("finished", "failed"):
        raise Conflict(f"job {job.id!r} has already {job.status}; nothing to cancel")
    cancel(session, job)
    return job


@dataclass(frozen=True)
class JobPage:
    total: int
    """How many jobs the filters match, on every page."""
    jobs: list[JobStatus]


def list_jobs(session: Session, user: User, *, project_name: str | None = None,
              collection_name: str | None = None, kind: str | None = None,
              status: str | None = None, limit: int = 100, offset: int = 0) -> JobPage:
    """The user's jobs, newest first (an extension), filtered by the project or dataset they
    belong to, their kind and status; `total` lets a client page through them."""
    query = select(Job).where(Job.user_id == user.id)
    if collection_name:
        if not project_name:
            raise NotFound(f"Collection does not exist: {collection_name!r} without a project; "
                           "give its project_name too")
        collection = get_collection(session, user, project_name, collection_name)
        query = query.where(Job.collection_id == collection.id)
    elif project_name:
        query = query.where(Job.project_id == get_project(session, user, project_name).id)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if status is not None:
        query = query.where(Job.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit).offset(offset))
    return JobPage(total=total, jobs=[job_status(session, job) for job in page])

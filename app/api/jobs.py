from fastapi import APIRouter

from app.api import responses
from app.api.deps import ApiDep
from app.api.responses import ok
from app.api.routing import OrjsonRoute
from app.api.schemas import JobRequest, ListJobsRequest
from app.errors import NotFound
from app.services import jobs
from app.services.collections import get_collection
from app.services.projects import get_project

router = APIRouter(route_class=OrjsonRoute, tags=["jobs"])


@router.post("/get_upload_data_status", responses=ok(responses.JobStatusResponse))
def get_upload_data_status(body: JobRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        return jobs.status_view(session, jobs.get_job(session, user, body.job_id))


@router.post("/get_automl_training_status", responses=ok(responses.JobStatusResponse))
def get_automl_training_status(body: JobRequest, api: ApiDep) -> dict:
    """Answers for data jobs too: VecML clients poll attach_automl_label's job here."""
    with api.session(body) as (session, user):
        return jobs.status_view(session, jobs.get_job(session, user, body.job_id))


@router.post("/cancel_job", responses=ok(responses.CancelJobResponse))
def cancel_job(body: JobRequest, api: ApiDep) -> dict:
    """Extension: cancel a queued or running job; it is then reported failed."""
    with api.session(body) as (session, user):
        return jobs.cancel_job(session, user, body.job_id)


@router.post("/list_jobs", responses=ok(responses.JobListResponse))
def list_jobs(body: ListJobsRequest, api: ApiDep) -> dict:
    """Extension: the caller's jobs, newest first, each as its status; filter by project,
    dataset, kind and status, page with limit and offset."""
    with api.session(body) as (session, user):
        project_id = collection_id = None
        if body.collection_name:
            if not body.project_name:
                raise NotFound(f"Collection does not exist: {body.collection_name!r} without "
                               "a project; give its project_name too")
            collection = get_collection(session, user, body.project_name, body.collection_name)
            project_id, collection_id = collection.project_id, collection.id
        elif body.project_name:
            project_id = get_project(session, user, body.project_name).id
        return jobs.list_jobs(session, user, project_id=project_id, collection_id=collection_id,
                              kind=body.kind, status=body.status, limit=body.limit,
                              offset=body.offset)

from fastapi import APIRouter

from app.api import responses, views
from app.api.deps import ApiDep
from app.api.envelope import success
from app.api.responses import ok
from app.api.routing import OrjsonRoute
from app.api.schemas import JobRequest, ListJobsRequest
from app.services import jobs

router = APIRouter(route_class=OrjsonRoute, tags=["jobs"])


@router.post("/get_upload_data_status", responses=ok(responses.JobStatusResponse))
def get_upload_data_status(body: JobRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        status = jobs.job_status(session, jobs.get_job(session, user, body.job_id))
        return success(**views.job_status(status))


@router.post("/get_automl_training_status", responses=ok(responses.JobStatusResponse))
def get_automl_training_status(body: JobRequest, api: ApiDep) -> dict:
    """Answers for data jobs too: VecML clients poll attach_automl_label's job here."""
    with api.session(body) as (session, user):
        status = jobs.job_status(session, jobs.get_job(session, user, body.job_id))
        return success(**views.job_status(status))


@router.post("/cancel_job", responses=ok(responses.CancelJobResponse))
def cancel_job(body: JobRequest, api: ApiDep) -> dict:
    """Extension: cancel a queued or running job; it is then reported failed."""
    with api.session(body) as (session, user):
        return success(**views.cancelled_job(jobs.cancel_job(session, user, body.job_id)))


@router.post("/list_jobs", responses=ok(responses.JobListResponse))
def list_jobs(body: ListJobsRequest, api: ApiDep) -> dict:
    """Extension: the caller's jobs, newest first, each as its status; filter by project,
    dataset, kind and status, page with limit and offset."""
    with api.session(body) as (session, user):
        page = jobs.list_jobs(session, user, project_name=body.project_name,
                              collection_name=body.collection_name, kind=body.kind,
                              status=body.status, limit=body.limit, offset=body.offset)
        return success(**views.job_page(page))

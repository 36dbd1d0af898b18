from fastapi import APIRouter

from app.api.deps import ApiDep
from app.api.routing import OrjsonRoute
from app.api.schemas import JobRequest
from app.services import jobs

router = APIRouter(route_class=OrjsonRoute, tags=["jobs"])


@router.post("/get_upload_data_status")
def get_upload_data_status(body: JobRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        return jobs.status_view(session, jobs.get_job(session, user, body.job_id))


@router.post("/get_automl_training_status")
def get_automl_training_status(body: JobRequest, api: ApiDep) -> dict:
    """Answers for data jobs too: VecML clients poll attach_automl_label's job here."""
    with api.session(body) as (session, user):
        return jobs.status_view(session, jobs.get_job(session, user, body.job_id))


@router.post("/cancel_job")
def cancel_job(body: JobRequest, api: ApiDep) -> dict:
    """Extension: cancel a queued or running job; it is then reported failed."""
    with api.session(body) as (session, user):
        return jobs.cancel_job(session, user, body.job_id)

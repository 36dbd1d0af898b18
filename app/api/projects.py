from fastapi import APIRouter

from app.api import responses
from app.api.deps import ApiDep
from app.api.envelope import success
from app.api.responses import ok
from app.api.routing import OrjsonRoute
from app.api.schemas import Body, CreateProjectRequest, ProjectRequest
from app.services import projects

router = APIRouter(route_class=OrjsonRoute, tags=["projects"])


@router.post("/create_project", responses=ok(responses.OkResponse))
def create_project(body: CreateProjectRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        projects.create_project(session, user, body.project_name, body.application)
    return success()


@router.post("/delete_project", responses=ok(responses.OkResponse))
def delete_project(body: ProjectRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        projects.delete_project(session, user, body.project_name)
    return success()


@router.post("/get_project_list", responses=ok(responses.ProjectListResponse))
def get_project_list(body: Body, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        names = [p.name for p in projects.list_projects(session, user)]
    return success(project_list=names)

"""The dashboard's pages (GET): each reads through the services, inside a signed-in visit."""

import secrets

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from app.api import views
from app.services import jobs
from app.services.web_sessions import find_session
from app.ui import contexts
from app.ui.rendering import UiRoute, job_url, redirect, render
from app.ui.session import LOGIN_CSRF_COOKIE, SESSION_COOKIE, api_of, cookie_options, visit

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)


@router.get("")
def home(request: Request) -> Response:
    with api_of(request).db.session() as db:
        signed = find_session(db, request.cookies.get(SESSION_COOKIE))
    return redirect("/ui/projects" if signed else "/ui/login")


def login_page(request: Request, *, error: str | None = None, status: int = 200) -> Response:
    """The sign-in form, with a fresh token in a cookie and in the form (a site cannot sign a
    visitor in to an account of its choosing)."""
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", status_code=status, visit=None, error=error,
                      login_csrf=token, open_access=api_of(request).settings.open_access)
    response.set_cookie(LOGIN_CSRF_COOKIE, token, **cookie_options(request))
    return response


@router.get("/login")
def login(request: Request) -> Response:
    return login_page(request)


@router.get("/projects")
def projects(request: Request) -> Response:
    with visit(request) as v:
        return render(request, "projects.html", visit=v, **contexts.projects_page(v))


@router.get("/projects/{project}")
def project(request: Request, project: str) -> Response:
    with visit(request) as v:
        return render(request, "project.html", visit=v, **contexts.project_page(v, project))


@router.get("/projects/{project}/datasets/{dataset}")
def dataset(request: Request, project: str, dataset: str) -> Response:
    with visit(request) as v:
        return render(request, "dataset.html", visit=v,
                      **contexts.dataset_page(v, project, dataset))


@router.get("/projects/{project}/datasets/{dataset}/compare")
def compare(request: Request, project: str, dataset: str) -> Response:
    with visit(request) as v:
        return render(request, "compare.html", visit=v,
                      **contexts.compare_page(v, project, dataset))


@router.get("/projects/{project}/datasets/{dataset}/models/{model}")
def model(request: Request, project: str, dataset: str, model: str) -> Response:
    with visit(request) as v:
        return render(request, "model.html", visit=v,
                      **contexts.model_page(v, project, dataset, model))


@router.get("/jobs")
def job_list(request: Request) -> Response:
    with visit(request) as v:
        return render(request, "jobs.html", visit=v, **contexts.jobs_page(v))


@router.get("/jobs/{job_id}")
def job(request: Request, job_id: str) -> Response:
    with visit(request) as v:
        status = jobs.job_status(v.db, jobs.get_job(v.db, v.user, job_id))
        return render(request, "job.html", visit=v, status=status,
                      view=views.job_status(status), result_url=contexts.result_url(status))


@router.get("/jobs/{job_id}/status")
def job_progress(request: Request, job_id: str) -> Response:
    """What the job page's script polls: the status view, an estimate of the time left, and
    where the result is once finished."""
    with visit(request) as v:
        status = jobs.job_status(v.db, jobs.get_job(v.db, v.user, job_id))
        view = views.job_status(status)
        return JSONResponse({
            "status": view["status"], "progress": view["progress"],
            "current_step": view["current_step"], "duration": view["duration"],
            "eta_seconds": contexts.eta_seconds(status.job), "error": view.get("error"),
            "result_url": contexts.result_url(status), "url": job_url(status.job.id)})

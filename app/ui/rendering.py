"""Pages from templates, links to pages, and the route class that turns what a handler raises
into a page: the sign-in redirect, a refused form, or the service's error in words."""

from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates

from app.errors import AppError
from app.ui.session import BadFormToken, PageError, SignInRequired

HERE = Path(__file__).parent


def _q(value: object) -> str:
    return quote(str(value), safe="")


def project_url(project: str) -> str:
    return f"/ui/projects/{_q(project)}"


def dataset_url(project: str, dataset: str) -> str:
    return f"{project_url(project)}/datasets/{_q(dataset)}"


def model_url(project: str, dataset: str, model: str) -> str:
    return f"{dataset_url(project, dataset)}/models/{_q(model)}"


def job_url(job_id: str) -> str:
    return f"/ui/jobs/{_q(job_id)}"


def _number(value: object, digits: int = 4) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return str(value)


templates = Jinja2Templates(directory=HERE / "templates")
templates.env.globals.update(project_url=project_url, dataset_url=dataset_url,
                             model_url=model_url, job_url=job_url)
templates.env.filters["number"] = _number


def render(request: Request, name: str, *, status_code: int = 200, **context: object) -> Response:
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


class UiRoute(APIRoute):
    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def route_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except SignInRequired:
                if request.method == "GET" and request.url.path.endswith("/status"):
                    return Response(status_code=401)
                return redirect("/ui/login")
            except BadFormToken:
                return render(request, "error.html", status_code=403, visit=None,
                              error="This form is out of date or was not sent by this "
                                    "dashboard: reload the page and send it again.")
            except PageError as err:
                return render(request, "error.html", status_code=err.error.status_code,
                              visit=err.visitor, error=err.error.message)
            except AppError as err:
                return render(request, "error.html", status_code=err.status_code, visit=None,
                              error=err.message)

        return route_handler

"""The dashboard's forms (POST). Each checks the session's form token, calls the service the
API calls, and on a refusal draws the page again with the service's message; nothing is kept
of a refused action (the visit's transaction is rolled back)."""

import base64
import csv
import gzip
import io
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response, UploadFile
from sqlalchemy.exc import IntegrityError

from app.errors import AppError, BadRequest
from app.services import automl, collections, data, jobs, projects
from app.services.web_sessions import end_session, start_session
from app.ui import contexts
from app.ui.forms import CsvPrediction, CsvUpload, ModelName, TrainingForm
from app.ui.pages import login_page
from app.ui.rendering import UiRoute, dataset_url, job_url, project_url, redirect, render
from app.ui.session import (
    COOKIE_PATH,
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Visit,
    api_of,
    cookie_options,
    same_token,
    visit,
)

router = APIRouter(prefix="/ui", route_class=UiRoute, include_in_schema=False)
Token = Annotated[str, Form()]
HEAD_BYTES = 1 << 20
"""How much of a CSV is read to tell its text columns from its numeric ones."""


def _refused(request: Request, v: Visit, err: AppError, template: str,
             context: Callable[[], dict], form: dict | None = None) -> Response:
    """The page the form was on, with the service's message and the values the visitor typed."""
    v.db.rollback()
    return render(request, template, status_code=err.status_code, visit=v, error=err.message,
                  form=form or {}, **context())


@router.post("/login")
def sign_in(request: Request, api_key: Annotated[str, Form()] = "",
            login_csrf: Annotated[str, Form()] = "") -> Response:
    if not same_token(login_csrf, request.cookies.get(LOGIN_CSRF_COOKIE)):
        return login_page(request, status=403, error="The sign-in form was out of date: "
                                                     "send it again.")
    api = api_of(request)
    try:
        with api.db.session() as db:
            user = api.user_for_key(db, api_key.strip())
            token = start_session(db, user)
    except AppError as err:
        return login_page(request, status=err.status_code, error=err.message)
    except IntegrityError:
        return login_page(request, status=409, error="Sign-in raced another: send it again.")
    response = redirect("/ui/projects")
    response.set_cookie(SESSION_COOKIE, token, **cookie_options(request))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/logout")
def sign_out(request: Request, csrf_token: Token = "") -> Response:
    with visit(request, csrf_token) as v:
        end_session(v.db, request.cookies.get(SESSION_COOKIE))
    response = redirect("/ui/login")
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


@router.post("/projects")
def create_project(request: Request, csrf_token: Token = "",
                   project_name: Annotated[str, Form()] = "") -> Response:
    with visit(request, csrf_token) as v:
        try:
            projects.create_project(v.db, v.user, project_name.strip(), None)
        except AppError as err:
            return _refused(request, v, err, "projects.html",
                            lambda: contexts.projects_page(v), {"project_name": project_name})
    return redirect(project_url(project_name.strip()))


@router.post("/projects/{project}/delete")
def delete_project(request: Request, project: str, csrf_token: Token = "") -> Response:
    with visit(request, csrf_token) as v:
        projects.delete_project(v.db, v.user, project)
    return redirect("/ui/projects")


def _read_upload(file: UploadFile | None, max_bytes: int) -> bytes:
    if file is None or not file.filename:
        raise BadRequest("choose a CSV file to upload")
    raw = file.file.read(max_bytes + 1)
    if len(raw) > max_bytes:
        raise BadRequest(f"the file is over the server's {max_bytes // (1 << 20)} MB limit; "
                         "split it, or upload it with the Python client in parts")
    if not raw:
        raise BadRequest(f"{file.filename} is empty")
    return raw


def _text_columns(raw: bytes, compressed: bool) -> list[str]:
    """The header's columns holding a value that is not a number in the file's first MB (they
    become categorical attributes, as the Python client declares them)."""
    head = gzip.GzipFile(fileobj=io.BytesIO(raw)).read(HEAD_BYTES) if compressed \
        else raw[:HEAD_BYTES]
    text = head.decode("utf-8", errors="replace")
    lines = text.splitlines()[:-1] if len(head) == HEAD_BYTES else text.splitlines()
    rows = list(csv.reader(lines))
    if not rows:
        raise BadRequest("the file has no header row; the dashboard reads CSV with a header")
    header, found = rows[0], set()
    for row in rows[1:]:
        for name, value in zip(header, row, strict=False):
            if name not in found and value.strip() and not _is_number(value):
                found.add(name)
    return [name for name in header if name in found]


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return value.strip().lower() in ("na", "nan", "null", "none", "?", "")
    return True


@router.post("/projects/{project}/upload")
def upload(request: Request, project: str, csrf_token: Token = "",
           dataset_name: Annotated[str, Form()] = "", label_column: Annotated[str, Form()] = "",
           file: UploadFile | None = None) -> Response:
    api = api_of(request)
    with visit(request, csrf_token) as v:
        try:
            raw = _read_upload(file, api.ingest_limits.max_file_bytes)
            compressed = raw[:2] == b"\x1f\x8b"
            try:
                text = _text_columns(raw, compressed)
            except (OSError, EOFError) as err:
                raise BadRequest(f"the file is not a readable gzip file: {err}") from None
            form = CsvUpload(project_name=project, collection_name=dataset_name.strip(),
                             compression_type="gzip" if compressed else None,
                             categorical_features=text or None,
                             label_column=label_column.strip() or None)
            job = data.upload(v.db, v.user, form, file_data=base64.b64encode(raw).decode(),
                              action="upload", limits=api.ingest_limits)
        except AppError as err:
            return _refused(request, v, err, "project.html",
                            lambda: contexts.project_page(v, project),
                            {"dataset_name": dataset_name, "label_column": label_column})
    api.runner.submit(job.id, job.kind)
    return redirect(job_url(job.id))


@router.post("/projects/{project}/datasets/{dataset}/train")
def train(request: Request, project: str, dataset: str, csrf_token: Token = "",
          model_name: Annotated[str, Form()] = "",
          training_mode: Annotated[str, Form()] = "high_speed",
          task_type: Annotated[str, Form()] = "classification",
          label_attribute: Annotated[str, Form()] = "",
          categorical_features: Annotated[list[str] | None, Form()] = None,
          time_budget: Annotated[str, Form()] = "",
          eval_metric: Annotated[str, Form()] = "",
          class_weight: Annotated[str, Form()] = "") -> Response:
    api = api_of(request)
    with visit(request, csrf_token) as v:
        try:
            budget = _budget(time_budget)
            form = TrainingForm(
                project_name=project, collection_name=dataset, model_name=model_name.strip(),
                training_mode=training_mode, task_type=task_type,
                label_attribute=label_attribute,
                categorical_features=[c for c in categorical_features or []
                                      if c != label_attribute],
                time_budget=budget, eval_metric=eval_metric or None,
                class_weight=class_weight or None)
            job = automl.start_training(v.db, v.user, form, limits=api.training_limits)
        except AppError as err:
            return _refused(request, v, err, "dataset.html",
                            lambda: contexts.dataset_page(v, project, dataset),
                            {"model_name": model_name, "training_mode": training_mode,
                             "task_type": task_type, "label_attribute": label_attribute,
                             "time_budget": time_budget, "eval_metric": eval_metric,
                             "class_weight": class_weight})
    api.runner.submit(job.id, job.kind)
    return redirect(job_url(job.id))


def _budget(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise BadRequest(f"the time budget must be a number of seconds, not {text!r}") from None
    if not value > 0:
        raise BadRequest("the time budget must be more than 0 seconds")
    return value


@router.post("/projects/{project}/datasets/{dataset}/delete")
def delete_dataset(request: Request, project: str, dataset: str,
                   csrf_token: Token = "") -> Response:
    with visit(request, csrf_token) as v:
        collections.delete_collection(v.db, v.user, project, dataset)
    return redirect(project_url(project))


@router.post("/projects/{project}/datasets/{dataset}/models/{model}/predict")
def predict(request: Request, project: str, dataset: str, model: str, csrf_token: Token = "",
            file: UploadFile | None = None) -> Response:
    api = api_of(request)
    with visit(request, csrf_token) as v:
        try:
            raw = _read_upload(file, api.ingest_limits.max_file_bytes)
            form = CsvPrediction(
                project_name=project, collection_name=dataset, model_name=model,
                file_data=base64.b64encode(raw).decode(),
                compression_type="gzip" if raw[:2] == b"\x1f\x8b" else None)
            answer = automl.predict(v.db, v.user, form, limits=api.ingest_limits)
        except AppError as err:
            return _refused(request, v, err, "model.html",
                            lambda: contexts.model_page(v, project, dataset, model))
    return Response(_predictions_csv(answer), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{model}-predictions.csv"'})


def _predictions_csv(answer: automl.Prediction) -> str:
    """One row per input row: the prediction, then each class's probability."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    classes = answer.classes or []
    probabilities = answer.result.probabilities
    writer.writerow(["row", "prediction", *(f"probability_{c}" for c in classes)])
    for i, prediction in enumerate(answer.result.predictions):
        extra = [f"{p:.6g}" for p in probabilities[i]] if classes and probabilities is not None \
            else []
        writer.writerow([i + 1, prediction, *extra])
    return out.getvalue()


@router.post("/projects/{project}/datasets/{dataset}/models/{model}/delete")
def delete_model(request: Request, project: str, dataset: str, model: str,
                 csrf_token: Token = "") -> Response:
    with visit(request, csrf_token) as v:
        automl.delete_model(v.db, v.user, ModelName(project, dataset, model))
    return redirect(dataset_url(project, dataset))


@router.post("/jobs/{job_id}/cancel")
def cancel_job(request: Request, job_id: str, csrf_token: Token = "") -> Response:
    with visit(request, csrf_token) as v:
        try:
            jobs.cancel_job(v.db, v.user, job_id)
        except AppError as err:
            return _refused(request, v, err, "error.html", dict)
    return redirect(job_url(job_id))

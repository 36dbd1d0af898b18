"""/openapi.json as the server really answers: each operation lists the statuses it can answer,
its success (200) with the schema of its own answer (declared on its route with
`responses=ok(Model)`, models in app/api/responses.py), failures with the error envelope's
schema, and no 422 (request validation answers 400).

The routers stay thin: the failure statuses of each endpoint are kept here, in one table."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from app.api import responses as success
from app.api.schemas import ErrorResponse, init_widths, upload_widths
from app.config import Settings

ERRORS: dict[int, str] = {
    400: "Invalid request: a malformed body, a missing field, a value of the wrong type or "
         "outside its rule, or data that does not suit the dataset; also the rate limit",
    401: "The user_api_key is missing or unknown",
    404: "The project, dataset, model or job does not exist (for this key)",
    409: "A name already taken, a model still training or failed, a job already ended",
    413: "The request body is over the size limit",
    500: "A bug in the server",
    503: "The database is unavailable right now; nothing was changed, try again shortly",
}
_ALWAYS = (400, 401, 413, 500, 503)
_FOUND = (*_ALWAYS, 404)
_FOUND_OR_CONFLICT = (*_FOUND, 409)

STATUSES: dict[str, tuple[int, ...]] = {
    "/api/create_project": (*_ALWAYS, 409),
    "/api/delete_project": _FOUND,
    "/api/get_project_list": _ALWAYS,
    "/api/init": _FOUND_OR_CONFLICT,
    "/api/delete_collection": _FOUND,
    "/api/get_collection_list": _FOUND,
    "/api/get_collection_info": _FOUND,
    "/api/add_data": _FOUND,
    "/api/add_data_batch": _FOUND,
    "/api/upload": _FOUND_OR_CONFLICT,  # the dataset it creates may be created meanwhile
    "/api/upload_automl_X": _FOUND_OR_CONFLICT,
    "/api/attach_automl_label": _FOUND,
    "/api/delete_data": _FOUND,
    "/api/get_upload_data_status": _FOUND,
    "/api/get_automl_training_status": _FOUND,
    "/api/cancel_job": _FOUND_OR_CONFLICT,
    "/api/list_jobs": _FOUND,
    "/api/train_automl_model": _FOUND_OR_CONFLICT,
    "/api/automl_predict": _FOUND_OR_CONFLICT,
    "/api/get_model_validation_metric": _FOUND_OR_CONFLICT,
    "/api/get_feature_importance": _FOUND_OR_CONFLICT,
    "/api/get_model_leaderboard": _FOUND_OR_CONFLICT,
    "/api/list_automl_model_infos": _FOUND,
    "/api/delete_automl_model": _FOUND,
    "/api/download_automl_model": _FOUND_OR_CONFLICT,  # a model training or failed: 409
    "/health": (413, 500),
    "/ready": (413, 500, 503),  # 503: the database, its schema or the broker, with the reason
}
"""The failure statuses of each operation. An operation missing here is documented with every
failure status (tests/api/test_openapi.py asserts that each one is listed)."""

SUCCESS_ELSEWHERE: dict[str, type[BaseModel]] = {"/health": success.HealthResponse}
"""The success models of routes declared outside the routers (app/main.py)."""

_REF = "#/components/schemas/{model}"


def _content(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}


def declared_success(operation: dict[str, Any]) -> tuple[str, str] | None:
    """The component name and description of the success model a route declares with
    `responses=ok(Model)` (app/api/responses.py), as FastAPI put it in the document: a `$ref`
    merged into the schema of the route's `-> dict` annotation, which is dropped here."""
    answer = operation.get("responses", {}).get("200", {})
    ref = answer.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    return (ref.rsplit("/", 1)[1], answer.get("description") or "Success") if ref else None


def responses(path: str, model: str = "Success", description: str = "Success") -> dict[str, Any]:
    """The answers of `path`: 200 with the schema named `model` (the bare envelope when none
    is declared; tests/api/test_openapi.py requires one on every route), and each failure
    status with the error envelope."""
    answers = {"200": {"description": description, "content": _content(model)}}
    for status in sorted(STATUSES.get(path, tuple(ERRORS))):
        answers[str(status)] = {"description": ERRORS[status],
                                "content": _content("ErrorResponse")}
    return answers


def build(app: FastAPI, settings: Settings) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, description=app.description,
                           openapi_version=app.openapi_version, routes=app.routes)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    extra = {ErrorResponse, success.Success, *SUCCESS_ELSEWHERE.values()}
    _, generated = models_json_schema(
        [(model, "serialization") for model in sorted(extra, key=lambda m: m.__name__)],
        ref_template=_REF)
    for name, schema in generated.get("$defs", {}).items():
        schemas.setdefault(name, schema)
    widths = settings.max_dense_dim, settings.max_sparse_dim  # this server's limits
    schemas["InitRequest"]["anyOf"] = init_widths(*widths)
    for name in ("UploadRequest", "UploadAutomlXRequest"):
        schemas[name]["anyOf"] = upload_widths(*widths)
    for path, operations in document["paths"].items():
        for operation in operations.values():
            # the call's own name (get_project_list), not FastAPI's
            # get_project_list_api_get_project_list_post: generated clients name functions so
            operation["operationId"] = path.rsplit("/", 1)[1]
            model = declared_success(operation)
            if model is None and path in SUCCESS_ELSEWHERE:
                model = SUCCESS_ELSEWHERE[path].__name__, "Success"
            operation["responses"] = responses(path, *(model or ()))
    if not any(_content("Success") == operation["responses"]["200"]["content"]
               for operations in document["paths"].values()
               for operation in operations.values()):
        schemas.pop("Success")  # every route declares its own
    return document


def install(app: FastAPI, settings: Settings) -> None:
    """Serve `build(app, settings)` (made once, on first use) as /openapi.json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, settings)
        return app.openapi_schema

    app.openapi = openapi

"""/openapi.json as the server really answers: each operation lists the statuses it can answer,
failures with the error envelope's schema, and no 422 (request validation answers 400).

The routers stay thin: the statuses of each endpoint are kept here, in one table."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from app.api.schemas import ErrorResponse, SuccessResponse, init_widths, upload_widths
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
    "/api/list_automl_model_infos": _FOUND,
    "/api/delete_automl_model": _FOUND,
    "/health": (413, 500),
}
"""The failure statuses of each operation. An operation missing here is documented with every
failure status (tests/api/test_openapi.py asserts that each one is listed)."""

_REF = "#/components/schemas/{model}"


def _content(model: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": _REF.format(model=model)}}}


def responses(path: str) -> dict[str, Any]:
    answers = {"200": {"description": "Success", "content": _content("SuccessResponse")}}
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
    for model in (ErrorResponse, SuccessResponse):
        schemas[model.__name__] = model.model_json_schema(ref_template=_REF)
    widths = settings.max_dense_dim, settings.max_sparse_dim  # this server's limits
    schemas["InitRequest"]["anyOf"] = init_widths(*widths)
    for name in ("UploadRequest", "UploadAutomlXRequest"):
        schemas[name]["anyOf"] = upload_widths(*widths)
    for path, operations in document["paths"].items():
        for operation in operations.values():
            operation["responses"] = responses(path)
    return document


def install(app: FastAPI, settings: Settings) -> None:
    """Serve `build(app, settings)` (made once, on first use) as /openapi.json."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build(app, settings)
        return app.openapi_schema

    app.openapi = openapi

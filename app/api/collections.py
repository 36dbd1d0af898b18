from fastapi import APIRouter

from app.api import responses, views
from app.api.deps import ApiDep
from app.api.envelope import success
from app.api.responses import ok
from app.api.routing import OrjsonRoute
from app.api.schemas import (
    AddDataBatchRequest,
    AddDataRequest,
    AttachLabelRequest,
    CollectionRequest,
    DeleteDataRequest,
    InitRequest,
    ProjectRequest,
    UploadAutomlXRequest,
    UploadRequest,
)
from app.services import collections, data

router = APIRouter(route_class=OrjsonRoute, tags=["datasets and data"])


@router.post("/init", responses=ok(responses.OkResponse))
def init(body: InitRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        data.check_vector_dim(body.vector_type, body.vector_dim, api.ingest_limits)
        collections.init_collection(session, user, body.project_name, body.collection_name,
                                    body.vector_type, body.vector_dim)
    return success()


@router.post("/delete_collection", responses=ok(responses.OkResponse))
def delete_collection(body: CollectionRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        collections.delete_collection(session, user, body.project_name, body.collection_name)
    return success()


@router.post("/get_collection_list", responses=ok(responses.CollectionListResponse))
def get_collection_list(body: ProjectRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        names = [c.name for c in collections.list_collections(session, user, body.project_name)]
    return success(collection_list=names)


@router.post("/get_collection_info", responses=ok(responses.CollectionInfoResponse))
def get_collection_info(body: CollectionRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        collection = collections.get_collection(session, user, body.project_name,
                                                body.collection_name)
        return success(**views.collection_info(collection))


@router.post("/add_data", responses=ok(responses.JobStartedResponse))
def add_data(body: AddDataRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        job = data.add_batch(
            session, user, body.project_name, body.collection_name, data=[body.data],
            string_ids=None if body.string_id is None else [body.string_id],
            attributes=[body.attributes or {}], action="add_data", limits=api.ingest_limits)
    return api.submit(job)


@router.post("/add_data_batch", responses=ok(responses.JobStartedResponse))
def add_data_batch(body: AddDataBatchRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        job = data.add_batch(session, user, body.project_name, body.collection_name,
                             data=body.data, string_ids=body.string_ids,
                             attributes=body.attributes, limits=api.ingest_limits)
    return api.submit(job)


@router.post("/upload", responses=ok(responses.JobStartedResponse))
def upload(body: UploadRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        job = data.upload(session, user, body, file_data=body.file_data, action="upload",
                          limits=api.ingest_limits)
    return api.submit(job)


@router.post("/upload_automl_X", responses=ok(responses.JobStartedResponse))
def upload_automl_x(body: UploadAutomlXRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        job = data.upload(session, user, body, file_data=body.X, action="upload_automl_X",
                          limits=api.ingest_limits)
    return api.submit(job)


@router.post("/attach_automl_label", responses=ok(responses.JobStartedResponse))
def attach_automl_label(body: AttachLabelRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        job = data.attach_label(session, user, body, limits=api.ingest_limits)
    return api.submit(job)


@router.post("/delete_data", responses=ok(responses.JobStartedResponse))
def delete_data(body: DeleteDataRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        job = data.delete_data(session, user, body.project_name, body.collection_name,
                               body.string_ids, limits=api.ingest_limits)
    return api.submit(job)

from fastapi import APIRouter

from app.api import responses, views
from app.api.deps import ApiDep
from app.api.envelope import success
from app.api.responses import ok
from app.api.routing import OrjsonRoute
from app.api.schemas import (
    CollectionRequest,
    DownloadModelRequest,
    FeatureImportanceRequest,
    ModelRequest,
    PredictRequest,
    TrainRequest,
)
from app.errors import BadRequest
from app.services import automl

router = APIRouter(route_class=OrjsonRoute, tags=["automl"])


@router.post("/train_automl_model", responses=ok(responses.JobStartedResponse))
def train_automl_model(body: TrainRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        job = automl.start_training(session, user, body, limits=api.training_limits)
    return api.submit(job)


@router.post("/automl_predict", responses=ok(responses.PredictionResponse))
def automl_predict(body: PredictRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        answer = automl.predict(session, user, body, limits=api.ingest_limits,
                                explain=body.explain)
    return success(**views.prediction(answer, with_probabilities=body.return_probabilities))


@router.post("/get_model_validation_metric", responses=ok(responses.ValidationMetricResponse))
def get_model_validation_metric(body: ModelRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        model = automl.get_model(session, user, body.project_name, body.collection_name,
                                 body.model_name)
        return success(validation_metric=model.validation_metric)


@router.post("/get_model_leaderboard", responses=ok(responses.LeaderboardResponse))
def get_model_leaderboard(body: ModelRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        model = automl.get_model(session, user, body.project_name, body.collection_name,
                                 body.model_name)
        return success(leaderboard=model.leaderboard or [])


@router.post("/get_feature_importance", responses=ok(responses.FeatureImportanceResponse))
def get_feature_importance(body: FeatureImportanceRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        if body.importance_type == "permutation":
            result = automl.permutation_importance(session, user, body, body.validation_dataset)
            return success(**views.permutation_importance(result))
        if body.importance_type != "gain":
            raise BadRequest("importance_type must be 'gain' or 'permutation'; got "
                             f"{body.importance_type!r}")
        model = automl.get_model(session, user, body.project_name, body.collection_name,
                                 body.model_name)
        return success(feature_importance=model.feature_importance or [])


@router.post("/list_automl_model_infos", responses=ok(responses.ModelInfosResponse))
def list_automl_model_infos(body: CollectionRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        models = automl.list_models(session, user, body.project_name, body.collection_name)
        return success(model_infos=views.model_infos(
            models, infos_format=api.settings.model_infos_format))


@router.post("/download_automl_model", responses=ok(responses.DownloadModelResponse))
def download_automl_model(body: DownloadModelRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        download = automl.download_model(session, user, body)
    return success(**views.model_download(download))


@router.post("/delete_automl_model", responses=ok(responses.OkResponse))
def delete_automl_model(body: ModelRequest, api: ApiDep) -> dict:
    with api.session(body) as (session, user):
        automl.delete_model(session, user, body)
    return success()

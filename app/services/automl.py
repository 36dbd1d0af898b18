"""AutoML use cases: start a training job, predict, and read or delete models."""

from dataclasses import dataclass

from automl_runtime.artifact import describe as _describe_artifact
from automl_runtime.artifact import read as _read_artifact
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.automl.explain import ExplainRefused, Explanation, PermutationResult
from app.automl.explain import check_explainable as _check_explainable
from app.automl.explain import permutation_importance as _permutation_importance
from app.automl.metrics import metrics_for
from app.automl.model import PredictionResult
from app.db.models import Collection, Job, Model, ModelArtifact, User
from app.errors import BadRequest, Conflict, NotFound
from app.ingest import Columns, IngestError, ParseOptions, decode_file, parse_file
from app.jobs.data_job import ingest_error
from app.jobs.state import new_job, release
from app.jobs.tables import prediction_features
from app.services.collections import get_collection
from app.services.data import FILE_FORMATS, IngestLimits, check_file_format
from app.services.model_cache import model_cache
from app.services.names import check_attribute_name, check_name
from app.services.requests import DownloadRequest, ModelRef, PredictionRequest, TrainingRequest
from app.storage.collections import read_collection

TRAINING_MODES = ("high_speed", "balanced", "high_accuracy", "auto")
TASK_TYPES = ("classification", "regression")
CLASS_WEIGHTS = ("balanced",)


def _training_options(body: TrainingRequest, categorical: list[str]) -> dict:
    """eval_metric, weight_attribute and class_weight, checked against the task (400s that
    say what fits); absent ones are None (the defaults: AUC / log loss / MSE, no weights)."""
    metric = getattr(body, "eval_metric", None)
    weight = getattr(body, "weight_attribute", None)
    class_weight = getattr(body, "class_weight", None)
    allowed = metrics_for(body.task_type)
    if metric is not None and metric not in allowed:
        raise BadRequest(f"eval_metric {metric!r} does not fit a {body.task_type}; use one of "
                         f"{', '.join(allowed)}")
    if class_weight is not None:
        if class_weight not in CLASS_WEIGHTS:
            raise BadRequest(f"class_weight must be 'balanced' or left out; got {class_weight!r}")
        if body.task_type != "classification":
            raise BadRequest("class_weight is for classification; leave it out of a regression")
    if weight is not None:
        check_attribute_name("weight_attribute", weight)
        if weight == body.label_attribute:
            raise BadRequest(f"'{weight}' is the label; weight_attribute must be another "
                             "numeric attribute")
        if weight in categorical:
            raise BadRequest(f"'{weight}' is a categorical feature; weight_attribute must be a "
                             "numeric attribute that is not a feature (leave it out of "
                             "categorical_features)")
    return {"eval_metric": metric, "weight_attribute": weight, "class_weight": class_weight}


def _pending_data_jobs(session: Session, collection: Collection) -> bool:
    return session.scalar(
        select(Job.id).where(Job.collection_id == collection.id, Job.kind == "data",
                             Job.status.in_(("pending", "in_progress"))).limit(1)
    ) is not None


def start_training(session: Session, user: User, body: TrainingRequest, *,
                   limits: dict | None = None) -> Job:
    """`limits`: the training's resource limits (train_memory_limit, max_classes), checked by
    the job before it fits."""
    check_name("model_name", body.model_name)
    check_attribute_name("label_attribute", body.label_attribute)
    if body.training_mode not in TRAINING_MODES:
        raise BadRequest(f"training_mode must be one of {', '.join(TRAINING_MODES)}; "
                         f"got {body.training_mode!r}")
    if body.task_type not in TASK_TYPES:
        raise BadRequest(
            f"task_type must be 'classification' or 'regression'; got {body.task_type!r}")
    collection = get_collection(session, user, body.project_name, body.collection_name)
    requested = [body.categorical_features, body.train_categorical_features]
    if all(r is None for r in requested):  # default: what the uploader declared categorical
        categorical = list(collection.categorical_attributes or [])
    else:
        categorical = list(dict.fromkeys(name for r in requested for name in r or []))
    if body.label_attribute in categorical:
        raise BadRequest(f"'{body.label_attribute}' is the label; it cannot also be a feature")
    options = _training_options(body, categorical)
    known = set(collection.attribute_names or []) | set(collection.feature_names or [])
    if not _pending_data_jobs(session, collection):
        if collection.num_vectors == 0:
            raise BadRequest(f"collection '{collection.name}' has no data; add data first")
        weight = [options["weight_attribute"]] if options["weight_attribute"] else []
        for name in [body.label_attribute, *categorical, *weight]:
            if name not in known:
                raise BadRequest(f"attribute '{name}' is not in collection '{collection.name}'; "
                                 f"it has {sorted(known) or 'no attributes'}")
    validation_id = None
    if body.validation_dataset:
        validation = get_collection(session, user, body.project_name, body.validation_dataset)
        if validation.id == collection.id:
            raise BadRequest(
                f"validation_dataset '{validation.name}' is the training dataset: a score on the "
                "rows the model is trained on says nothing of new data; give a separate dataset "
                "(the spec's word), or leave validation_dataset out for an out-of-fold score")
        if validation.vector_type != collection.vector_type or (
                collection.vector_type == "dense" and validation.vector_dim != collection.vector_dim
                and not (validation.feature_names and collection.feature_names)):
            raise BadRequest("validation_dataset must have the same vector type and dimension as "
                             "the training dataset")
        validation_id = validation.id
    existing = session.scalar(
        select(Model).where(Model.collection_id == collection.id, Model.name == body.model_name))
    if existing is not None:
        if existing.status != "failed":
            raise Conflict(f"Model already exists: '{body.model_name}' in collection "
                           f"'{collection.name}'; delete it first or pick another name")
        session.delete(existing)
        session.flush()
    meta = {
        "model_name": body.model_name, "task_type": body.task_type,
        "training_mode": body.training_mode, "label_attribute": body.label_attribute,
        "categorical_features": categorical, "validation_collection_id": validation_id,
        "time_budget": body.time_budget, "seed": body.seed, "limits": limits or {},
        **options,
    }
    details = {"task_type": body.task_type, "model_name": body.model_name,
               "label_attribute": body.label_attribute}
    job = new_job(session, user.id, kind="train", action="train_automl_model", meta=meta,
                  project_id=collection.project_id, collection_id=collection.id,
                  details=details)
    session.add(Model(
        collection_id=collection.id, name=body.model_name, task_type=body.task_type,
        training_mode=body.training_mode, label_attribute=body.label_attribute,
        categorical_features=categorical, status="training", job_id=job.id))
    return job


def get_model(session: Session, user: User, project_name: str, collection_name: str,
              model_name: str, *, ready: bool = True) -> Model:
    collection = get_collection(session, user, project_name, collection_name)
    model = session.scalar(
        select(Model).where(Model.collection_id == collection.id, Model.name == model_name))
    if model is None:
        raise NotFound(f"Model does not exist: '{model_name}' in collection '{collection_name}'")
    if ready and model.status == "training":
        raise Conflict(f"Model '{model_name}' is still training; poll get_automl_training_status")
    if ready and model.status == "failed":
        raise Conflict(f"Model '{model_name}' failed to train; see its training job for why")
    return model


def _inline_table(body: PredictionRequest, model: Model, limits: IngestLimits) -> Columns:
    """The file of a predict request, parsed: the format in any case or an alias (not binary),
    within the server's limits. A model on named columns needs them numeric; for one on unnamed
    vectors, a text column that leaves the file short is named in the error."""
    file_format = check_file_format(body.file_format, FILE_FORMATS[:3])
    layout = model.feature_layout or {}
    names = list(layout.get("numeric_names") or [])
    try:
        raw = decode_file(body.file_data, body.compression_type, max_bytes=limits.max_file_bytes)
        rows = parse_file(raw, ParseOptions(
            file_format=file_format, has_field_names=body.has_field_names,
            id_column=body.id_column,
            attribute_columns=[*model.categorical_features, model.label_attribute],
            libsvm_label_name=model.label_attribute, optional_columns=True,
            numeric_columns=names if layout.get("named") else [],
            feature_count=None if layout.get("named") else layout.get("n_numeric", len(names)),
            limits=limits,
        ))
    except IngestError as err:
        raise ingest_error(err) from err
    return rows


@dataclass(frozen=True)
class Prediction:
    """A model's answer for some rows: `classes` (the order of the probability columns) for a
    classifier, None for a regressor."""

    result: PredictionResult
    classes: list | None
    explanation: Explanation | None = None  # with explain: true


def predict(session: Session, user: User, body: PredictionRequest, *,
            limits: IngestLimits, explain: bool = False) -> Prediction:
    """`explain`: add each row's feature contributions to the raw score
    (app/automl/explain.py); refused for stacked ensembles (409) and past its row cap (400)."""
    model = get_model(session, user, body.project_name, body.collection_name, body.model_name)
    if body.file_data == "":
        raise BadRequest("file_data is empty: give the rows to predict, base64-encoded, or "
                         "prediction_dataset")
    if body.prediction_dataset:
        source = get_collection(session, user, body.project_name, body.prediction_dataset)
        table = read_collection(session, source)
        if table.n == 0:
            raise BadRequest(f"prediction dataset '{source.name}' has no data")
    elif body.file_data:
        table = _inline_table(body, model, limits)
    else:
        raise BadRequest("give either prediction_dataset or file_data (with file_format)")
    fitted = model_cache.get(session, model)
    features, truth = prediction_features(
        table, model.feature_layout, model.categorical_features, model.label_attribute)
    classes = fitted.classes_ if model.task_type == "classification" else None
    if not explain:
        return Prediction(result=fitted.evaluate(features, truth), classes=classes)
    try:
        _check_explainable(fitted, features.n_rows)
        explanation = fitted.explain(features)
    except ExplainRefused as err:
        raise (BadRequest if err.too_large else Conflict)(str(err)) from err
    return Prediction(result=fitted.evaluate(features, truth), classes=classes,
                      explanation=explanation)


def _selection_metric(model: Model) -> str | None:
    """The metric the model was selected by, as its leaderboard names it (None: older models,
    chosen by the default metric)."""
    for entry in model.leaderboard or []:
        if isinstance(entry, dict) and entry.get("metric"):
            return str(entry["metric"])
    return None


def permutation_importance(session: Session, user: User, body: ModelRef,
                           dataset: str | None) -> PermutationResult:
    """Permutation importance on `dataset`'s labelled rows, which must be held out: the
    training dataset is refused, since shuffling a feature on rows the model was fitted on
    measures what it memorised (app/automl/explain.py)."""
    model = get_model(session, user, body.project_name, body.collection_name, body.model_name)
    if not dataset:
        raise BadRequest(
            "importance_type 'permutation' needs held-out labelled rows: give "
            "validation_dataset, a dataset of this project with the label attribute "
            f"'{model.label_attribute}' whose rows the model was not trained on (such as the "
            "validation_dataset given to train_automl_model)")
    source = get_collection(session, user, body.project_name, dataset)
    if source.id == model.collection_id:
        raise BadRequest(
            f"'{source.name}' is the dataset model '{model.name}' was trained on; permutation "
            "importance on training rows measures what the model memorised. Give a held-out "
            "dataset as validation_dataset")
    table = read_collection(session, source)
    if table.n == 0:
        raise BadRequest(f"validation dataset '{source.name}' has no data")
    fitted = model_cache.get(session, model)
    features, truth = prediction_features(
        table, model.feature_layout, model.categorical_features, model.label_attribute,
        source=f"validation dataset '{source.name}'")
    if truth is None:
        raise BadRequest(f"validation dataset '{source.name}' has no label attribute "
                         f"'{model.label_attribute}'")
    try:
        return _permutation_importance(fitted, features, fitted.labels.encode_truth(truth),
                                       _selection_metric(model))
    except ValueError as err:
        raise BadRequest(f"validation dataset '{source.name}': {err} (label attribute "
                         f"'{model.label_attribute}')") from err


def list_models(session: Session, user: User, project_name: str,
                collection_name: str) -> list[Model]:
    """The dataset's trained models (not those training or failed), oldest first."""
    collection = get_collection(session, user, project_name, collection_name)
    return list(session.scalars(
        select(Model).where(Model.collection_id == collection.id, Model.status == "ready")
        .order_by(Model.id)))


MODEL_FORMATS = ("zip", "onnx")


@dataclass(frozen=True)
class ModelDownload:
    """A model taken out: the file's bytes, the artifact format version and what the model
    reads and is made of (`automl_runtime.artifact.describe`, plus the label's name)."""

    data: bytes
    format_version: int
    manifest: dict


def download_model(session: Session, user: User, body: DownloadRequest) -> ModelDownload:
    """The model as a file of `body.format`: zip, the artifact itself (what automl_runtime
    loads)."""
    if body.format not in MODEL_FORMATS:
        raise BadRequest(f"format must be one of {', '.join(MODEL_FORMATS)}; "
                         f"got {body.format!r}")
    model = get_model(session, user, body.project_name, body.collection_name, body.model_name)
    stored = session.get(ModelArtifact, model.id)
    if stored is None:
        raise NotFound(f"Model '{model.name}' has no stored artifact")
    manifest, _ = _read_artifact(stored.data)
    summary = {**_describe_artifact(manifest), "label": model.label_attribute}
    return _export(body.format, model, bytes(stored.data), manifest, summary)


def _export(file_format: str, model: Model, artifact: bytes, manifest: dict,
            summary: dict) -> ModelDownload:
    """The one place a download format is chosen: one branch per format."""
    if file_format == "zip":
        return ModelDownload(artifact, int(manifest["version"]), {"format": "zip", **summary})
    if file_format == "onnx":
        return _export_onnx(artifact, int(manifest["version"]), summary)
    raise BadRequest(f"format must be one of {', '.join(MODEL_FORMATS)}; got {file_format!r}")


def _export_onnx(artifact: bytes, format_version: int, summary: dict) -> ModelDownload:
    """One ONNX graph giving automl_predict's answers (app/automl/onnx_export.py); a model it
    cannot express exactly, or a server without the onnx extra, is a 400 saying why."""
    from app.automl.model import FittedModel
    from app.automl.onnx_export import NotExportable, OnnxUnavailable, input_names, to_onnx

    fitted = FittedModel.from_bytes(artifact)
    try:
        data = to_onnx(fitted)
    except NotExportable as err:
        raise BadRequest(f"cannot export this model to ONNX: {err}") from err
    except OnnxUnavailable as err:
        raise BadRequest(str(err)) from err
    return ModelDownload(data, format_version, {"format": "onnx", **summary,
                                                "onnx_inputs": input_names(fitted)})


def delete_model(session: Session, user: User, body: ModelRef) -> None:
    model = get_model(session, user, body.project_name, body.collection_name, body.model_name,
                      ready=False)
    model_cache.drop(session, [model])
    if model.job_id is not None:
        release(session, Job.id == model.job_id, "cancelled: the model was deleted")
    session.delete(model)

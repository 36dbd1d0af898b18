"""Domain objects worded as the fields of VecML's answers (the envelope is `app.api.envelope`'s).

Times are VecML's "2025/01/15 14:30:25" in the server's local time; fields VecML does not
document are extensions, marked as such in app/api/responses.py."""

import base64
from datetime import UTC, datetime

from app.automl.explain import Explanation, PermutationResult
from app.db.models import Collection, Job, Model
from app.services.automl import ModelDownload, Prediction
from app.services.jobs import JobPage, JobStatus

MODEL_INFO_KEYS = ("model_name", "task_type", "training_mode", "label_attribute", "create_time")


def format_time(moment: datetime | None) -> str | None:
    return moment.astimezone().strftime("%Y/%m/%d %H:%M:%S") if moment else None


def format_duration(job: Job) -> str:
    if job.started_at is None:
        seconds = 0
    else:
        end = job.finished_at or datetime.now(UTC)
        seconds = max(0, int((end - job.started_at).total_seconds()))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def job_status(status: JobStatus) -> dict:
    """Documented fields first; `progress`, `current_step` and job details are extensions."""
    job = status.job
    view: dict = {
        "job_id": job.id,
        "job_type": job.action,
        "status": job.status,
        "start_time": format_time(job.started_at or job.created_at),
        "duration": format_duration(job),
        "progress": round(job.progress or 0.0, 3),
        "current_step": job.step,
    }
    if status.project_name is not None:
        view["project_name"] = status.project_name
    if status.collection_name is not None:
        view["collection_name"] = status.collection_name
    if status.model is not None:
        view["validation_metric"] = status.model.validation_metric
        view["leaderboard"] = status.model.leaderboard
    if job.status == "failed":
        view["error"] = job.error or "the job failed"
    if job.result:
        view.update(job.result)
    return view


def job_page(page: JobPage) -> dict:
    return {"total": page.total, "jobs": [job_status(status) for status in page.jobs]}


def cancelled_job(job: Job) -> dict:
    return {"job_id": job.id, "status": job.status, "error": job.error}


def collection_info(collection: Collection) -> dict:
    return {
        "collection_name": collection.name,
        "vector_type": collection.vector_type,
        "vector_dim": collection.vector_dim,
        "num_vectors": collection.num_vectors,
        "attribute_names": list(collection.attribute_names or []),
        "feature_names": collection.feature_names,
        "categorical_attributes": list(collection.categorical_attributes or []),
        "create_time": collection.created_at.strftime("%Y/%m/%d %H:%M:%S"),
    }


def prediction(answer: Prediction, *, with_probabilities: bool) -> dict:
    """Probabilities (an extension) when asked for and the model is a classifier."""
    result = answer.result
    view: dict = {"num_samples": result.num_labelled, "predictions": result.predictions}
    if result.metric is not None:
        view["prediction_metric"] = result.metric
    if with_probabilities and answer.classes is not None and result.probabilities is not None:
        view["classes"] = answer.classes
        view["probabilities"] = result.probabilities.tolist()
    if answer.explanation is not None:
        view["explanations"] = explanations(answer.explanation, answer.classes)
    return view


def explanations(e: Explanation, classes: list | None) -> dict:
    """Binary and regression: one list of contributions per row; multiclass: per class."""
    view: dict = {"raw_score": e.space, "features": e.features}
    if e.space == "margin" and classes is not None:
        view["classes"] = [
            {"label": label, "base_value": e.base_value[k],
             "contributions": e.contributions[:, k, :].tolist()}
            for k, label in enumerate(classes)]
        return view
    view["base_value"] = e.base_value
    view["contributions"] = e.contributions.tolist()
    if e.space == "log_odds" and classes is not None:
        view["positive_class"] = classes[1]
    return view


def permutation_importance(result: PermutationResult) -> dict:
    return {
        "feature_importance": [{"feature": r.feature, "importance": r.importance, "std": r.std}
                               for r in result.importances],
        "importance_type": "permutation",
        "metric": result.metric,
        "num_rows": result.num_rows,
        "n_repeats": result.n_repeats,
    }


def model_download(download: ModelDownload) -> dict:
    """download_automl_model's fields: the file in base64, its version and manifest."""
    return {"model_data": base64.b64encode(download.data).decode("ascii"),
            "format_version": download.format_version, "manifest": download.manifest}


def _model_time(moment: datetime | None) -> str | None:
    """VecML's "2025/01/15, 14:30" for a model's creation."""
    text = format_time(moment)
    return text.replace(" ", ", ", 1)[:-3] if text else None


def model_infos(models: list[Model], infos_format: str = "arrays") -> list:
    """VecML documents each model as an array of the five MODEL_INFO_KEYS values; its live
    service answers objects with those keys (`infos_format="objects"`)."""
    infos = [[m.name, m.task_type, m.training_mode, m.label_attribute, _model_time(m.created_at)]
             for m in models]
    if infos_format == "objects":
        return [dict(zip(MODEL_INFO_KEYS, info, strict=True)) for info in infos]
    return infos

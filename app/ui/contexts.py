"""What each page shows, gathered from the services (the API's own): a page and the form
that failed on it are drawn from the same context."""

from datetime import UTC, datetime

from app.automl.metrics import CLASSIFICATION_METRICS, REGRESSION_METRICS
from app.db.models import Job, Model
from app.services import automl, collections, jobs, projects, summaries
from app.ui import charts
from app.ui.rendering import dataset_url, model_url
from app.ui.session import Visit

JOBS_SHOWN = 100


def projects_page(v: Visit) -> dict:
    counts = projects.dataset_counts(v.db, v.user)
    return {"projects": list(counts), "dataset_counts": counts}


def project_page(v: Visit, project: str) -> dict:
    datasets = collections.list_collections(v.db, v.user, project)
    return {"project": project, "datasets": datasets}


def dataset_page(v: Visit, project: str, dataset: str) -> dict:
    collection = collections.get_collection(v.db, v.user, project, dataset)
    summary = summaries.summarize(v.db, collection)
    labels = [a.name for a in summary.attributes] + [f.name for f in summary.features
                                                     if collection.feature_names]
    text = [a.name for a in summary.attributes if a.kind in ("text", "boolean", "mixed")]
    return {"project": project, "dataset": collection, "summary": summary,
            "models": automl.list_models(v.db, v.user, project, dataset),
            "metric_choices": {"classification": CLASSIFICATION_METRICS,
                               "regression": REGRESSION_METRICS},
            "label_choices": labels, "label_default": _label_default(summary),
            "categorical_choices": [a.name for a in summary.attributes],
            "categorical_default": set(collection.categorical_attributes or text)}


def _label_default(summary: summaries.DatasetSummary) -> str | None:
    """The last attribute: a CSV's label is most often its last column."""
    return summary.attributes[-1].name if summary.attributes else None


def metric_rows(model: Model) -> list[tuple[str, object]]:
    metric = model.validation_metric
    if isinstance(metric, dict):
        return [(name, value) for name, value in metric.items()]
    if metric is None:
        return []
    return [("mse", metric), ("rmse", float(metric) ** 0.5)]


def _curves(roc: dict | list | None) -> list[dict]:
    """The ROC curves of the model's diagnostics: the positive class's, or one per class."""
    if not roc:
        return []
    entries = roc if isinstance(roc, list) else [roc]
    return [{"label": e.get("positive_class", e.get("class", e.get("label", ""))),
             "auc": e.get("auc"), "fpr": e["fpr"], "tpr": e["tpr"]} for e in entries]


def model_page(v: Visit, project: str, dataset: str, name: str) -> dict:
    model = automl.get_model(v.db, v.user, project, dataset, name, ready=False)
    diagnostics = model.diagnostics or {}
    context: dict = {"project": project, "dataset": dataset, "model": model,
                     "metrics": metric_rows(model), "leaderboard": model.leaderboard or [],
                     "diagnostics": diagnostics, "charts": {}}
    if model.feature_importance:
        context["charts"]["importance"] = charts.importance_chart(model.feature_importance)
    curves = _curves(diagnostics.get("roc"))
    if curves:
        context["charts"]["roc"] = charts.roc_chart(curves)
    if diagnostics.get("kind") == "regression" and diagnostics.get("actual"):
        context["charts"]["scatter"] = charts.prediction_chart(diagnostics["actual"],
                                                               diagnostics["predicted"])
    return context


def compare_page(v: Visit, project: str, dataset: str) -> dict:
    models = automl.list_models(v.db, v.user, project, dataset)
    rows: dict[str, dict[str, object]] = {}
    for model in models:
        for metric, value in metric_rows(model):
            rows.setdefault(metric, {})[model.name] = value
    return {"project": project, "dataset": dataset, "models": models, "metric_rows": rows}


def jobs_page(v: Visit) -> dict:
    page = jobs.list_jobs(v.db, v.user, limit=JOBS_SHOWN)
    return {"jobs": page.jobs, "total": page.total}


def result_url(status: jobs.JobStatus) -> str | None:
    """Where a finished job's result is: its dataset, or the model it trained."""
    job = status.job
    if job.status != "finished" or not (status.project_name and status.collection_name):
        return None
    if job.kind == "train":
        model = (job.result or {}).get("model_name")
        return model_url(status.project_name, status.collection_name, model) if model else None
    return dataset_url(status.project_name, status.collection_name)


def eta_seconds(job: Job) -> float | None:
    """Time left at the pace so far; None until there is a pace to go by."""
    if job.status != "in_progress" or not job.started_at or not job.progress:
        return None
    if job.progress < 0.05:
        return None
    elapsed = (datetime.now(UTC) - job.started_at).total_seconds()
    return round(elapsed * (1 - job.progress) / job.progress, 1)

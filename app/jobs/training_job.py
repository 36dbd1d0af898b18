"""The training job: read the dataset, fit with the engine, store the fitted pipeline."""

import logging
import time

import numpy as np
from sqlalchemy import select

from app import automl
from app.config import TRAIN_MEMORY_FRACTION, Settings, machine_memory_bytes
from app.db.models import Collection, Job, Model, ModelArtifact
from app.db.session import Database
from app.errors import BadRequest
from app.ingest import Columns
from app.jobs.inputs import read_meta
from app.jobs.state import finish, still_ours
from app.jobs.tables import prediction_features, take_rows, training_features, weight_column
from app.storage.collections import read_collection

log = logging.getLogger(__name__)
PROGRESS_INTERVAL_SECONDS = 1.0
# Should the machine run out of memory anyway, the kernel's OOM killer takes the training
# process first (1000: always first), not the API server or the database next to it. Any
# process may raise its own score; only a privileged one may lower it again.
OOM_SCORE_ADJ = 1000


def training_limits(meta: dict) -> automl.Limits:
    """The limits the API packed into the job (`meta["limits"]`: `train_memory_limit` in
    bytes, `max_classes`), or the settings' defaults for a job queued without them."""
    given = meta.get("limits") or {}
    memory = given.get("train_memory_limit") or int(
        TRAIN_MEMORY_FRACTION * machine_memory_bytes())
    classes = given.get("max_classes") or Settings.model_fields["max_classes"].default
    return automl.Limits(memory_bytes=int(memory), max_classes=int(classes),
                         memory_name="AUTOML_TRAIN_MEMORY_LIMIT",
                         classes_name="AUTOML_MAX_CLASSES")


def volunteer_for_the_oom_killer() -> None:
    try:
        with open("/proc/self/oom_score_adj", "r+") as handle:
            if int(handle.read().strip() or 0) < OOM_SCORE_ADJ:
                handle.seek(0)
                handle.write(str(OOM_SCORE_ADJ))
    except (OSError, ValueError):  # not Linux, or not allowed: nothing to do
        pass


def _table(session, collection_id: int) -> Columns:
    collection = session.get(Collection, collection_id)
    if collection is None:
        raise BadRequest("the dataset was deleted before training started")
    return read_collection(session, collection)


class JobAbandoned(BadRequest):
    pass


def _progress_writer(db: Database, job_id: str, attempt: int):
    last = [0.0]

    def report(fraction: float, step: str) -> None:
        """Record progress; stop the training when the job was cancelled or taken away."""
        now = time.monotonic()
        if now - last[0] < PROGRESS_INTERVAL_SECONDS and fraction < 1.0:
            return
        last[0] = now
        with db.session() as session:
            job = session.get(Job, job_id)
            if not still_ours(job, attempt):
                raise JobAbandoned("the job was cancelled or taken over; training stopped")
            job.progress = max(0.0, min(1.0, float(fraction)))
            job.step = step[:200]

    return report


def run_training_job(db: Database, job: Job, attempt: int, *, threads: int = 1) -> None:
    """Runs outside any long transaction; the model and the job's end are stored in one.
    `threads`: the worker's settings.threads_per_training() (AUTOML_TRAIN_THREADS, by
    default the cores available divided among the concurrent trainings).

    The time budget (the request's `time_budget`, else the engine's default for the mode)
    counts from here: reading and decoding the stored rows and turning them into features
    are part of it (`automl.train(started_at=)`), not time the engine never sees."""
    started_at = time.monotonic()
    with db.session() as session:
        meta = read_meta(session, job.id)
    label, categorical = meta["label_attribute"], meta["categorical_features"]
    limits = training_limits(meta)
    volunteer_for_the_oom_killer()
    with db.session() as session:
        table = _table(session, job.collection_id)
        weight_name = meta.get("weight_attribute")
        features, labels, layout = training_features(
            table, label, categorical, exclude=[weight_name] if weight_name else [])
        weights = weight_column(table, weight_name, label) if weight_name else None
        validation = None
        if meta.get("validation_collection_id"):
            valid_table = _table(session, meta["validation_collection_id"])
            valid_x, valid_y = prediction_features(valid_table, layout, categorical, label,
                                                   source="validation_dataset")
            if valid_y is None or all(v is None for v in valid_y):
                raise BadRequest(f"validation_dataset has no values for label '{label}'")
            keep = np.flatnonzero([v is not None for v in valid_y])
            validation = (valid_x.take(keep), take_rows(valid_y, keep))
    try:
        result = automl.train(
            features, labels, task=meta["task_type"], mode=meta["training_mode"],
            validation=validation, time_budget=meta.get("time_budget"),
            seed=meta.get("seed") or 0, progress=_progress_writer(db, job.id, attempt),
            limits=limits, eval_metric=meta.get("eval_metric"), sample_weight=weights,
            class_weight=meta.get("class_weight"), threads=threads, started_at=started_at)
    except automl.TrainingError as err:
        raise BadRequest(str(err)) from err
    if result.memory_estimate is not None:
        log.info("job %s: memory estimated at %s", job.id,
                 automl.format_bytes(result.memory_estimate.total))
    artifact = result.model.to_bytes()
    with db.session() as session:
        current = session.get(Job, job.id, with_for_update=True)
        if not still_ours(current, attempt):
            return  # cancelled, failed or re-claimed meanwhile: this run's result is void
        model = session.scalar(select(Model).where(Model.job_id == job.id))
        if model is None:
            raise BadRequest("the model was deleted while it trained")
        model.status = "ready"
        model.feature_layout = layout
        model.validation_metric = result.validation_metric
        model.leaderboard = result.leaderboard
        model.diagnostics = result.diagnostics
        model.feature_importance = result.feature_importance
        session.merge(ModelArtifact(model_id=model.id, data=artifact))
        finish(session, current, {"num_training_samples": features.n_rows})

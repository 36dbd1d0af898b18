"""Projects, datasets, jobs and models: handles on the server's objects.

Each public method builds its operation once (a generator, see `_core`) and hands it to its
client's `_run`: with `Client` it returns the result, with `AsyncClient` an awaitable of it.
Attributes (names, `validation_metric`, ...) are plain data and never call the server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from automl_client._core import Op
from automl_client._frames import encoded_chunks, read_table, text_columns
from automl_client.errors import (
    AutoMLError,
    JobFailed,
    NotFound,
    TrainingFailed,
    Unsupported,
)

if TYPE_CHECKING:
    from automl_client.client import BaseClient

TableLike = pd.DataFrame | str | os.PathLike
TRAINING_STATUS = "get_automl_training_status"
UPLOAD_STATUS = "get_upload_data_status"
MODEL_INFO_KEYS = ("model_name", "task_type", "training_mode", "label_attribute", "create_time")


def _ok(payload: dict) -> dict:
    return {k: v for k, v in payload.items() if k != "success"}


class Project:
    """A project: `client.create_project(name)` or `client.project(name)` (no call)."""

    def __init__(self, client: BaseClient, name: str):
        self._client = client
        self.name = name

    def __repr__(self) -> str:
        return f"Project({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Project) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("project", self.name))

    def dataset(self, name: str) -> Dataset:
        """A handle on a dataset of the project (no call; its methods raise NotFound if it
        does not exist)."""
        return Dataset(self, name)

    def datasets(self) -> list[Dataset]:
        """The project's datasets (`get_collection_list`)."""
        return self._client._run(self._datasets())

    def _datasets(self) -> Op[list[Dataset]]:
        reply = yield from self._client._session.call(
            "get_collection_list", {"project_name": self.name})
        return [Dataset(self, name) for name in reply.get("collection_list", [])]

    def upload(self, dataset: str, data: TableLike, label: str | None = None, *,
               categorical_features: Iterable[str] | None = None,
               id_column: str | None = None, wait: bool = True,
               progress: bool | Callable = False) -> Dataset:
        """Upload a DataFrame (or a CSV file) into dataset `dataset` (created if absent;
        rows are appended otherwise). See `Dataset.upload`."""
        return Dataset(self, dataset).upload(
            data, label, categorical_features=categorical_features, id_column=id_column,
            wait=wait, progress=progress)

    def delete(self) -> None:
        """Delete the project with its datasets and models (`delete_project`)."""
        return self._client._run(self._delete())

    def _delete(self) -> Op[None]:
        yield from self._client._session.call("delete_project", {"project_name": self.name})


class Dataset:
    """A dataset (VecML: collection) of a project."""

    def __init__(self, project: Project, name: str):
        self.project = project
        self.name = name
        self.label: str | None = None
        """The label column of the last upload through this handle."""
        self.categorical_features: list[str] | None = None
        """The columns the last upload through this handle declared categorical."""
        self.upload_jobs: list[Job] = []
        self._label_is_float = False

    def __repr__(self) -> str:
        return f"Dataset({self.project.name!r}, {self.name!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Dataset) and other.project == self.project
                and other.name == self.name)

    def __hash__(self) -> int:
        return hash(("dataset", self.project.name, self.name))

    @property
    def _client(self) -> BaseClient:
        return self.project._client

    def _names(self) -> dict:
        return {"project_name": self.project.name, "collection_name": self.name}

    # ---- data ----

    def upload(self, data: TableLike, label: str | None = None, *,
               categorical_features: Iterable[str] | None = None,
               id_column: str | None = None, wait: bool = True,
               progress: bool | Callable = False) -> Dataset:
        """Upload rows (`upload_automl_X`): a DataFrame, or the path of a CSV file with a
        header. Numeric columns become the vectors; `label` and the text columns (object,
        string, category, bool; or `categorical_features` when given) are stored as
        attributes, the latter declared categorical features. Missing values are sent as
        empty cells. The rows go as gzip CSV, split into several requests when one would pass
        the size limit; with `wait` (default) each upload job is waited for, and a failed one
        raises JobFailed. `id_column` names a column of unique row ids (automl-server's
        default: a column named `id` or `string_id`, which is then not declared categorical)."""
        return self._client._run(self._upload(
            data, label, categorical_features, id_column, wait, progress))

    def _upload(self, data, label, categorical_features, id_column, wait,
                progress) -> Op[Dataset]:
        df = read_table(data)
        if label is not None and label not in df.columns:
            raise KeyError(f"label column {label!r} is not in the data: {list(df.columns)}")
        if categorical_features is None:  # text columns, except ids (server: id, string_id)
            ids = {id_column} if id_column is not None else {
                c for c in df.columns if str(c).lower() in ("id", "string_id")}
            categorical = text_columns(df, exclude={label, *ids})
        else:
            categorical = [str(c) for c in categorical_features if c != label]
        session = self._client._session
        jobs = []
        for _rows, encoded in encoded_chunks(df, session.max_request_bytes, session.compress):
            body = {**self._names(), "X": encoded, "file_format": "csv",
                    "has_field_names": True, "vector_type": "dense"}
            if session.compress:
                body["compression_type"] = "gzip"
            if label is not None:
                body["label_column"] = str(label)
            if categorical:
                body["categorical_features"] = categorical
            if id_column is not None:
                body["id_column"] = id_column
            reply = yield from session.call("upload_automl_X", body)
            job = Job(self._client, reply["job_id"], kind="data", dataset=self)
            jobs.append(job)
            if wait:
                yield from job._wait(progress=progress, timeout=None)
        self.upload_jobs = jobs
        if label is not None:
            self.label = str(label)
            self._label_is_float = (pd.api.types.is_float_dtype(df[label].dtype)
                                    and not _whole(df[label]))
        self.categorical_features = categorical
        return self

    def info(self) -> dict:
        """The dataset's description (`get_collection_info`, an extension): vector_type,
        vector_dim, num_vectors, attribute_names, feature_names, categorical_attributes..."""
        return self._client._run(self._info())

    def _info(self) -> Op[dict]:
        return _ok((yield from self._client._session.extension(
            "get_collection_info", self._names())))

    def delete(self) -> None:
        """Delete the dataset with its models (`delete_collection`)."""
        return self._client._run(self._delete())

    def _delete(self) -> Op[None]:
        yield from self._client._session.call("delete_collection", self._names())

    # ---- models ----

    def train(self, name: str, mode: str = "balanced", task: str | None = None,
              label: str | None = None, *, time_budget: float | None = None,
              categorical_features: Iterable[str] | None = None,
              validation_dataset: str | None = None, seed: int | None = None) -> Job:
        """Start training model `name` (`train_automl_model`); returns its Job (`.wait()` for
        the Model). `mode`: high_speed, balanced or high_accuracy. `task`: classification or
        regression (default: regression when the label uploaded through this handle is a
        non-integer float, else classification). `label`: default the label of the upload.
        `categorical_features`: default those declared at upload (the server's default).
        `time_budget` (seconds) and `seed` are automl-server extensions, sent only when set."""
        return self._client._run(self._train(
            name, mode, task, label, time_budget, categorical_features, validation_dataset,
            seed))

    def _train(self, name, mode, task, label, time_budget, categorical_features,
               validation_dataset, seed) -> Op[Job]:
        label = label or self.label
        if label is None:
            raise ValueError("give label= (the attribute to predict)")
        if task is None:
            task = "regression" if self._label_is_float and label == self.label \
                else "classification"
        body = {**self._names(), "model_name": name, "training_mode": mode,
                "task_type": task, "label_attribute": label}
        if categorical_features is not None:
            body["categorical_features"] = [str(c) for c in categorical_features]
        elif self.categorical_features and label == self.label:
            body["categorical_features"] = self.categorical_features
        if validation_dataset:
            body["validation_dataset"] = validation_dataset
        if time_budget is not None:
            body["time_budget"] = time_budget
        if seed is not None:
            body["seed"] = seed
        reply = yield from self._client._session.call("train_automl_model", body)
        return Job(self._client, reply["job_id"], kind="train", dataset=self, model_name=name,
                   training_mode=mode, task_type=task, label=label)

    def model(self, name: str) -> Model:
        """A trained model of the dataset, with its validation metric and description;
        NotFound when absent, Conflict while it trains or when its training failed."""
        return self._client._run(self._model(name))

    def _model(self, name: str) -> Op[Model]:
        session = self._client._session
        metric = yield from session.call(
            "get_model_validation_metric", {**self._names(), "model_name": name})
        infos = yield from self._models()
        for model in infos:
            if model.name == name:
                model.validation_metric = metric.get("validation_metric")
                return model
        model = Model(self, name, validation_metric=metric.get("validation_metric"))
        model.task_type = "regression" if isinstance(model.validation_metric, int | float) \
            else "classification"
        return model

    def models(self) -> list[Model]:
        """The dataset's trained models (`list_automl_model_infos`), without their metrics."""
        return self._client._run(self._models())

    def _models(self) -> Op[list[Model]]:
        reply = yield from self._client._session.call("list_automl_model_infos", self._names())
        models = []
        for info in reply.get("model_infos", []):
            if isinstance(info, list | tuple):
                info = dict(zip(MODEL_INFO_KEYS, info, strict=False))
            models.append(Model(
                self, info.get("model_name"), task_type=info.get("task_type"),
                training_mode=info.get("training_mode"), label=info.get("label_attribute"),
                create_time=info.get("create_time")))
        return models


def _whole(column: pd.Series) -> bool:
    values = column.dropna()
    return bool(len(values)) and bool((values == values.round()).all())


class Job:
    """An async job: an upload (kind "data") or a training (kind "train")."""

    def __init__(self, client: BaseClient, job_id: str, *, kind: str = "train",
                 dataset: Dataset | None = None, model_name: str | None = None,
                 training_mode: str | None = None, task_type: str | None = None,
                 label: str | None = None, status: dict | None = None):
        self._client = client
        self.job_id = job_id
        self.kind = kind
        self.dataset = dataset
        self.model_name = model_name
        self.training_mode = training_mode
        self.task_type = task_type
        self.label = label
        self.last_status: dict = status or {}
        """The status seen last (from `status()`, `wait()` or the job listing)."""

    def __repr__(self) -> str:
        state = self.last_status.get("status", "?")
        return f"Job({self.job_id!r}, kind={self.kind!r}, status={state!r})"

    @property
    def _endpoint(self) -> str:
        return TRAINING_STATUS if self.kind == "train" else UPLOAD_STATUS

    def status(self) -> dict:
        """The job's status now: status (pending, in_progress, finished, failed), start_time,
        duration, error when failed; where the server offers them, progress (0..1) and
        current_step."""
        return self._client._run(self._status())

    def _status(self) -> Op[dict]:
        reply = yield from self._client._session.call(self._endpoint, {"job_id": self.job_id})
        self._seen(reply)
        return self.last_status

    def _seen(self, status: dict) -> None:
        self.last_status = _ok(status)
        self.model_name = self.model_name or status.get("model_name")
        self.task_type = self.task_type or status.get("task_type")
        self.label = self.label or status.get("label_attribute")

    def wait(self, progress: bool | Callable[[dict], Any] = False,
             timeout: float | None = None) -> Any:
        """Wait for the job to end. A training returns its Model (or, when the job's dataset
        is not known, e.g. a job from `client.job(id)`, its final status); an upload its final
        status. A failed job raises TrainingFailed (or JobFailed) with the server's reason.
        `progress=True` draws a progress bar on stderr; a callable is called with each status.
        `timeout` (seconds): WaitTimeout when the job has not ended by then."""
        return self._client._run(self._wait(progress=progress, timeout=timeout))

    def _wait(self, *, progress, timeout) -> Op[Any]:
        label = f"{self.kind} {self.model_name or self.job_id}"
        status = yield from self._client._session.wait_job(
            self.job_id, self._endpoint, progress=progress, timeout=timeout, label=label)
        self._seen(status)
        if status.get("status") == "failed":
            error = TrainingFailed if self.kind == "train" else JobFailed
            raise error(self.job_id, status.get("error") or "the job failed", self.last_status)
        if self.kind == "train" and self.dataset is not None and self.model_name:
            return self.model()
        return self.last_status

    def model(self) -> Model:
        """The model this training job makes, as a handle (no call): its metric and
        leaderboard are filled from the last status seen."""
        if self.kind != "train" or self.dataset is None or not self.model_name:
            raise ValueError("only a training job of a known dataset has a model")
        status = self.last_status
        return Model(self.dataset, self.model_name, task_type=self.task_type,
                     training_mode=self.training_mode, label=self.label,
                     validation_metric=status.get("validation_metric"), job_id=self.job_id,
                     leaderboard=status.get("leaderboard"))

    def cancel(self) -> dict:
        """Cancel the job if it is pending or running (`cancel_job`, an extension); it then
        ends failed. Conflict if it has already ended."""
        return self._client._run(self._cancel())

    def _cancel(self) -> Op[dict]:
        reply = yield from self._client._session.extension("cancel_job", {"job_id": self.job_id})
        return _ok(reply)


class Model:
    """A trained model of a dataset."""

    def __init__(self, dataset: Dataset, name: str, *, task_type: str | None = None,
                 training_mode: str | None = None, label: str | None = None,
                 validation_metric: Any = None, job_id: str | None = None,
                 leaderboard: list | None = None, create_time: str | None = None):
        self.dataset = dataset
        self.name = name
        self.task_type = task_type
        self.training_mode = training_mode
        self.label = label
        self.validation_metric = validation_metric
        """A dict of metrics for classification, the MSE (a float) for regression."""
        self.job_id = job_id
        self.create_time = create_time
        self._leaderboard = leaderboard

    def __repr__(self) -> str:
        return (f"Model({self.dataset.project.name!r}, {self.dataset.name!r}, {self.name!r}, "
                f"task_type={self.task_type!r})")

    @property
    def _client(self) -> BaseClient:
        return self.dataset._client

    def _names(self) -> dict:
        return {**self.dataset._names(), "model_name": self.name}

    def leaderboard(self) -> pd.DataFrame:
        """The candidates the training compared, best first (columns model, score, metric,
        fit_seconds): the training status's `leaderboard` (an extension). Found through
        `list_jobs` when this handle does not know its training job."""
        return self._client._run(self._leaderboard_op())

    def _leaderboard_op(self) -> Op[pd.DataFrame]:
        session = self._client._session
        board = self._leaderboard
        if board is None and self.job_id is None:
            reply = yield from session.extension("list_jobs", {
                **self.dataset._names(), "kind": "train", "status": "finished", "limit": 500})
            for status in reply.get("jobs", []):
                if status.get("model_name") == self.name:
                    self.job_id = status.get("job_id")
                    board = status.get("leaderboard")
                    break
            else:
                raise NotFound(f"no finished training job of model {self.name!r} found")
        if board is None and self.job_id is not None:
            status = yield from session.call(TRAINING_STATUS, {"job_id": self.job_id})
            board = status.get("leaderboard")
        if board is None:
            raise Unsupported("this server reports no leaderboard (an automl-server extension "
                              "of the training status)")
        self._leaderboard = board
        return pd.DataFrame(board)

    def feature_importance(self) -> pd.DataFrame:
        """Feature importances (`get_feature_importance`), columns feature and importance,
        largest first."""
        return self._client._run(self._importance())

    def _importance(self) -> Op[pd.DataFrame]:
        reply = yield from self._client._session.call("get_feature_importance", self._names())
        frame = pd.DataFrame(reply.get("feature_importance", []),
                             columns=["feature", "importance"])
        return frame.sort_values("importance", ascending=False, kind="stable") \
            .reset_index(drop=True)

    def predict(self, data: TableLike) -> pd.Series:
        """Predictions for the rows of a DataFrame (or CSV file): a Series indexed like the
        input (class labels, or numbers for regression). A label column is left out."""
        return self._client._run(self._predict(data, probabilities=False))

    def predict_proba(self, data: TableLike) -> pd.DataFrame:
        """Class probabilities, one column per class, indexed like the input (needs the
        server's `return_probabilities` extension; Unsupported otherwise)."""
        return self._client._run(self._predict(data, probabilities=True))

    def evaluate(self, data: TableLike) -> dict:
        """Predict rows that carry the label: `{"predictions", "num_samples",
        "prediction_metric"}` as the server computes them (one request; the metric is a dict
        for classification, the MSE for regression)."""
        return self._client._run(self._evaluate(data))

    def _request(self, encoded: str, probabilities: bool) -> dict:
        body = {**self._names(), "file_data": encoded, "file_format": "csv",
                "has_field_names": True}
        if self._client._session.compress:
            body["compression_type"] = "gzip"
        if probabilities:
            body["return_probabilities"] = True
        return body

    def _predict(self, data: TableLike, probabilities: bool) -> Op[Any]:
        if probabilities and self.task_type == "regression":
            raise Unsupported("a regression model has no class probabilities")
        df = read_table(data)
        features = df.drop(columns=[self.label]) if self.label in df.columns else df
        session = self._client._session
        predictions: list = []
        rows: list = []
        classes = None
        if len(features) == 0:
            return pd.DataFrame(index=df.index) if probabilities else \
                pd.Series([], index=df.index, name=self.label or "prediction", dtype=object)
        for part, encoded in encoded_chunks(features, session.max_request_bytes,
                                            session.compress):
            reply = yield from session.call("automl_predict", self._request(encoded,
                                                                            probabilities))
            if probabilities:
                if "probabilities" not in reply:
                    raise Unsupported("this server does not return probabilities "
                                      "(return_probabilities is an automl-server extension)")
                classes = reply.get("classes")
                rows.extend(reply["probabilities"])
            else:
                predictions.extend(reply["predictions"])
            if len(part) and len(reply.get("probabilities", reply.get("predictions"))) \
                    != len(part):
                raise AutoMLError("the server answered a different number of predictions "
                                  "than rows sent")
        if probabilities:
            return pd.DataFrame(rows, index=df.index, columns=classes)
        return pd.Series(predictions, index=df.index, name=self.label or "prediction")

    def _evaluate(self, data: TableLike) -> Op[dict]:
        df = read_table(data)
        session = self._client._session
        chunks = encoded_chunks(df, session.max_request_bytes, session.compress)
        _rows, encoded = next(chunks)
        if next(chunks, None) is not None:
            raise ValueError("too many rows to evaluate in one request; evaluate them in parts")
        reply = yield from session.call("automl_predict", self._request(encoded, False))
        return _ok(reply)

    def delete(self) -> None:
        """Delete the model (`delete_automl_model`; a model still training is cancelled)."""
        return self._client._run(self._delete())

    def _delete(self) -> Op[None]:
        yield from self._client._session.call("delete_automl_model", self._names())

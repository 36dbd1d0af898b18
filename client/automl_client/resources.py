"""Projects, datasets, jobs and models: handles on the server's objects, in two flavours.

What a handle holds and every operation it performs (a generator, see `_core`) are written once,
in a base class (`ProjectBase`, `DatasetBase`, `JobBase`, `ModelBase`). `Project`, `Dataset`,
`Job` and `Model` (made by `Client`) run an operation and return its result; `AsyncProject`,
`AsyncDataset`, `AsyncJob` and `AsyncModel` (made by `AsyncClient`) are coroutines of it. A
flavour only says how each method runs, and which handles it makes. Attributes (names,
`validation_metric`, ...) are plain data and never call the server."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pandas as pd

from automl_client._core import JSON, Op, Progress
from automl_client._frames import encoded_chunks, read_table, text_columns
from automl_client.errors import (
    AutoMLError,
    JobFailed,
    NotFound,
    TrainingFailed,
    Unsupported,
)

if TYPE_CHECKING:
    from automl_client.client import AsyncClient, BaseClient, Client

TableLike = pd.DataFrame | str | os.PathLike[str]
TRAINING_STATUS = "get_automl_training_status"
UPLOAD_STATUS = "get_upload_data_status"
MODEL_INFO_KEYS = ("model_name", "task_type", "training_mode", "label_attribute", "create_time")
# The server explains at most this many rows a request (automl-server's MAX_EXPLAIN_ROWS).
EXPLAIN_ROWS = 1_000

P = TypeVar("P", bound="ProjectBase[Any]")
D = TypeVar("D", bound="DatasetBase[Any, Any, Any]")
J = TypeVar("J", bound="JobBase[Any, Any]")
M = TypeVar("M", bound="ModelBase[Any]")
C = TypeVar("C", bound=type)


@dataclass(frozen=True)
class Explanation:
    """Each row's per-feature contributions to the model's raw score (`explain: true` on
    `automl_predict`, an automl-server extension): for every row, `base_value` plus the sum
    of its contributions is its raw score.

    `raw_score` says what that score is: "log_odds" of `positive_class` (binary), "value"
    (regression) or "margin" (multiclass, one per class whose softmax is the probabilities).
    `contributions` is indexed like the input, one column per feature the model uses; for
    multiclass its columns are (class, feature) pairs and `base_value` is a dict by class.
    `predictions` are the model's predictions of the same rows."""

    raw_score: str
    base_value: float | dict[Any, float]
    contributions: pd.DataFrame
    predictions: pd.Series[Any]
    positive_class: Any = None

    def raw_scores(self) -> pd.Series[Any] | pd.DataFrame:
        """Each row's raw score (base value plus contributions); a column per class for
        multiclass."""
        if isinstance(self.base_value, dict):
            return pd.DataFrame({
                label: self.contributions[label].sum(axis=1) + base
                for label, base in self.base_value.items()})
        return self.contributions.sum(axis=1) + self.base_value


def _explanation(replies: list[tuple[pd.DataFrame, JSON]], name: str) -> Explanation:
    """One Explanation of the rows of every (rows, reply) pair, in order."""
    first = replies[0][1]["explanations"]
    features = list(first["features"])
    predictions = pd.concat([pd.Series(reply["predictions"], index=rows.index, name=name)
                             for rows, reply in replies])
    if "classes" not in first:
        contributions = pd.concat([
            pd.DataFrame(reply["explanations"]["contributions"], index=rows.index,
                         columns=features) for rows, reply in replies])
        return Explanation(first["raw_score"], float(first["base_value"]), contributions,
                           predictions, first.get("positive_class"))
    labels = [entry["label"] for entry in first["classes"]]
    columns = pd.MultiIndex.from_product([labels, features], names=["class", "feature"])
    parts = []
    for rows, reply in replies:
        blocks = [pd.DataFrame(entry["contributions"], index=rows.index)
                  for entry in reply["explanations"]["classes"]]
        part = pd.concat(blocks, axis=1)
        part.columns = columns
        parts.append(part)
    base = {entry["label"]: float(entry["base_value"]) for entry in first["classes"]}
    return Explanation(first["raw_score"], base, pd.concat(parts), predictions)


def _ok(payload: JSON) -> JSON:
    return {k: v for k, v in payload.items() if k != "success"}


def _docs_from(sync: type) -> Callable[[C], C]:
    """A class decorator: the async flavour's methods take the sync flavour's docstrings."""

    def share(cls: C) -> C:
        for name, method in vars(cls).items():
            theirs = getattr(sync, name, None)
            if callable(method) and method.__doc__ is None and theirs is not None:
                method.__doc__ = theirs.__doc__
        return cls

    return share


# ---- what both flavours share ----


class ProjectBase(Generic[D]):
    """A project: `client.create_project(name)` or `client.project(name)` (no call)."""

    def __init__(self, client: BaseClient[Any, Any], name: str):
        self._client = client
        self.name = name

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ProjectBase) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("project", self.name))

    def dataset(self, name: str) -> D:
        """A handle on a dataset of the project (no call; its methods raise NotFound if it
        does not exist)."""
        raise NotImplementedError

    def _datasets(self) -> Op[list[D]]:
        reply = yield from self._client._session.call(
            "get_collection_list", {"project_name": self.name})
        return [self.dataset(name) for name in reply.get("collection_list", [])]

    def _delete(self) -> Op[None]:
        yield from self._client._session.call("delete_project", {"project_name": self.name})


class DatasetBase(Generic[P, J, M]):
    """A dataset (VecML: collection) of a project."""

    def __init__(self, project: P, name: str):
        self.project = project
        self.name = name
        self.label: str | None = None
        """The label column of the last upload through this handle."""
        self.categorical_features: list[str] | None = None
        """The columns the last upload through this handle declared categorical."""
        self.upload_jobs: list[J] = []
        self._label_is_float = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.project.name!r}, {self.name!r})"

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, DatasetBase) and other.project == self.project
                and other.name == self.name)

    def __hash__(self) -> int:
        return hash(("dataset", self.project.name, self.name))

    @property
    def _client(self) -> BaseClient[Any, Any]:
        return self.project._client

    def _names(self) -> JSON:
        return {"project_name": self.project.name, "collection_name": self.name}

    def _new_job(self, job_id: str, **fields: Any) -> J:
        raise NotImplementedError

    def _new_model(self, name: str, **fields: Any) -> M:
        raise NotImplementedError

    def _upload(self, data: TableLike, label: str | None,
                categorical_features: Iterable[str] | None, id_column: str | None,
                wait: bool, progress: Progress) -> Op[None]:
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
        jobs: list[J] = []
        for _rows, encoded in encoded_chunks(df, session.max_request_bytes, session.compress):
            body: JSON = {**self._names(), "X": encoded, "file_format": "csv",
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
            job = self._new_job(reply["job_id"], kind="data")
            jobs.append(job)
            if wait:
                yield from job._wait(progress=progress, timeout=None)
        self.upload_jobs = jobs
        if label is not None:
            self.label = str(label)
            self._label_is_float = (pd.api.types.is_float_dtype(df[label].dtype)
                                    and not _whole(df[label]))
        self.categorical_features = categorical

    def _info(self) -> Op[JSON]:
        return _ok((yield from self._client._session.extension(
            "get_collection_info", self._names())))

    def _delete(self) -> Op[None]:
        yield from self._client._session.call("delete_collection", self._names())

    def _train(self, name: str, mode: str, task: str | None, label: str | None,
               categorical_features: Iterable[str] | None, validation_dataset: str | None,
               extensions: JSON) -> Op[J]:
        """`extensions`: automl-server fields (time_budget, seed, eval_metric,
        weight_attribute, class_weight), each sent only when not None."""
        label = label or self.label
        if label is None:
            raise ValueError("give label= (the attribute to predict)")
        if task is None:
            task = "regression" if self._label_is_float and label == self.label \
                else "classification"
        body: JSON = {**self._names(), "model_name": name, "training_mode": mode,
                      "task_type": task, "label_attribute": label}
        if categorical_features is not None:
            body["categorical_features"] = [str(c) for c in categorical_features]
        elif self.categorical_features and label == self.label:
            body["categorical_features"] = self.categorical_features
        if validation_dataset:
            body["validation_dataset"] = validation_dataset
        body.update({key: value for key, value in extensions.items() if value is not None})
        reply = yield from self._client._session.call("train_automl_model", body)
        return self._new_job(reply["job_id"], kind="train", model_name=name,
                             training_mode=mode, task_type=task, label=label)

    def _model(self, name: str) -> Op[M]:
        metric = yield from self._client._session.call(
            "get_model_validation_metric", {**self._names(), "model_name": name})
        for model in (yield from self._models()):
            if model.name == name:
                model.validation_metric = metric.get("validation_metric")
                return model
        model = self._new_model(name, validation_metric=metric.get("validation_metric"))
        model.task_type = "regression" if isinstance(model.validation_metric, int | float) \
            else "classification"
        return model

    def _models(self) -> Op[list[M]]:
        reply = yield from self._client._session.call(
            "list_automl_model_infos", self._names())
        models = []
        for info in reply.get("model_infos", []):
            if isinstance(info, list | tuple):
                info = dict(zip(MODEL_INFO_KEYS, info, strict=False))
            models.append(self._new_model(
                info.get("model_name"), task_type=info.get("task_type"),
                training_mode=info.get("training_mode"), label=info.get("label_attribute"),
                create_time=info.get("create_time")))
        return models


def _whole(column: pd.Series[Any]) -> bool:
    values = column.dropna()
    return bool(len(values)) and bool((values == values.round()).all())


class JobBase(Generic[D, M]):
    """An async job: an upload (kind "data") or a training (kind "train")."""

    def __init__(self, client: BaseClient[Any, Any], job_id: str, *, kind: str = "train",
                 dataset: D | None = None, model_name: str | None = None,
                 training_mode: str | None = None, task_type: str | None = None,
                 label: str | None = None, status: JSON | None = None):
        self._client = client
        self.job_id = job_id
        self.kind = kind
        self.dataset = dataset
        self.model_name = model_name
        self.training_mode = training_mode
        self.task_type = task_type
        self.label = label
        self.last_status: JSON = status or {}
        """The status seen last (from `status()`, `wait()` or the job listing)."""

    def __repr__(self) -> str:
        state = self.last_status.get("status", "?")
        return f"{type(self).__name__}({self.job_id!r}, kind={self.kind!r}, status={state!r})"

    @property
    def _endpoint(self) -> str:
        return TRAINING_STATUS if self.kind == "train" else UPLOAD_STATUS

    def _status(self) -> Op[JSON]:
        reply = yield from self._client._session.call(self._endpoint, {"job_id": self.job_id})
        self._seen(reply)
        return self.last_status

    def _seen(self, status: JSON) -> None:
        self.last_status = _ok(status)
        self.model_name = self.model_name or status.get("model_name")
        self.task_type = self.task_type or status.get("task_type")
        self.label = self.label or status.get("label_attribute")

    def _wait(self, *, progress: Progress, timeout: float | None) -> Op[M | JSON]:
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

    def model(self) -> M:
        """The model this training job makes, as a handle (no call): its metric and
        leaderboard are filled from the last status seen."""
        if self.kind != "train" or self.dataset is None or not self.model_name:
            raise ValueError("only a training job of a known dataset has a model")
        status = self.last_status
        model: M = self.dataset._new_model(
            self.model_name, task_type=self.task_type, training_mode=self.training_mode,
            label=self.label, validation_metric=status.get("validation_metric"),
            job_id=self.job_id, leaderboard=status.get("leaderboard"))
        return model

    def _cancel(self) -> Op[JSON]:
        reply = yield from self._client._session.extension("cancel_job", {"job_id": self.job_id})
        return _ok(reply)


class ModelBase(Generic[D]):
    """A trained model of a dataset."""

    def __init__(self, dataset: D, name: str, *, task_type: str | None = None,
                 training_mode: str | None = None, label: str | None = None,
                 validation_metric: Any = None, job_id: str | None = None,
                 leaderboard: list[JSON] | None = None, create_time: str | None = None):
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
        return (f"{type(self).__name__}({self.dataset.project.name!r}, {self.dataset.name!r}, "
                f"{self.name!r}, task_type={self.task_type!r})")

    @property
    def _client(self) -> BaseClient[Any, Any]:
        return self.dataset._client

    def _names(self) -> JSON:
        names: JSON = {**self.dataset._names(), "model_name": self.name}
        return names

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

    def _importance(self) -> Op[pd.DataFrame]:
        reply = yield from self._client._session.call(
            "get_feature_importance", self._names())
        frame = pd.DataFrame(reply.get("feature_importance", []),
                             columns=["feature", "importance"])
        return frame.sort_values("importance", ascending=False, kind="stable") \
            .reset_index(drop=True)

    def _download(self, path: str | os.PathLike[str], file_format: str) -> Op[JSON]:
        reply = yield from self._client._session.extension(
            "download_automl_model", {**self._names(), "format": file_format})
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(reply["model_data"]))
        manifest: JSON = reply.get("manifest") or {}
        return manifest

    def _request(self, encoded: str, probabilities: bool, explain: bool = False) -> JSON:
        body: JSON = {**self._names(), "file_data": encoded, "file_format": "csv",
                      "has_field_names": True}
        if self._client._session.compress:
            body["compression_type"] = "gzip"
        if probabilities:
            body["return_probabilities"] = True
        if explain:
            body["explain"] = True
        return body

    def _features(self, df: pd.DataFrame) -> pd.DataFrame:
        """The rows to send: a label column is left out."""
        return df.drop(columns=[self.label]) if self.label in df.columns else df

    def _explain(self, data: TableLike) -> Op[Explanation]:
        features = self._features(read_table(data))
        if len(features) == 0:
            raise ValueError("no rows to explain")
        session = self._client._session
        replies: list[tuple[pd.DataFrame, JSON]] = []
        for start in range(0, len(features), EXPLAIN_ROWS):
            rows = features.iloc[start:start + EXPLAIN_ROWS]
            for part, encoded in encoded_chunks(rows, session.max_request_bytes,
                                                session.compress):
                reply = yield from session.call(
                    "automl_predict", self._request(encoded, False, explain=True))
                if "explanations" not in reply:
                    raise Unsupported("this server does not explain predictions (explain is "
                                      "an automl-server extension)")
                replies.append((part, reply))
        return _explanation(replies, self.label or "prediction")

    def _predict(self, data: TableLike) -> Op[pd.Series[Any]]:
        df = read_table(data)
        predictions, _classes = yield from self._predicted(df, probabilities=False)
        return pd.Series(predictions, index=df.index, name=self.label or "prediction",
                         dtype=None if predictions else object)

    def _predict_proba(self, data: TableLike) -> Op[pd.DataFrame]:
        if self.task_type == "regression":
            raise Unsupported("a regression model has no class probabilities")
        df = read_table(data)
        rows, classes = yield from self._predicted(df, probabilities=True)
        return pd.DataFrame(rows, index=df.index, columns=classes)

    def _predicted(self, df: pd.DataFrame,
                   probabilities: bool) -> Op[tuple[list[Any], list[Any] | None]]:
        """The predictions (or probability rows, with the classes) for the rows of `df`, in
        as many requests as the size limit needs; a label column is left out."""
        features = self._features(df)
        session = self._client._session
        results: list[Any] = []
        classes = None
        if len(features) == 0:
            return results, classes
        key = "probabilities" if probabilities else "predictions"
        for part, encoded in encoded_chunks(features, session.max_request_bytes,
                                            session.compress):
            reply = yield from session.call("automl_predict", self._request(encoded,
                                                                            probabilities))
            if probabilities and key not in reply:
                raise Unsupported("this server does not return probabilities "
                                  "(return_probabilities is an automl-server extension)")
            if len(reply[key]) != len(part):
                raise AutoMLError("the server answered a different number of predictions "
                                  "than rows sent")
            classes = reply.get("classes")
            results.extend(reply[key])
        return results, classes

    def _evaluate(self, data: TableLike) -> Op[JSON]:
        df = read_table(data)
        session = self._client._session
        chunks = encoded_chunks(df, session.max_request_bytes, session.compress)
        _rows, encoded = next(chunks)
        if next(chunks, None) is not None:
            raise ValueError("too many rows to evaluate in one request; evaluate them in parts")
        reply = yield from session.call("automl_predict", self._request(encoded, False))
        return _ok(reply)

    def _delete(self) -> Op[None]:
        yield from self._client._session.call("delete_automl_model", self._names())


# ---- the blocking flavour (Client) ----


class Project(ProjectBase["Dataset"]):
    _client: Client

    def dataset(self, name: str) -> Dataset:
        return Dataset(self, name)

    def datasets(self) -> list[Dataset]:
        """The project's datasets (`get_collection_list`)."""
        return self._client._run(self._datasets())

    def upload(self, dataset: str, data: TableLike, label: str | None = None, *,
               categorical_features: Iterable[str] | None = None,
               id_column: str | None = None, wait: bool = True,
               progress: Progress = False) -> Dataset:
        """Upload a DataFrame (or a CSV file) into dataset `dataset` (created if absent;
        rows are appended otherwise). See `Dataset.upload`."""
        return self.dataset(dataset).upload(
            data, label, categorical_features=categorical_features, id_column=id_column,
            wait=wait, progress=progress)

    def delete(self) -> None:
        """Delete the project with its datasets and models (`delete_project`)."""
        return self._client._run(self._delete())


class Dataset(DatasetBase[Project, "Job", "Model"]):
    @property
    def _client(self) -> Client:
        return self.project._client

    def _new_job(self, job_id: str, **fields: Any) -> Job:
        return Job(self._client, job_id, dataset=self, **fields)

    def _new_model(self, name: str, **fields: Any) -> Model:
        return Model(self, name, **fields)

    def upload(self, data: TableLike, label: str | None = None, *,
               categorical_features: Iterable[str] | None = None,
               id_column: str | None = None, wait: bool = True,
               progress: Progress = False) -> Dataset:
        """Upload rows (`upload_automl_X`): a DataFrame, or the path of a CSV file with a
        header. Numeric columns become the vectors; `label` and the text columns (object,
        string, category, bool; or `categorical_features` when given) are stored as
        attributes, the latter declared categorical features. Missing values are sent as
        empty cells. The rows go as gzip CSV, split into several requests when one would pass
        the size limit; with `wait` (default) each upload job is waited for, and a failed one
        raises JobFailed. `id_column` names a column of unique row ids (automl-server's
        default: a column named `id` or `string_id`, which is then not declared categorical).
        `progress`: True draws a progress bar per upload job, a callable gets each status."""
        self._client._run(self._upload(data, label, categorical_features, id_column, wait,
                                       progress))
        return self

    def info(self) -> JSON:
        """The dataset's description (`get_collection_info`, an extension): vector_type,
        vector_dim, num_vectors, attribute_names, feature_names, categorical_attributes..."""
        return self._client._run(self._info())

    def delete(self) -> None:
        """Delete the dataset with its models (`delete_collection`)."""
        return self._client._run(self._delete())

    def train(self, name: str, mode: str = "balanced", task: str | None = None,
              label: str | None = None, *, time_budget: float | None = None,
              categorical_features: Iterable[str] | None = None,
              validation_dataset: str | None = None, seed: int | None = None,
              eval_metric: str | None = None, weight_attribute: str | None = None,
              class_weight: str | None = None) -> Job:
        """Start training model `name` (`train_automl_model`); returns its Job (`.wait()` for
        the Model). `mode`: high_speed, balanced or high_accuracy. `task`: classification or
        regression (default: regression when the label uploaded through this handle is a
        non-integer float, else classification). `label`: default the label of the upload.
        `categorical_features`: default those declared at upload (the server's default).
        automl-server extensions, sent only when set: `time_budget` (seconds), `seed`,
        `eval_metric` (what the candidates are ranked and ensembled by, e.g. accuracy, f1,
        log_loss, mae; a threshold metric also tunes a binary model's decision threshold),
        `weight_attribute` (a numeric attribute holding each row's weight) and `class_weight`
        ("balanced")."""
        return self._client._run(self._train(
            name, mode, task, label, categorical_features, validation_dataset,
            {"time_budget": time_budget, "seed": seed, "eval_metric": eval_metric,
             "weight_attribute": weight_attribute, "class_weight": class_weight}))

    def model(self, name: str) -> Model:
        """A trained model of the dataset, with its validation metric and description;
        NotFound when absent, Conflict while it trains or when its training failed."""
        return self._client._run(self._model(name))

    def models(self) -> list[Model]:
        """The dataset's trained models (`list_automl_model_infos`), without their metrics."""
        return self._client._run(self._models())


class Job(JobBase[Dataset, "Model"]):
    _client: Client

    def status(self) -> JSON:
        """The job's status now: status (pending, in_progress, finished, failed), start_time,
        duration, error when failed; where the server offers them, progress (0..1) and
        current_step."""
        return self._client._run(self._status())

    def wait(self, progress: Progress = False, timeout: float | None = None) -> Any:
        """Wait for the job to end. A training returns its Model (or, when the job's dataset
        is not known, e.g. a job from `client.job(id)`, its final status); an upload its final
        status. A failed job raises TrainingFailed (or JobFailed) with the server's reason.
        `progress=True` draws a progress bar on stderr; a callable is called with each status.
        `timeout` (seconds): WaitTimeout when the job has not ended by then. (Typed Any: which
        of the two it returns depends on the job, so a caller need not narrow it.)"""
        return self._client._run(self._wait(progress=progress, timeout=timeout))

    def cancel(self) -> JSON:
        """Cancel the job if it is pending or running (`cancel_job`, an extension); it then
        ends failed. Conflict if it has already ended."""
        return self._client._run(self._cancel())


class Model(ModelBase[Dataset]):
    @property
    def _client(self) -> Client:
        return self.dataset._client

    def leaderboard(self) -> pd.DataFrame:
        """The candidates the training compared, best first (columns model, score, metric,
        fit_seconds, predict_seconds_per_row): the training status's `leaderboard` (an
        extension). Found through `list_jobs` when this handle does not know its training
        job."""
        return self._client._run(self._leaderboard_op())

    def feature_importance(self) -> pd.DataFrame:
        """Feature importances (`get_feature_importance`), columns feature and importance,
        largest first."""
        return self._client._run(self._importance())

    def predict(self, data: TableLike) -> pd.Series[Any]:
        """Predictions for the rows of a DataFrame (or CSV file): a Series indexed like the
        input (class labels, or numbers for regression). A label column is left out."""
        return self._client._run(self._predict(data))

    def predict_proba(self, data: TableLike) -> pd.DataFrame:
        """Class probabilities, one column per class, indexed like the input (needs the
        server's `return_probabilities` extension; Unsupported otherwise)."""
        return self._client._run(self._predict_proba(data))

    def explain(self, data: TableLike) -> Explanation:
        """Predictions with each row's per-feature contributions to the model's raw score
        (`explain: true`, an automl-server extension; Unsupported otherwise): an Explanation,
        indexed like the input. Rows go 1,000 a request, the most the server explains at
        once. A model whose contributions cannot be exact (a stacked classification, a
        forest or kNN member) is refused with Conflict, saying why."""
        return self._client._run(self._explain(data))

    def evaluate(self, data: TableLike) -> JSON:
        """Predict rows that carry the label: `{"predictions", "num_samples",
        "prediction_metric"}` as the server computes them (one request; the metric is a dict
        for classification, the MSE for regression)."""
        return self._client._run(self._evaluate(data))

    def download(self, path: str | os.PathLike[str], format: str = "zip") -> JSON:
        """Save the model file to `path` (`download_automl_model`, an automl-server
        extension) and answer its manifest (features, classes, task, label, members). Load
        the zip with `automl_runtime.load(path)`: it predicts exactly as the server does.
        `format="onnx"`: one ONNX graph instead (the manifest then names its inputs,
        `onnx_inputs`); the server refuses (BadRequest) a model ONNX cannot express
        exactly."""
        return self._client._run(self._download(path, format))

    def delete(self) -> None:
        """Delete the model (`delete_automl_model`; a model still training is cancelled)."""
        return self._client._run(self._delete())


# ---- the asyncio flavour (AsyncClient): the same methods, each a coroutine ----


@_docs_from(Project)
class AsyncProject(ProjectBase["AsyncDataset"]):
    _client: AsyncClient

    def dataset(self, name: str) -> AsyncDataset:
        return AsyncDataset(self, name)

    async def datasets(self) -> list[AsyncDataset]:
        return await self._client._run(self._datasets())

    async def upload(self, dataset: str, data: TableLike, label: str | None = None, *,
                     categorical_features: Iterable[str] | None = None,
                     id_column: str | None = None, wait: bool = True,
                     progress: Progress = False) -> AsyncDataset:
        return await self.dataset(dataset).upload(
            data, label, categorical_features=categorical_features, id_column=id_column,
            wait=wait, progress=progress)

    async def delete(self) -> None:
        return await self._client._run(self._delete())


@_docs_from(Dataset)
class AsyncDataset(DatasetBase[AsyncProject, "AsyncJob", "AsyncModel"]):
    @property
    def _client(self) -> AsyncClient:
        return self.project._client

    def _new_job(self, job_id: str, **fields: Any) -> AsyncJob:
        return AsyncJob(self._client, job_id, dataset=self, **fields)

    def _new_model(self, name: str, **fields: Any) -> AsyncModel:
        return AsyncModel(self, name, **fields)

    async def upload(self, data: TableLike, label: str | None = None, *,
                     categorical_features: Iterable[str] | None = None,
                     id_column: str | None = None, wait: bool = True,
                     progress: Progress = False) -> AsyncDataset:
        await self._client._run(self._upload(data, label, categorical_features, id_column,
                                             wait, progress))
        return self

    async def info(self) -> JSON:
        return await self._client._run(self._info())

    async def delete(self) -> None:
        return await self._client._run(self._delete())

    async def train(self, name: str, mode: str = "balanced", task: str | None = None,
                    label: str | None = None, *, time_budget: float | None = None,
                    categorical_features: Iterable[str] | None = None,
                    validation_dataset: str | None = None, seed: int | None = None,
                    eval_metric: str | None = None, weight_attribute: str | None = None,
                    class_weight: str | None = None) -> AsyncJob:
        return await self._client._run(self._train(
            name, mode, task, label, categorical_features, validation_dataset,
            {"time_budget": time_budget, "seed": seed, "eval_metric": eval_metric,
             "weight_attribute": weight_attribute, "class_weight": class_weight}))

    async def model(self, name: str) -> AsyncModel:
        return await self._client._run(self._model(name))

    async def models(self) -> list[AsyncModel]:
        return await self._client._run(self._models())


@_docs_from(Job)
class AsyncJob(JobBase[AsyncDataset, "AsyncModel"]):
    _client: AsyncClient

    async def status(self) -> JSON:
        return await self._client._run(self._status())

    async def wait(self, progress: Progress = False, timeout: float | None = None) -> Any:
        return await self._client._run(self._wait(progress=progress, timeout=timeout))

    async def cancel(self) -> JSON:
        return await self._client._run(self._cancel())


@_docs_from(Model)
class AsyncModel(ModelBase[AsyncDataset]):
    @property
    def _client(self) -> AsyncClient:
        return self.dataset._client

    async def leaderboard(self) -> pd.DataFrame:
        return await self._client._run(self._leaderboard_op())

    async def feature_importance(self) -> pd.DataFrame:
        return await self._client._run(self._importance())

    async def predict(self, data: TableLike) -> pd.Series[Any]:
        return await self._client._run(self._predict(data))

    async def predict_proba(self, data: TableLike) -> pd.DataFrame:
        return await self._client._run(self._predict_proba(data))

    async def explain(self, data: TableLike) -> Explanation:
        return await self._client._run(self._explain(data))

    async def evaluate(self, data: TableLike) -> JSON:
        return await self._client._run(self._evaluate(data))

    async def download(self, path: str | os.PathLike[str], format: str = "zip") -> JSON:
        return await self._client._run(self._download(path, format))

    async def delete(self) -> None:
        return await self._client._run(self._delete())

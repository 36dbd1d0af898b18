"""What each endpoint answers on success (HTTP 200), as JSON schemas for /openapi.json.

These models document the answers; they are never used to validate or serialize them (a
prediction may hold 100k values: the routes return their dicts as they are). VecML's documented
shapes first; fields and endpoints that VecML does not document say "Extension" in their
description. Every model forbids other properties, so the schema is a complete description,
which tests/api/test_openapi.py and tests/api/test_schemathesis.py check against real answers.

A field that is left out when it does not apply (rather than sent as null) is declared with
`Conditional(...)`: not required, and not nullable unless its type says so."""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

TIME_PATTERN = r"^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$"
DURATION_PATTERN = r"^[0-9]{2,}:[0-9]{2}:[0-9]{2}$"
MODEL_TIME_PATTERN = r"^[0-9]{4}/[0-9]{2}/[0-9]{2}, [0-9]{2}:[0-9]{2}$"
JOB_STATUSES = ("pending", "in_progress", "finished", "failed")
JOB_TYPES = ("add_data", "add_data_batch", "upload", "upload_automl_X", "attach_automl_label",
             "delete_data", "train_automl_model")


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def Conditional(description: str, **kwargs: Any) -> Any:  # noqa: N802 (reads as a marker)
    """A field present only when it applies: not required, no `default: null` in its schema
    (a missing field is not a null one)."""
    return Field(None, description=description, json_schema_extra=_no_default, **kwargs)


Label = Annotated[str | float, Field(
    description="A class label: a number when every training label is numeric (an integer "
                "when integral), else the label's text")]
# A label that is an integer is a JSON integer, which JSON Schema counts as a number too.


class Success(BaseModel):
    """The success envelope every answer shares."""

    model_config = ConfigDict(extra="forbid")
    success: Literal[True] = Field(description="Always true on a success")


class OkResponse(Success):
    """Nothing more than the envelope (create_project, delete_project, init, delete_collection,
    delete_automl_model)."""


class HealthResponse(Success):
    """Extension: the server is up."""

    status: Literal["ok"] = Field(description="Always ok")


class ReadyResponse(Success):
    """Extension: the server can work now (database reachable with its schema at the head
    revision; in production mode the broker reachable too). Otherwise 503 with the reason."""

    status: Literal["ready"] = Field(description="Always ready")


class ProjectListResponse(Success):
    project_list: list[str] = Field(description="The caller's project names, oldest first")


class CollectionListResponse(Success):
    collection_list: list[str] = Field(description="The project's dataset names, oldest first")


class CollectionInfoResponse(Success):
    """Extension: the whole endpoint (get_collection_info)."""

    collection_name: str = Field(description="The dataset's name")
    vector_type: Literal["dense", "sparse"] = Field(description="How the vectors are stored")
    vector_dim: Annotated[int, Field(ge=1)] | None = Field(
        description="The vectors' width; null while it is unknown: a sparse dataset given "
                    "no width, or a dataset created by an upload, before any row is stored")
    num_vectors: Annotated[int, Field(ge=0)] = Field(description="How many vectors it holds")
    attribute_names: list[str] = Field(description="The attributes stored so far")
    feature_names: list[str] | None = Field(
        description="The vector components' names, from a named upload (csv header, json "
                    "keys); null when they have none")
    categorical_attributes: list[str] = Field(
        description="Attributes declared categorical by an upload's categorical_features")
    create_time: str = Field(pattern=TIME_PATTERN,
                             description='When it was created: "YYYY/MM/DD HH:MM:SS"')


class JobStartedResponse(Success):
    job_id: str = Field(description="The job's id: poll its status with it")


class ClassificationMetric(BaseModel):
    """The metrics of a classification, as VecML documents them."""

    model_config = ConfigDict(extra="forbid")
    accuracy: float
    micro_precision: float
    macro_precision: float
    micro_recall: float
    macro_recall: float
    micro_f1: float
    macro_f1: float
    auc: float | None = Field(
        description="Binary ROC AUC, or the macro one-vs-rest average for several classes; "
                    "null when undefined (a single class among the labels)")


Metric = Annotated[ClassificationMetric | float, Field(
    description="Classification: an object of metrics; regression: the mean squared error")]


class LeaderboardEntry(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = Field(description="The candidate (or ensemble(...) of several)")
    score: float = Field(description="Its out-of-fold selection score")
    metric: Literal["accuracy", "balanced_accuracy", "f1", "log_loss", "auc", "pr_auc", "rmse",
                    "mse", "mae", "r2", "mape"] = Field(
        description="What score measures: the training's eval_metric (default auc for binary, "
                    "log_loss for multiclass, mse for regression)")
    fit_seconds: Annotated[float, Field(ge=0)] = Field(description="Time spent fitting it")
    predict_seconds_per_row: Annotated[float, Field(ge=0)] = Conditional(
        "Seconds it took per row to predict its out-of-fold rows (an ensemble: the sum of "
        "its members'); missing for models trained before it was measured")


class JobStatusView(BaseModel):
    """A job's status view (get_upload_data_status, get_automl_training_status, and each job
    of list_jobs). VecML documents status, start_time, duration, error, and for trainings
    task_type, model_name, label_attribute and validation_metric; the rest are extensions."""

    model_config = ConfigDict(extra="forbid")

    job_id: str = Field(description="Extension: the job's id")
    job_type: Literal[JOB_TYPES] = Field(  # type: ignore[valid-type]
        description="Extension: the call that started the job")
    status: Literal[JOB_STATUSES] = Field(  # type: ignore[valid-type]
        description="pending, in_progress, finished or failed")
    start_time: str = Field(
        pattern=TIME_PATTERN, description='"YYYY/MM/DD HH:MM:SS", server local time; the '
                                          "submission time while pending")
    duration: str = Field(pattern=DURATION_PATTERN, description='Run time so far, "HH:MM:SS"')
    progress: Annotated[float, Field(ge=0, le=1)] = Field(
        description="Extension: the fraction done, 0 to 1")
    current_step: str | None = Field(
        description="Extension: the step the job is at (a failed job keeps its last one); "
                    "null before the first and once finished")
    error: str = Conditional("Why the job failed; only when status is failed")
    project_name: str = Conditional(
        "Extension: the project the job works on; absent once that project is deleted")
    collection_name: str = Conditional(
        "Extension: the dataset the job works on; absent once that dataset is deleted")
    task_type: Literal["classification", "regression"] = Conditional(
        "Trainings: classification or regression")
    model_name: str = Conditional("Trainings: the model being trained")
    label_attribute: str = Conditional("Trainings: the attribute predicted")
    validation_metric: Metric = Conditional(
        "Trainings, once finished: an object of metrics for a classification, the mean "
        "squared error (a number) for a regression")
    leaderboard: list[LeaderboardEntry] = Conditional(
        "Extension; trainings, once finished: the candidates' out-of-fold scores, best first")
    num_training_samples: Annotated[int, Field(ge=0)] = Conditional(
        "Extension; trainings, once finished: the labelled rows trained on")
    num_inserted: Annotated[int, Field(ge=0)] = Conditional(
        "Extension; add_data, add_data_batch, upload and upload_automl_X, once finished: "
        "the rows stored")
    num_deleted: Annotated[int, Field(ge=0)] = Conditional(
        "Extension; delete_data, once finished: the rows deleted")
    num_labelled: Annotated[int, Field(ge=0)] = Conditional(
        "Extension; attach_automl_label, once finished: the rows given a label")


class JobStatusResponse(JobStatusView, Success):
    """A job's status (get_upload_data_status, get_automl_training_status)."""


class CancelJobResponse(Success):
    """Extension: the whole endpoint (cancel_job)."""

    job_id: str = Field(description="The job cancelled")
    status: Literal["failed"] = Field(description="A cancelled job is failed")
    error: str = Field(description='Why: "cancelled by the user"')


class JobListResponse(Success):
    """Extension: the whole endpoint (list_jobs)."""

    total: Annotated[int, Field(ge=0)] = Field(
        description="How many jobs match the filters, on every page")
    jobs: list[JobStatusView] = Field(description="This page's jobs, newest first, each as its "
                                               "status view")


class ClassExplanation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: Label
    base_value: float = Field(description="This class's margin before any feature")
    contributions: list[list[float]] = Field(
        description="One list per row, one number per feature (in `features` order): its "
                    "share of this class's margin")


class Explanations(BaseModel):
    """Each row's raw score = base value + the sum of its contributions (docs/compatibility.md:
    the raw score of a blend is the weighted sum of its members' raw scores)."""

    model_config = ConfigDict(extra="forbid")
    raw_score: Literal["log_odds", "margin", "value"] = Field(
        description="What the contributions add up to: log_odds of positive_class (binary), "
                    "per-class margins whose softmax is a single model's probabilities "
                    "(multiclass), or the predicted value (regression)")
    features: list[str] = Field(description="The input features the model uses, in the order "
                                            "of each row's contributions")
    base_value: float = Conditional("Binary and regression: the raw score before any feature")
    contributions: list[list[float]] = Conditional(
        "Binary and regression: one list per row, one number per feature")
    positive_class: Label = Conditional("Binary: the class whose log-odds are explained")
    classes: list[ClassExplanation] = Conditional(
        "Multiclass: per class, its base value and each row's contributions to its margin")


class PredictionResponse(Success):
    num_samples: Annotated[int, Field(ge=0)] = Field(
        description="How many rows had a label and were scored; 0 when none had one")
    predictions: list[str | float] = Field(
        description="One per row, in order: the class label (classification: a number when "
                    "every training label is numeric, else the label's text) or the value "
                    "(regression)")
    prediction_metric: Metric = Conditional(
        "Only when some rows had a label: an object of metrics for a classification, the "
        "mean squared error (a number) for a regression")
    classes: list[Label] = Conditional(
        "Extension; with return_probabilities on a classification: the classes, in the "
        "order of each row's probabilities")
    probabilities: list[list[float]] = Conditional(
        "Extension; with return_probabilities on a classification: one list per row, one "
        "probability per class")
    explanations: Explanations = Conditional(
        "Extension; with explain: per row, each feature's contribution to the model's raw "
        "score, and the base value; base value + contributions = the raw score")


class LeaderboardResponse(Success):
    """Extension: the whole endpoint (get_model_leaderboard)."""

    leaderboard: list[LeaderboardEntry] = Field(
        description="Every candidate the training evaluated (and the ensemble, if one was "
                    "chosen), best first by the training's eval_metric")


class ValidationMetricResponse(Success):
    validation_metric: Metric = Field(
        description="Out of fold, or on validation_dataset: an object of metrics for a "
                    "classification, the mean squared error (a number) for a regression")


class Importance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    feature: str = Field(description="A feature: a column name, an attribute, or f0, f1, ... "
                                     "for unnamed vector components")
    importance: float = Field(
        description="gain: its share of the gain, 0 to 1, all sum to 1; permutation: the mean "
                    "worsening of the selection metric when it is shuffled (0 or below: the "
                    "model does not need it)")
    std: Annotated[float, Field(ge=0)] = Conditional(
        "Extension; permutation: the standard deviation of the worsening over the shuffles")


class FeatureImportanceResponse(Success):
    """Not on VecML's AutoML page: the shape a third-party VecML client reads."""

    feature_importance: list[Importance] = Field(
        description="The features the model uses, most important first")
    importance_type: Literal["gain", "permutation"] = Conditional(
        "Extension; permutation only: the importance_type asked for")
    metric: str = Conditional("Extension; permutation only: the metric that is worsened (the "
                              "model's selection metric)")
    num_rows: Annotated[int, Field(ge=1)] = Conditional(
        "Extension; permutation only: the labelled rows used (a seeded sample of at most 5,000)")
    n_repeats: Annotated[int, Field(ge=1)] = Conditional(
        "Extension; permutation only: the shuffles per feature")


TrainingMode = Annotated[Literal["high_speed", "balanced", "high_accuracy", "auto"], Field(
    description="As requested: high_speed, balanced, high_accuracy or auto")]
ModelInfoArray = Annotated[
    tuple[str, Literal["classification", "regression"], TrainingMode, str,
          Annotated[str, Field(pattern=MODEL_TIME_PATTERN)]],
    Field(description="VecML's documented form (the default): [model_name, task_type, "
                      'training_mode, label_attribute, create_time "YYYY/MM/DD, HH:MM"]')]


class ModelInfo(BaseModel):
    """One model as an object: AUTOML_MODEL_INFOS_FORMAT=objects, as VecML's live service
    answers."""

    model_config = ConfigDict(extra="forbid")
    model_name: str
    task_type: Literal["classification", "regression"]
    training_mode: TrainingMode
    label_attribute: str
    create_time: str = Field(pattern=MODEL_TIME_PATTERN, description='"YYYY/MM/DD, HH:MM"')


class ModelInfosResponse(Success):
    # Each item is one form or the other (a list of one form or a list of the other would be
    # tighter, but client generators such as openapi-python-client cannot tell two list types
    # apart and emit code that does not type-check).
    model_infos: list[ModelInfoArray | ModelInfo] = Field(
        description="The dataset's trained models, oldest first, all in the same form: arrays "
                    "as VecML documents (default), or objects with the same five keys when "
                    "the server is set to AUTOML_MODEL_INFOS_FORMAT=objects")


def ok(model: type[Success], description: str = "Success") -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route decorator declaring its success answer (documentation only:
    the route's return value is not validated against it)."""
    return {200: {"model": model, "description": description}}


class MemberSummary(BaseModel):
    """Extension: one member of the model's weighted ensemble."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Extension: the candidate's name, as on the leaderboard")
    family: str | None = Field(description="Extension: lgbm, catboost or linear")
    weight: float = Field(description="Extension: its weight in the blend (0: it only feeds "
                                      "the stacked members)")
    stacked: bool = Field(description="Extension: true for a second-level member, which also "
                                      "sees the first level's predictions")


class CategoricalSummary(BaseModel):
    """Extension: a categorical input feature and the levels the model knows."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="Extension: the attribute's name")
    levels: list[str] = Field(description="Extension: its known values, as text, most "
                                          "frequent first; other values count as missing")


class ModelManifest(BaseModel):
    """Extension: what the downloaded model reads and is made of."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["zip", "onnx"] = Field(description="Extension: the format of model_data")
    format_version: int = Field(description="Extension: the artifact format version")
    task: Literal["classification", "regression"] = Field(description="Extension: the task")
    label: str = Field(description="Extension: the label attribute it was trained to predict")
    numeric_features: list[str] | None = Field(
        description="Extension: the numeric input columns' names, in order; null for a model "
                    "trained on unnamed vectors (see n_numeric)")
    n_numeric: Annotated[int, Field(ge=0)] = Field(
        description="Extension: how many numeric input columns the model reads")
    categorical_features: list[CategoricalSummary] = Field(
        description="Extension: the categorical input features with their levels")
    classes: list[Label] = Conditional(
        "Extension, classification: the classes, in the order of predict_proba's columns")
    decision_threshold: float = Conditional(
        "Extension, a binary classifier tuned for a threshold metric: the second class is "
        "predicted when its probability is above this")
    members: list[MemberSummary] = Field(description="Extension: the ensemble's members")
    onnx_inputs: list[str] = Conditional(
        "Extension, format onnx: the graph's input names in order: features (double "
        "[n, n_numeric], the numeric_features in order; numeric_features when an attribute is "
        "called features), then one string tensor [n] per categorical feature")


class DownloadModelResponse(Success):
    """Extension: the whole endpoint (download_automl_model)."""

    model_data: str = Field(description="Extension: the model file, base64 (format zip: load "
                                        "it with automl_runtime.load; format onnx: an ONNX "
                                        "model for onnxruntime)")
    format_version: int = Field(description="Extension: the artifact format version; a runtime "
                                            "refuses versions newer than it knows")
    manifest: ModelManifest = Field(description="Extension: what the model reads and is made of")

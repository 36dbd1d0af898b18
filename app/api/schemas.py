"""Request bodies and the two envelopes. Every body carries `user_api_key`; unknown fields are
ignored, as VecML's clients send extra ones.

The JSON schemas published in /openapi.json say what the server accepts: fields are validated
strictly (a JSON string is no integer, 1 is no boolean), and where a rule is checked by a use
case (names, enumerations, letter case) the schema spells out the same rule. Some runtime types
stay wider than their schema so that the use cases keep answering with their own messages."""

import re
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from app.config import Settings
from app.ingest import FORMAT_ALIASES, MAX_ID_LENGTH, SUPPORTED_FORMATS
from app.services.names import ATTRIBUTE_NAME_MAX, CONTAINER_NAME, CONTROL_CHARACTERS, MODEL_NAME

# ---- the envelopes ----


class ErrorResponse(BaseModel):
    """Every failure, whatever its status."""

    model_config = ConfigDict(extra="forbid")
    success: Literal[False] = Field(description="Always false on a failure")
    error_message: str = Field(description="What went wrong, for a person to read")


# ---- rules shared by several fields ----

def _anchored(regex: re.Pattern) -> str:
    """The server's name rule (the whole name must match) as a JSON Schema pattern."""
    return "^(?:" + regex.pattern.removeprefix("^").removesuffix("$") + ")$"


def _any_case(*words: str) -> str:
    """The words in any letter case, spelled without flags (ECMA 262 has no inline `(?i)`)."""
    return "(?:" + "|".join(
        "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else re.escape(c) for c in word)
        for word in words) + ")"


SPACE = r"\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
"""Exactly the characters Python's str.strip() removes, for a character class."""


def _text(control: str, max_length: int) -> dict:
    """A text that is not blank and has no `control` characters."""
    char, solid = f"[^{control}]", f"[^{control}{SPACE}]"
    pattern = f"^{char}*{solid}{char}*$"
    return {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": pattern}


MODEL_NAME_PATTERN = _anchored(MODEL_NAME)
CONTAINER_NAME_PATTERN = _anchored(CONTAINER_NAME)
NAME_RULE = "1 to 128 letters, digits, '_', '-' or '.'"
CONTAINER_RULE = f"{NAME_RULE}, and spaces between them"

FILE_FORMATS = {**{name: name for name in SUPPORTED_FORMATS}, **FORMAT_ALIASES}
"""Each accepted spelling (in any letter case, with spaces around) and the format it names."""
PREDICT_FILE_FORMATS = {k: v for k, v in FILE_FORMATS.items() if v != "binary"}
FILE_FORMAT_PATTERN = f"^[{SPACE}]*{_any_case(*FILE_FORMATS)}[{SPACE}]*$"
PREDICT_FILE_FORMAT_PATTERN = f"^[{SPACE}]*{_any_case(*PREDICT_FILE_FORMATS)}[{SPACE}]*$"
COMPRESSION_PATTERN = f"^[{SPACE}]*{_any_case('gzip', 'none')}?[{SPACE}]*$"
TRAINING_MODES = ["high_speed", "balanced", "high_accuracy", "auto"]
TASK_TYPES = ["classification", "regression"]
EVAL_METRICS = ["accuracy", "balanced_accuracy", "f1", "log_loss", "auc", "pr_auc",
                "rmse", "mse", "mae", "r2", "mape"]
VECTOR_TYPES = ["dense", "sparse"]
ID = _text(r"\x00-\x1f\x7f-\x9f", MAX_ID_LENGTH)
"""ingest.id_problem: not blank, at most MAX_ID_LENGTH characters, no control characters."""
ID_RULE = f"a string of 1 to {MAX_ID_LENGTH} characters, not blank, no control characters"
ATTRIBUTE_NAME = _text(CONTROL_CHARACTERS, ATTRIBUTE_NAME_MAX)
"""services.names.check_attribute_name (a label_attribute, attach_automl_label's
attribute_name)."""
ATTRIBUTE_NAME_RULE = f"1 to {ATTRIBUTE_NAME_MAX} characters, not blank, no control characters"
MAX_EXACT = 2**53 - 1
"""Integers beyond are not exact in every JSON parser (orjson reads those past 64 bits as
floats)."""
MAX_DIM = MAX_EXACT
"""Largest vector_dim read (an exact integer in every JSON parser); the server's width limits
(AUTOML_MAX_DENSE_DIM, AUTOML_MAX_SPARSE_DIM) are lower, and app.api.openapi states them."""
MAX_POSITION = 2**31 - 1
MAX_SEED = 2**32 - 1
"""numpy's seeds are 32-bit."""


def _integral(value: Any) -> Any:
    """JSON Schema counts 3.0 as an integer: so does the server."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _integer_text(value: Any) -> Any:
    """A job id sent as a JSON integer is looked up as its decimal text."""
    value = _integral(value)
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) > MAX_EXACT:
            raise ValueError(f"a number must be within +-{MAX_EXACT} to be exact; send a string")
        return str(value)
    return value


def _string(**schema: Any) -> dict:
    return {"type": "string", **schema}


def _nullable(schema: dict) -> WithJsonSchema:
    return WithJsonSchema({"anyOf": [schema, {"type": "null"}]})


_SCALAR = {"type": ["string", "number", "boolean", "null"]}
_ATTRIBUTES = {"type": "object", "additionalProperties": _SCALAR}
_INDEX = {"type": "integer", "minimum": 0, "maximum": MAX_DIM - 1}
_NUMBER_OR_NULL = {"type": ["number", "null"]}
_PAIR = {"type": "array", "prefixItems": [_INDEX, {"type": "number"}], "minItems": 2,
         "maxItems": 2}
_VECTOR = {"anyOf": [
    # The dense form and the [index, value] pairs are one array schema, its items either, with
    # `not` forbidding a row that mixes them: as two array branches (the exact same rule), a
    # generated client (openapi-python-client) cannot tell them apart and fails to type-check.
    {"type": "array", "items": {"anyOf": [_NUMBER_OR_NULL, _PAIR]},
     "not": {"allOf": [{"contains": _NUMBER_OR_NULL}, {"contains": _PAIR}]},
     "description": "dense: one number (null: a missing value) per dimension, for a sparse "
                    "dataset its non-zero entries are stored; or sparse: [index, value] pairs, "
                    "0-based (a row is one or the other)"},
    {"type": "object", "required": ["indices", "values"],
     "properties": {"indices": {"type": "array", "items": _INDEX},
                    "values": {"type": "array", "items": {"type": "number"}}},
     "description": "sparse: parallel lists of 0-based indices and values"},
    {"type": "object", "propertyNames": {"pattern": "^[0-9]+$"},
     "additionalProperties": {"type": "number"},
     "description": 'sparse: {"index": value, ...}, 0-based'},
    {"type": "string", "description": 'sparse: "index:value index:value ...", 0-based'},
]}

ApiKey = Annotated[str | None, WithJsonSchema(_string(minLength=1, pattern=r"\S"))]
ContainerName = Annotated[str, WithJsonSchema(_string(pattern=CONTAINER_NAME_PATTERN))]
OptionalContainerName = Annotated[str | None, WithJsonSchema({"anyOf": [
    _string(pattern=CONTAINER_NAME_PATTERN), _string(maxLength=0), {"type": "null"}]})]
ModelName = Annotated[str, WithJsonSchema(_string(pattern=MODEL_NAME_PATTERN))]
Base64 = Annotated[str, WithJsonSchema(_string(contentEncoding="base64"))]
OptionalBase64 = Annotated[str | None, _nullable(_string(contentEncoding="base64"))]
FileFormat = Annotated[str, WithJsonSchema(_string(pattern=FILE_FORMAT_PATTERN))]
OptionalFileFormat = Annotated[str | None, _nullable(_string(pattern=FILE_FORMAT_PATTERN))]
PredictFileFormat = Annotated[str | None, _nullable(_string(pattern=PREDICT_FILE_FORMAT_PATTERN))]
Compression = Annotated[str | None, _nullable(_string(pattern=COMPRESSION_PATTERN))]
VectorType = Annotated[str | None, _nullable(_string(enum=VECTOR_TYPES))]
VectorDim = Annotated[int, Field(ge=1, le=MAX_DIM), BeforeValidator(_integral)]
JobId = Annotated[str, BeforeValidator(_integer_text), WithJsonSchema(
    {"anyOf": [_string(), {"type": "integer", "minimum": -MAX_EXACT, "maximum": MAX_EXACT}]})]
IdColumn = str | Annotated[int, Field(ge=0, le=MAX_POSITION), BeforeValidator(_integral)] | None
AttributeName = Annotated[str, WithJsonSchema(ATTRIBUTE_NAME)]
Attributes = Annotated[dict | None, _nullable(_ATTRIBUTES)]

# descriptions used more than once
FILE_DATA = "base64-encoded (optionally gzip-compressed first)"
FILE_FORMAT = ("csv, json, libsvm or binary, in any letter case; also jsonl and ndjson (json), "
               "svmlight (libsvm), bin (binary)")
HAS_FIELD_NAMES = "csv: whether the first row is a header; detected when absent"
COMPRESSION = ('"gzip" (any letter case), "none", or absent/"" to gunzip only data starting '
               "with the gzip magic bytes")
ID_COLUMN = ('csv/json: the column holding the ids, by name or 0-based position; "" for none; '
             "default: a column named id or string_id")


def _require_key(schema: dict[str, Any]) -> None:
    """`user_api_key` is required, yet a body without it is answered 401 with the
    authentication message (not 400): the model leaves it optional, the schema says required."""
    schema["properties"]["user_api_key"].pop("default", None)
    required = [name for name in schema.get("required", []) if name != "user_api_key"]
    schema["required"] = ["user_api_key", *required]


# ---- request bodies ----


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, json_schema_extra=_require_key)
    user_api_key: ApiKey = Field(
        None, description="Your API key. A missing or unknown key is answered 401.")


class ProjectRequest(Body):
    project_name: ContainerName = Field(description=f"The project: {CONTAINER_RULE}")


class CreateProjectRequest(ProjectRequest):
    application: str | None = Field(
        None, description='What the project is for, e.g. "Machine Learning"; stored as given')


class CollectionRequest(ProjectRequest):
    collection_name: ContainerName = Field(
        description=f"The dataset (collection) in the project: {CONTAINER_RULE}")


def _dim(maximum: int) -> dict:
    return {"anyOf": [{"type": "integer", "maximum": maximum}, {"type": "null"}]}


def init_widths(max_dense: int, max_sparse: int) -> list[dict]:
    """init: a dense dataset needs its width, at most max_dense; a sparse one at most
    max_sparse (AUTOML_MAX_DENSE_DIM, AUTOML_MAX_SPARSE_DIM)."""
    return [
        {"required": ["vector_dim"], "properties": {
            "vector_type": {"const": "dense"},
            "vector_dim": {"type": "integer", "maximum": max_dense}}},
        {"required": ["vector_type"], "properties": {
            "vector_type": {"const": "sparse"}, "vector_dim": _dim(max_sparse)}},
    ]


LIBSVM_PATTERN = f"^[{SPACE}]*{_any_case('libsvm', 'svmlight')}[{SPACE}]*$"


def upload_widths(max_dense: int, max_sparse: int) -> list[dict]:
    """upload, upload_automl_X: vector_dim within the limit of the layout: sparse when
    vector_type says so, or when it is absent and the file is libsvm; dense otherwise."""
    return [
        {"properties": {"vector_dim": _dim(max_dense)}},
        {"required": ["vector_type"], "properties": {
            "vector_type": {"const": "sparse"}, "vector_dim": _dim(max_sparse)}},
        {"required": ["file_format"], "properties": {
            "vector_type": {"type": "null"}, "file_format": {"pattern": LIBSVM_PATTERN},
            "vector_dim": _dim(max_sparse)}},
    ]


_DEFAULT_WIDTHS = (Settings.model_fields["max_dense_dim"].default,
                   Settings.model_fields["max_sparse_dim"].default)


def _init_schema(schema: dict[str, Any]) -> None:
    _require_key(schema)
    schema["anyOf"] = init_widths(*_DEFAULT_WIDTHS)


def _upload_schema(schema: dict[str, Any]) -> None:
    _require_key(schema)
    schema["anyOf"] = upload_widths(*_DEFAULT_WIDTHS)


class InitRequest(CollectionRequest):
    model_config = ConfigDict(json_schema_extra=_init_schema)
    vector_type: Annotated[str, WithJsonSchema(_string(enum=VECTOR_TYPES))] = Field(
        "dense", description="dense (vector_dim required) or sparse")
    vector_dim: VectorDim | None = Field(
        None, description="Number of dimensions; required for a dense dataset. A sparse "
                          "dataset without it is as wide as its widest row.")


class AddDataRequest(CollectionRequest):
    data: Annotated[list | dict | str, WithJsonSchema(_VECTOR)] = Field(
        description="One vector: dense, or in one of the sparse forms of "
                    "docs/ingest-formats.md; its width must suit the dataset")
    string_id: Annotated[str | None, _nullable(ID)] = Field(
        None, description=f"The vector's id, unique in the dataset ({ID_RULE}); generated "
                          "when absent")
    attributes: Attributes = Field(
        None, description="The vector's attributes: strings, numbers, booleans or null")


def _vector_rows(value: object) -> object:
    """A list of vectors, or the float array a large body's dense rows were read into
    (app/api/routing.py)."""
    if isinstance(value, list | np.ndarray):
        return value
    raise PydanticCustomError("list_type", "Input should be a valid list")


class AddDataBatchRequest(CollectionRequest):
    data: Annotated[Any, PlainValidator(_vector_rows), WithJsonSchema(
        {"type": "array", "minItems": 1, "items": _VECTOR})] = (
        Field(description="The vectors, each dense or in one of the sparse forms"))
    string_ids: Annotated[list | None, _nullable({"type": "array", "items": ID})] = Field(
        None, description=f"One id per vector (as many as data), unique in the dataset, each "
                          f"{ID_RULE}; generated when absent")
    attributes: Annotated[list | None, _nullable(
        {"type": "array", "items": {"anyOf": [_ATTRIBUTES, {"type": "null"}]}})] = Field(
        None, description="One object of attributes (or null) per vector, as many as data")


class FileOptions(BaseModel):
    """How a base64 file is read: see docs/ingest-formats.md."""

    model_config = ConfigDict(strict=True)
    file_format: OptionalFileFormat = Field(None, description=FILE_FORMAT)
    has_field_names: bool | None = Field(None, description=HAS_FIELD_NAMES)
    compression_type: Compression = Field(None, description=COMPRESSION)
    id_column: IdColumn = Field(None, description=ID_COLUMN)
    label_column: str | None = Field(
        None, description="csv/json: a column stored as an attribute (the label)")
    attribute_columns: list[str] | None = Field(
        None, description="csv/json: more columns stored as attributes")
    categorical_features: list[str] | None = Field(
        None, description="Columns stored as attributes and used as categorical features")
    vector_type: VectorType = Field(
        None, description="dense or sparse: the layout the vectors are stored in")
    vector_dim: VectorDim | None = Field(
        None, description="The vectors' width; required for a binary file unless the dataset "
                          "has one")


class UploadRequest(CollectionRequest, FileOptions):
    model_config = ConfigDict(json_schema_extra=_upload_schema)
    file_data: Base64 = Field(description=f"The file, {FILE_DATA}")
    file_format: FileFormat = Field(description=FILE_FORMAT)


class UploadAutomlXRequest(CollectionRequest, FileOptions):
    model_config = ConfigDict(json_schema_extra=_upload_schema)
    X: Base64 = Field(description=f"The features file, {FILE_DATA}")
    file_format: FileFormat = Field("csv", description=FILE_FORMAT)


class AttachLabelRequest(CollectionRequest, FileOptions):
    file_data: Base64 = Field(description=f"The labels file, one row per vector, {FILE_DATA}")
    attribute_name: AttributeName = Field(
        description=f"The attribute the labels are stored as: {ATTRIBUTE_NAME_RULE}")


class DeleteDataRequest(CollectionRequest):
    string_ids: Annotated[list, WithJsonSchema(
        {"type": "array", "minItems": 1, "items": ID})] = Field(
        description=f"The ids of the vectors to delete, each {ID_RULE}; unknown ids are "
                    "ignored")


class JobRequest(Body):
    job_id: JobId = Field(
        description="A job id, as returned by the call that started the job (a number is read "
                    "as its decimal text)")


MAX_JOBS_PER_PAGE = 500


class ListJobsRequest(Body):
    project_name: OptionalContainerName = Field(
        None, description="Only the jobs of this project")
    collection_name: OptionalContainerName = Field(
        None, description="Only the jobs of this dataset of project_name (without project_name "
                          "no dataset is found: 404)")
    kind: Literal["data", "train"] | None = Field(
        None, description='"data" (uploads, inserts, deletes, labels) or "train"')
    status: Literal["pending", "in_progress", "finished", "failed"] | None = Field(
        None, description="Only the jobs in this state")
    limit: Annotated[int, Field(ge=1, le=MAX_JOBS_PER_PAGE), BeforeValidator(_integral)] = Field(
        100, description=f"At most this many jobs (1-{MAX_JOBS_PER_PAGE})")
    # Bounded (past 2**63 the database's integer overflowed: a 500).
    offset: Annotated[int, Field(ge=0, le=2**53), BeforeValidator(_integral)] = Field(
        0, description="Skip this many of the newest jobs first (for the next page)")


class ModelRequest(CollectionRequest):
    model_name: ModelName = Field(description=f"The model: {NAME_RULE}")


MODEL_FORMATS = ["zip", "onnx"]


class DownloadModelRequest(ModelRequest):
    format: Annotated[str, WithJsonSchema(_string(enum=MODEL_FORMATS))] = Field(
        "zip", description="Extension: the file to answer; zip (the default): the model's "
                           "artifact, which the automl-runtime package loads and scores "
                           "exactly as the server does; onnx: one ONNX graph (encoding, "
                           "members and blend) giving automl_predict's labels and "
                           "probabilities or values, refused (400) for a model it cannot "
                           "express exactly (see docs/compatibility.md)")


def _importance_schema(schema: dict[str, Any]) -> None:
    _require_key(schema)
    schema["anyOf"] = [  # permutation importance needs the rows to shuffle
        {"properties": {"importance_type": {"const": "gain"}}},
        {"required": ["validation_dataset"], "properties": {
            "validation_dataset": _string(minLength=1, pattern=CONTAINER_NAME_PATTERN)}},
    ]


class FeatureImportanceRequest(ModelRequest):
    model_config = ConfigDict(json_schema_extra=_importance_schema)
    importance_type: Annotated[str, WithJsonSchema(_string(enum=["gain", "permutation"]))] = (
        Field("gain", description="Extension: gain (each feature's share of the trees' gain, "
                                  "the default) or permutation (how much the model's selection "
                                  "metric worsens when the feature is shuffled, on "
                                  "validation_dataset's rows)"))
    validation_dataset: OptionalContainerName = Field(
        None, description="Extension, with importance_type permutation: a dataset of the same "
                          "project, with the label, whose rows the model was not trained on")


class TrainRequest(ModelRequest):
    training_mode: Annotated[str, WithJsonSchema(_string(enum=TRAINING_MODES))] = Field(
        "balanced", description="high_speed, balanced, high_accuracy, or auto (balanced)")
    task_type: Annotated[str, WithJsonSchema(_string(enum=TASK_TYPES))] = Field(
        description="classification or regression")
    label_attribute: AttributeName = Field(
        description=f"The attribute (or named csv column) to predict: {ATTRIBUTE_NAME_RULE}")
    categorical_features: list[str] | None = Field(
        None, description="Attributes used as categorical features; default: those declared "
                          "categorical at upload")
    train_categorical_features: list[str] | None = Field(
        None, description="Alias of categorical_features")
    validation_dataset: OptionalContainerName = Field(
        None, description="A dataset of the same project to compute the validation metric on; "
                          'absent or "": out of fold')
    time_budget: Annotated[float, Field(gt=0)] | None = Field(
        None, description="Training time budget, seconds; default: the mode's")
    seed: Annotated[int, Field(ge=0, le=MAX_SEED), BeforeValidator(_integral)] | None = Field(
        None, description="Random seed, for repeatable trainings")
    eval_metric: Annotated[str | None, _nullable(_string(enum=EVAL_METRICS))] = Field(
        None, description="Extension: the metric the candidates are ranked, ensembled and "
                          "scored on the leaderboard by. Classification: accuracy, "
                          "balanced_accuracy, f1 (binary: of the second class; multiclass: "
                          "macro), log_loss, auc, pr_auc; regression: rmse, mse, mae, r2, "
                          "mape. Default: auc (binary), log_loss (multiclass), mse. On a "
                          "binary task accuracy, balanced_accuracy and f1 also tune the "
                          "decision threshold")
    weight_attribute: Annotated[str | None, _nullable(ATTRIBUTE_NAME)] = Field(
        None, description="Extension: a numeric attribute (or named column) holding each "
                          "row's weight (>= 0; rows without one are left out). Weights every "
                          "fit and the selection metric; it is not a feature")
    class_weight: Annotated[str | None, _nullable(_string(enum=["balanced"]))] = Field(
        None, description="Extension, classification: balanced weighs each row n / (k * its "
                          "class's count), times its weight_attribute weight if any")


def _predict_schema(schema: dict[str, Any]) -> None:
    _require_key(schema)
    schema["anyOf"] = [  # rows to predict: a dataset, or a file with its format
        {"required": ["prediction_dataset"],
         "properties": {"prediction_dataset": _string(minLength=1)}},
        {"required": ["file_data", "file_format"],
         "properties": {"file_data": _string(minLength=1), "file_format": {"type": "string"}}},
    ]


class PredictRequest(ModelRequest):
    model_config = ConfigDict(json_schema_extra=_predict_schema)
    prediction_dataset: OptionalContainerName = Field(
        None, description="A dataset of the same project to predict; or give file_data")
    file_data: OptionalBase64 = Field(None, description=f"Or the rows to predict, {FILE_DATA}")
    file_format: PredictFileFormat = Field(
        None, description="file_data's format: csv, json or libsvm, in any letter case; also "
                          "jsonl, ndjson, svmlight")
    has_field_names: bool | None = Field(None, description=HAS_FIELD_NAMES)
    compression_type: Compression = Field(None, description=COMPRESSION)
    id_column: IdColumn = Field(None, description=ID_COLUMN)
    return_probabilities: bool = Field(
        False, description="Classification: add classes and per-class probabilities")
    explain: bool = Field(
        False, description="Extension: add explanations, each row's per-feature contributions "
                           "to the model's raw score and the base value (at most 1,000 rows a "
                           "request; not for high_accuracy's stacked classification models or "
                           "tree stacks)")

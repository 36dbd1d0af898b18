"""What the use cases read from a request, as protocols: the API's request models
(app/api/schemas.py) satisfy them structurally, as can any other caller's objects, and the
services never import the API. Values are already checked for type; rules that need the
database or the server's limits are the services' to check."""

from typing import Protocol


class ModelRef(Protocol):
    project_name: str
    collection_name: str
    model_name: str


class DownloadRequest(ModelRef, Protocol):
    format: str


class TrainingRequest(ModelRef, Protocol):
    training_mode: str
    task_type: str
    label_attribute: str
    categorical_features: list[str] | None
    train_categorical_features: list[str] | None
    validation_dataset: str | None
    time_budget: float | None
    seed: int | None
    # Extensions (issue 13); callers without them (the dashboard's form) give None.
    eval_metric: str | None
    weight_attribute: str | None
    class_weight: str | None


class FileReading(Protocol):
    """How a base64 file is read (docs/ingest-formats.md)."""

    @property
    def file_format(self) -> str | None:
        """Read-only: some requests require it (a `str`), others may leave it out."""
    has_field_names: bool | None
    compression_type: str | None
    id_column: str | int | None


class FileUpload(FileReading, Protocol):
    """A file's rows stored in a dataset (upload, upload_automl_X, attach_automl_label)."""

    project_name: str
    collection_name: str
    label_column: str | None
    attribute_columns: list[str] | None
    categorical_features: list[str] | None
    vector_type: str | None
    vector_dim: int | None


class LabelUpload(FileUpload, Protocol):
    file_data: str
    attribute_name: str


class PredictionRequest(ModelRef, FileReading, Protocol):
    """Rows to predict: a stored dataset, or an inline file."""

    prediction_dataset: str | None
    file_data: str | None

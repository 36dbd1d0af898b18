"""Request bodies. Every body carries `user_api_key`; unknown fields are ignored, as VecML's
clients send extra ones."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field


class Body(BaseModel):
    model_config = ConfigDict(extra="ignore")
    user_api_key: str | None = None


class ProjectRequest(Body):
    project_name: str


class CreateProjectRequest(ProjectRequest):
    application: str | None = None


class CollectionRequest(ProjectRequest):
    collection_name: str


class InitRequest(CollectionRequest):
    vector_type: str = "dense"
    vector_dim: int | None = None


class AddDataRequest(CollectionRequest):
    data: list | dict | str  # dense list, or one of the sparse forms
    string_id: str | None = None
    attributes: dict | None = None


class AddDataBatchRequest(CollectionRequest):
    data: list
    string_ids: list | None = None
    attributes: list | None = None


class FileOptions(BaseModel):
    """How a base64 file is read: see docs/ingest-formats.md."""

    file_format: str | None = None
    has_field_names: bool | None = None
    compression_type: str | None = None
    id_column: str | int | None = None
    label_column: str | None = None
    attribute_columns: list[str] | None = None
    categorical_features: list[str] | None = None
    vector_type: str | None = None
    vector_dim: Annotated[int, Field(gt=0)] | None = None


class UploadRequest(CollectionRequest, FileOptions):
    file_data: str
    file_format: str


class UploadAutomlXRequest(CollectionRequest, FileOptions):
    X: str
    file_format: str = "csv"


class AttachLabelRequest(CollectionRequest, FileOptions):
    file_data: str
    attribute_name: str


class DeleteDataRequest(CollectionRequest):
    string_ids: list


class JobRequest(Body):
    job_id: str


class ModelRequest(CollectionRequest):
    model_name: str


class TrainRequest(ModelRequest):
    training_mode: str = "balanced"
    task_type: str
    label_attribute: str
    categorical_features: list[str] | None = None
    train_categorical_features: list[str] | None = None
    validation_dataset: str | None = None
    time_budget: Annotated[float, Field(gt=0)] | None = None
    seed: int | None = None


class PredictRequest(ModelRequest):
    prediction_dataset: str | None = None
    file_data: str | None = None
    file_format: str | None = None
    has_field_names: bool | None = None
    compression_type: str | None = None
    id_column: str | int | None = None
    return_probabilities: bool = False

"""The dashboard's forms as the requests the services read (app/services/requests.py)."""

from dataclasses import dataclass


@dataclass
class TrainingForm:
    project_name: str
    collection_name: str
    model_name: str
    training_mode: str
    task_type: str
    label_attribute: str
    categorical_features: list[str] | None
    time_budget: float | None
    train_categorical_features: list[str] | None = None
    validation_dataset: str | None = None
    seed: int | None = None
    eval_metric: str | None = None
    weight_attribute: str | None = None
    class_weight: str | None = None


@dataclass
class CsvUpload:
    """A CSV file with a header row (gzip-compressed or not) into a new or existing dataset;
    text columns are stored as categorical attributes."""

    project_name: str
    collection_name: str
    compression_type: str | None
    categorical_features: list[str] | None
    label_column: str | None = None
    file_format: str = "csv"
    has_field_names: bool | None = True
    id_column: str | int | None = None
    attribute_columns: list[str] | None = None
    vector_type: str | None = None
    vector_dim: int | None = None


@dataclass
class CsvPrediction:
    project_name: str
    collection_name: str
    model_name: str
    file_data: str
    compression_type: str | None
    file_format: str = "csv"
    has_field_names: bool | None = True
    id_column: str | int | None = None
    prediction_dataset: str | None = None


@dataclass
class ModelName:
    project_name: str
    collection_name: str
    model_name: str

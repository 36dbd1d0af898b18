"""Python client for VecML's AutoML REST API and automl-server: pandas in, pandas out.

    from automl_client import Client
    c = Client("http://127.0.0.1:8000", api_key="...")
    proj = c.create_project("demo", exist_ok=True)
    ds = proj.upload("train", df, label="target")
    model = ds.train("m1", mode="high_speed", task="classification").wait(progress=True)
    model.predict(test_df)

`AsyncClient` has the same methods as coroutines, on AsyncProject, AsyncDataset, AsyncJob and
AsyncModel handles.
"""

from automl_client.client import AsyncClient, BaseClient, Client
from automl_client.errors import (
    APIError,
    AutoMLError,
    BadRequest,
    Conflict,
    JobFailed,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    TrainingFailed,
    TransportError,
    Unauthorized,
    Unsupported,
    WaitTimeout,
)
from automl_client.resources import (
    AsyncDataset,
    AsyncJob,
    AsyncModel,
    AsyncProject,
    Dataset,
    Explanation,
    Job,
    Model,
    Project,
)

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AsyncClient",
    "AsyncDataset",
    "AsyncJob",
    "AsyncModel",
    "AsyncProject",
    "AutoMLError",
    "BadRequest",
    "BaseClient",
    "Client",
    "Conflict",
    "Dataset",
    "Explanation",
    "Job",
    "JobFailed",
    "Model",
    "NotFound",
    "PayloadTooLarge",
    "Project",
    "RateLimited",
    "ServerError",
    "TrainingFailed",
    "TransportError",
    "Unauthorized",
    "Unsupported",
    "WaitTimeout",
]

"""One settings object for the whole server, read from `AUTOML_*` environment variables."""

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

FILE_BYTES_PER_BODY_BYTE = 4
"""Default decompressed limit: a small multiple of the body limit (gzip CSV inflates 3-5x)."""
TRAIN_MEMORY_FRACTION = 0.5


def machine_memory_bytes() -> int:
    """Physical memory of this machine (the training memory limit's default is a share of it)."""
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def available_cores() -> int:
    """CPUs this process may run on (its affinity mask: a container's cpuset, taskset)."""
    return len(os.sched_getaffinity(0))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AUTOML_", extra="ignore")

    data_dir: Path = Field(Path("./automl-data"), description="Where the embedded database lives")
    database_url: str | None = Field(
        None, description="SQLAlchemy URL; default: SQLite file in data_dir"
    )
    broker_url: str | None = Field(None, description="Celery broker (production mode)")
    api_keys: str = Field("", description='Keys registered at start: "key1:alice,key2:bob"')
    open_access: bool = Field(False, description="Accept any non-empty key, one tenant per key")
    rate_limit_per_second: float = Field(0.0, description="Requests per second per key; 0 = off")
    max_body_bytes: int = Field(200 * 1024 * 1024, description="Largest accepted request body")
    max_file_bytes: int = Field(
        0, ge=0, description="Largest decompressed file (all gzip members together), bytes; "
                             f"0 = {FILE_BYTES_PER_BODY_BYTE} x max_body_bytes"
    )
    max_dense_dim: int = Field(100_000, ge=1, description="Widest dense vector")
    max_sparse_dim: int = Field(
        1 << 24, ge=1, description="Widest sparse vector (largest index + 1)"
    )
    max_rows_per_request: int = Field(
        2_000_000, ge=1, description="Most rows one request or uploaded file may carry"
    )
    max_classes: int = Field(1000, ge=2, description="Most distinct labels of a classification")
    train_memory_limit: int = Field(
        0, ge=0, description="Memory one training may need, bytes, estimated before fitting; "
                             f"0 = {TRAIN_MEMORY_FRACTION:.0%} of the machine's memory"
    )
    model_infos_format: Literal["arrays", "objects"] = Field(
        "arrays", description="list_automl_model_infos: documented arrays, or objects with the "
                              "same five keys"
    )
    train_workers: int = Field(1, ge=1, description="Training processes in embedded mode")
    queue_prefix: str = Field("automl", description="Celery queues: <prefix>.data, <prefix>.train")
    task_time_limit: int = Field(6 * 3600, description="Hard limit of one job, seconds")
    visibility_timeout: int = Field(
        12 * 3600, description="Redis redelivers an unacked task after this; > longest job"
    )
    job_stale_seconds: float = Field(
        30.0, description="A running job whose heartbeat is older than this is taken over"
    )
    republish_after: float = Field(
        30.0, description="Production: re-send jobs still pending (or stale) after this, s"
    )
    train_threads: int = Field(
        0, ge=0, description="Threads of one training (LightGBM, CatBoost, BLAS); 0: the cores "
                             "available, shared by the trainings that run at once"
    )
    log_level: Literal["critical", "error", "warning", "info", "debug"] = Field(
        "info", description="Log level of serve (uvicorn) and worker (Celery)"
    )
    log_format: Literal["text", "json"] = Field(
        "text", description="Logs of serve and worker: text, or one JSON object a line"
    )
    metrics_dir: Path | None = Field(
        None, description="Prometheus multiprocess directory shared by every API process and "
                          "worker of a deployment; default: data_dir/metrics"
    )
    host: str = "127.0.0.1"
    port: int = 8000
    ssl_certfile: Path | None = Field(
        None, description="serve: HTTPS with this PEM certificate (chain); needs ssl_keyfile"
    )
    ssl_keyfile: Path | None = Field(None, description="serve: the certificate's PEM private key")
    key_secret: str = Field(
        "", description="API keys are stored as HMAC-SHA256 with this secret; embedded default: "
                        "generated into data_dir/key-secret; production: required"
    )

    @model_validator(mode="after")
    def _derived_defaults(self) -> "Settings":
        if self.max_file_bytes == 0:
            self.max_file_bytes = FILE_BYTES_PER_BODY_BYTE * self.max_body_bytes
        if self.train_memory_limit == 0:
            self.train_memory_limit = int(TRAIN_MEMORY_FRACTION * machine_memory_bytes())
        return self

    def threads_per_training(self, concurrent: int) -> int:
        """train_threads, or by default the cores available divided among `concurrent`
        trainings (an embedded server's train_workers, a worker's concurrency), at least 1."""
        return self.train_threads or max(1, available_cores() // max(1, concurrent))

    @property
    def resolved_metrics_dir(self) -> Path:
        return self.metrics_dir or self.data_dir / "metrics"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'automl.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

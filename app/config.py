"""One settings object for the whole server, read from `AUTOML_*` environment variables."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
        2 * 1024 * 1024 * 1024, description="Largest decompressed upload file"
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
    host: str = "127.0.0.1"
    port: int = 8000

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'automl.db').resolve()}"


@lru_cache
def get_settings() -> Settings:
    return Settings()

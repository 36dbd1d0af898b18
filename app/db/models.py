"""SQL metadata: users and keys, projects, collections, vector chunks, jobs and models.

Vectors are not one row each: every insertion appends one `Chunk` holding a whole batch in
columnar form (ids, vectors, attributes), so any process that reaches the database can read a
collection without touching the API's disk. A job's status is one small row of `jobs`; its
input lives in `job_inputs` until the job ends.
"""

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, deferred, mapped_column, relationship


class Base(DeclarativeBase):
    pass


NEVER_REUSE_IDS = {"sqlite_autoincrement": True}
"""SQLite reuses a deleted row's id without AUTOINCREMENT; an id must never name two things."""


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timezone-aware DateTime that reads back aware on every database: SQLite keeps no
    zone and returns naive values, which are UTC here (everything written is `utcnow`)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def _now_column() -> Mapped[datetime]:
    return mapped_column(
        UTCDateTime(), default=utcnow, server_default=func.now(), nullable=False
    )


class User(Base):
    __tablename__ = "users"
    __table_args__ = (NEVER_REUSE_IDS,)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = _now_column()


class ApiKey(Base):
    __tablename__ = "api_keys"
    __table_args__ = (NEVER_REUSE_IDS,)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = _now_column()
    # "hmac": HMAC-SHA256 with the server secret; "sha256": a row from before 0006, rewritten
    # as hmac when its key is next used.
    hash_scheme: Mapped[str] = mapped_column(String(8), default="hmac", server_default="sha256")
    key_prefix: Mapped[str | None] = mapped_column(String(16))  # generated keys only
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class Project(Base):
    __tablename__ = "projects"
    __table_args__ = (UniqueConstraint("user_id", "name"), NEVER_REUSE_IDS)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(128))
    application: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = _now_column()
    collections: Mapped[list["Collection"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", passive_deletes=True
    )


class Collection(Base):
    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("project_id", "name"), NEVER_REUSE_IDS)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    vector_type: Mapped[str] = mapped_column(String(16))
    # Dense: fixed width. Sparse: the bound given at init, else the widest row seen so far.
    vector_dim: Mapped[int | None] = mapped_column(Integer)
    dim_fixed: Mapped[bool] = mapped_column(default=True)
    feature_names: Mapped[list | None] = mapped_column(JSON)
    attribute_names: Mapped[list] = mapped_column(JSON, default=list)
    # Attributes the uploader declared categorical (upload_automl_X): training's default features.
    categorical_attributes: Mapped[list] = mapped_column(JSON, default=list)
    num_vectors: Mapped[int] = mapped_column(Integer, default=0)
    next_chunk_seq: Mapped[int] = mapped_column(Integer, default=0)
    next_auto_id: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = _now_column()
    project: Mapped[Project] = relationship(back_populates="collections")


class Chunk(Base):
    """One appended batch.

    kind "rows" adds vectors; "tombstone" deletes the listed ids inserted before it; "attributes"
    sets attribute values of rows inserted before it (attach_automl_label).
    """

    __tablename__ = "chunks"
    __table_args__ = (UniqueConstraint("collection_id", "seq"), NEVER_REUSE_IDS)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    n_rows: Mapped[int] = mapped_column(Integer)
    ids: Mapped[bytes] = mapped_column(LargeBinary)
    vectors: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    attributes: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    created_at: Mapped[datetime] = _now_column()


class Job(Base):
    __tablename__ = "jobs"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    collection_id: Mapped[int | None] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # "data" or "train"
    action: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    error: Mapped[str | None] = mapped_column(Text)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    step: Mapped[str | None] = mapped_column(String(200))
    result: Mapped[dict | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Written by the worker while it runs the job; a stale one means the worker died.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = _now_column()
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class JobInput(Base):
    """One named part of a job's input (its parameters, a file as sent, a parsed block of
    vectors), written once when the job is submitted and deleted when the job ends. Kept apart
    from `jobs` so that a status read never touches the input, however large."""

    __tablename__ = "job_inputs"
    job_id: Mapped[str] = mapped_column(
        ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True
    )
    part: Mapped[str] = mapped_column(String(32), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class Model(Base):
    __tablename__ = "models"
    __table_args__ = (UniqueConstraint("collection_id", "name"), NEVER_REUSE_IDS)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    collection_id: Mapped[int] = mapped_column(
        ForeignKey("collections.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(128))
    task_type: Mapped[str] = mapped_column(String(16))
    training_mode: Mapped[str] = mapped_column(String(16))
    label_attribute: Mapped[str] = mapped_column(String(200))
    categorical_features: Mapped[list] = mapped_column(JSON, default=list)
    # How prediction data is matched to the model: {"numeric_names": [...], "named": bool,
    # "n_numeric": width}; unnamed columns have no names.
    feature_layout: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="training")  # training|ready|failed
    job_id: Mapped[str | None] = mapped_column(String(64))
    validation_metric: Mapped[dict | float | None] = mapped_column(JSON)
    feature_importance: Mapped[list | None] = mapped_column(JSON)
    leaderboard: Mapped[list | None] = mapped_column(JSON)
    # Chart data from the predictions the validation metric was computed on (a confusion
    # matrix and ROC curves, or sampled actual/predicted pairs); see app/automl/diagnostics.py.
    # None for models trained before it was kept, and until the model is ready.
    diagnostics: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = _now_column()


class ModelArtifact(Base):
    """The fitted pipeline's bytes, apart from `models` so listings never load them."""

    __tablename__ = "model_artifacts"
    model_id: Mapped[int] = mapped_column(
        ForeignKey("models.id", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)


class WebSession(Base):
    """A dashboard sign-in: the browser holds a random token in an http-only cookie, the
    database only its SHA-256 (the API key itself is never kept by the browser)."""

    __tablename__ = "web_sessions"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = _now_column()
    last_seen_at: Mapped[datetime] = _now_column()

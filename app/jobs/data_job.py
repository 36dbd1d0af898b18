"""The data job's body: parse what a request queued (a file, or a block of vectors parsed in
the request) and apply it to its collection, all of it or nothing."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Collection, Job
from app.errors import AppError, BadRequest
from app.ingest import Columns, FileData, IngestError, ParseOptions, parse_file
from app.jobs.inputs import read_inputs, read_meta
from app.observability.metrics import count_ingest
from app.storage import codec
from app.storage.collections import append_rows, delete_ids, set_attribute

UPLOADS = ("upload", "upload_automl_X")


def ingest_error(err: IngestError) -> AppError:
    """The API error for an ingest error: a 400, also for a size limit (TooLarge), as for
    VecML's other client mistakes (tests/api/test_hostile_input.py); the message names the
    limit and its setting. (PayloadTooLarge, a 413, is the alternative.)"""
    return BadRequest(str(err))


def run_ingest(call, *args, **kwargs):
    """Run an ingest call, turning its IngestError into a 400."""
    try:
        return call(*args, **kwargs)
    except IngestError as err:
        raise ingest_error(err) from err


def encode_columns(rows: Columns) -> dict[str, bytes]:
    """A parsed block as job input parts (the chunk codec: decoding them is a copy)."""
    parts = {"vectors": codec.encode_vectors(rows.vectors),
             "attributes": codec.encode_attributes(rows.attributes)}
    if rows.ids is not None:
        parts["ids"] = codec.encode_ids(rows.ids)
    return parts


def _decode_columns(meta: dict, parts: dict[str, bytes]) -> Columns:
    ids = codec.decode_ids(parts["ids"]) if "ids" in parts else None
    return Columns(ids=ids, vectors=codec.decode_vectors(parts["vectors"]),
                   attributes=codec.decode_attributes(parts["attributes"]),
                   feature_names=meta.get("feature_names"))


def _label_values(rows: Columns, attribute_name: str) -> list:
    """The one label column of an attach_automl_label file, wherever the parser put it."""
    if not rows.feature_names and rows.vectors.shape[1] == 1 and not rows.attributes:
        rows.feature_names = [attribute_name]
    columns = {name: rows.column(name) for name in rows.available()}
    if attribute_name in columns:
        return columns[attribute_name]
    if len(columns) == 1:
        return next(iter(columns.values()))
    raise BadRequest(f"the label file must hold one column (or one named '{attribute_name}'); "
                     f"found {sorted(columns)}")


@dataclass
class PreparedData:
    """A data job's input decoded and parsed, ready to apply under the collection lock."""

    meta: dict
    rows: Columns | None


def _parse(session: Session, job: Job, meta: dict, file: bytes) -> Columns:
    options = ParseOptions.from_dict(meta["options"])
    gzipped = meta.get("file_encoding") == "gzip"
    # The file as sent, its size checked within the limit when the request came in: the
    # parser inflates it once (a CSV file as a stream, never whole).
    size = meta.get("file_size")
    if size is None:  # a job queued without it: the limit bounds it
        size = options.limits.max_file_bytes if options.limits else len(file) << 10
    data = FileData(file, gzipped, size if gzipped else len(file))
    collection = session.get(Collection, job.collection_id)
    if options.file_format == "binary" and options.vector_dim is None:
        options.vector_dim = collection.vector_dim if collection else None
    if (job.action in UPLOADS and collection is not None
            and collection.vector_type == "dense" and collection.feature_names):
        # A text value in one of the collection's vector columns is a mistake to name.
        options.numeric_columns = list(collection.feature_names)
    return run_ingest(parse_file, data, options)


def prepare_data_job(session: Session, job: Job) -> PreparedData:
    """The slow part (parsing a file), done before taking any lock."""
    meta, parts = read_inputs(session, job.id)
    if job.action == "delete_data":
        return PreparedData(meta, None)
    if "file" in parts:
        return PreparedData(meta, _parse(session, job, meta, parts.pop("file")))
    return PreparedData(meta, _decode_columns(meta, parts))


def apply_data_job(session: Session, job: Job, collection: Collection,
                   prepared: PreparedData) -> dict:
    """Apply a prepared data job to its collection, whose lock the caller holds; returns the
    result fields of its status. Runs in the transaction that also marks the job finished."""
    meta, rows = prepared.meta, prepared.rows
    if job.action == "delete_data":
        return {"num_deleted": delete_ids(session, collection, meta["ids"])}
    if job.action == "attach_automl_label":
        name = meta["attribute_name"]
        count = set_attribute(session, collection, name, _label_values(rows, name), rows.ids)
        return {"num_labelled": count}
    inserted = append_rows(session, collection, rows)
    count_ingest(inserted, meta.get("file_size") or 0)
    known = collection.categorical_attributes
    declared = [c for c in meta.get("categorical", []) if c not in known]
    if declared:
        collection.categorical_attributes = list(collection.categorical_attributes) + declared
    return {"num_inserted": inserted}


def discard_failed_upload(session: Session, job: Job) -> None:
    """A first upload that created its collection and failed leaves no empty collection behind,
    unless other jobs were sent to it meanwhile (a second upload right after the first): those
    were accepted, and deleting the collection would delete them unseen."""
    if job.collection_id is None or job.action not in UPLOADS:
        return
    collection = session.get(Collection, job.collection_id)
    others = select(Job.id).where(Job.collection_id == job.collection_id, Job.id != job.id)
    if (collection is not None and collection.next_chunk_seq == 0
            and read_meta(session, job.id).get("created_collection")
            and session.scalar(others.limit(1)) is None):
        job.collection_id = None
        session.delete(collection)

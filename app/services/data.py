"""Data insertion and deletion. Requests are checked at once (bad input, or over a size limit:
400, nothing queued); the write itself runs as a job that appends one chunk, all of it or
nothing."""

import json
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.db.models import Collection, Job, User
from app.errors import AppError, BadRequest
from app.ingest import (
    SUPPORTED_FORMATS,
    FileData,
    IngestError,
    IngestLimits,
    ParsedRows,
    ParseOptions,
    check_rows,
    gunzip,
    id_problem,
    normalize_file_format,
    parse_file,
    parse_vectors,
    read_file_data,
)
from app.ingest import check_vector_dim as _check_vector_dim
from app.jobs.payload import pack, unpack
from app.services.collections import (
    VECTOR_TYPES,
    create_collection,
    find_collection,
    get_collection,
)
from app.services.jobs import new_job
from app.services.names import check_attribute_name
from app.services.projects import get_project
from app.services.tables import Table
from app.storage import codec
from app.storage.collections import append_rows, delete_ids, set_attribute

FILE_FORMATS = SUPPORTED_FORMATS
"""("csv", "json", "libsvm", "binary"): the canonical file_format names."""

def ingest_error(err: IngestError) -> AppError:
    """The API error for an ingest error: a 400, also for a size limit (TooLarge), as for
    VecML's other client mistakes (tests/api/test_hostile_input.py); the message names the
    limit and its setting. (PayloadTooLarge, a 413, is the alternative.)"""
    return BadRequest(str(err))


def _ingest(call, *args, **kwargs):
    """Run an ingest call, turning its IngestError into a 400."""
    try:
        return call(*args, **kwargs)
    except IngestError as err:
        raise ingest_error(err) from err


def check_vector_dim(vector_type, vector_dim, limits: IngestLimits) -> None:
    """A requested vector_dim (init, upload): a positive integer within the width limit of
    its layout (max_dense_dim, or max_sparse_dim for "sparse"); None passes."""
    _ingest(_check_vector_dim, vector_type, vector_dim, limits)


def check_file_format(file_format, allowed: tuple[str, ...] = FILE_FORMATS) -> str:
    """The canonical name of a requested file_format (any letter case, or an alias)."""
    return _ingest(normalize_file_format, file_format, allowed)


def _rows_job(session: Session, user: User, collection: Collection, action: str,
              rows: ParsedRows) -> Job:
    blobs = {
        "vectors": codec.encode_vectors(rows.vectors),
        "attributes": codec.encode_attributes(rows.attributes),
    }
    if rows.ids is not None:
        blobs["ids"] = codec.encode_ids([str(i) for i in rows.ids])
    meta = {"feature_names": rows.feature_names}
    return new_job(session, user, kind="data", action=action, payload=pack(meta, blobs),
                   project_id=collection.project_id, collection_id=collection.id)


def _check_attributes(attributes, n: int) -> list[dict]:
    if attributes is None:
        return [{} for _ in range(n)]
    if not isinstance(attributes, list) or len(attributes) != n:
        raise BadRequest(f"attributes must be a list of {n} objects, one per vector")
    for i, row in enumerate(attributes):
        if row is None:
            attributes[i] = {}
        elif not isinstance(row, dict):
            raise BadRequest(f"attributes[{i}] must be an object like {{\"label\": \"1\"}}")
        elif any(isinstance(v, dict | list) for v in row.values()):
            raise BadRequest(f"attributes[{i}] values must be strings, numbers or null")
    return attributes


def _shown(value, width: int = 50) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[:width] + "..."


def _kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if value is None:
        return "null"
    return "a list" if isinstance(value, list) else "an object" if isinstance(value, dict) else (
        f"a {type(value).__name__}")


def _check_id(value, name: str) -> str:
    if not isinstance(value, str):
        fix = f': send "{_shown(value)}"' if _kind(value) == "a number" else ""
        raise BadRequest(f"{name} is {_shown(value)} ({_kind(value)}); ids are strings{fix}")
    problem = id_problem(value)
    if problem:
        raise BadRequest(f"{name} {_shown(value)} {problem}")
    return value


def _check_ids(ids, n: int, field: str = "string_ids") -> list[str] | None:
    """Ids sent in a body: strings (a number is refused, not converted), non-empty, at most
    MAX_ID_LENGTH characters, without control characters; kept exactly as sent."""
    if ids is None:
        return None
    if not isinstance(ids, list) or len(ids) != n:
        raise BadRequest(f"{field} must be a list of {n} strings, one per vector")
    return [_check_id(value, f"{field}[{i}]") for i, value in enumerate(ids)]


def add_batch(session: Session, user: User, project_name: str, collection_name: str, *,
              data, string_ids, attributes, limits: IngestLimits,
              action: str = "add_data_batch") -> Job:
    collection = get_collection(session, user, project_name, collection_name)
    if not isinstance(data, list) or not data:
        raise BadRequest("data must be a non-empty list of vectors")
    vectors = _ingest(parse_vectors, data, vector_type=collection.vector_type,
                      vector_dim=collection.vector_dim if collection.dim_fixed else None,
                      limits=limits)
    n = vectors.shape[0]
    if action == "add_data" and isinstance(string_ids, list) and len(string_ids) == 1:
        ids = [_check_id(string_ids[0], "string_id")]  # add_data's one id
    else:
        ids = _check_ids(string_ids, n)
    rows = ParsedRows(ids=ids, vectors=vectors,
                      attributes=_check_attributes(attributes, n), feature_names=None)
    return _rows_job(session, user, collection, action, rows)


def _file_meta(file: FileData) -> dict:
    """How a job finds its file: kept as sent (gzip stays compressed until the job parses it),
    with its size, checked against the limit when the request came in."""
    return {"file_encoding": "gzip" if file.gzip else "identity", "file_size": file.size}


def _file_job(session: Session, user: User, project_name: str, collection_name: str, *,
              action: str, file: FileData, options: ParseOptions, vector_type: str | None,
              vector_dim: int | None, categorical: list[str]) -> Job:
    """Queue a file for parsing. The collection is created now if absent (its dimension is then
    taken from the file) and removed again if that first upload fails."""
    project = get_project(session, user, project_name)
    collection = find_collection(session, project, collection_name)
    created = collection is None
    if created:
        layout = vector_type or ("sparse" if options.file_format == "libsvm" else "dense")
        collection = create_collection(session, project, collection_name, layout, vector_dim,
                                       dim_from_data=True)
    if options.file_format == "binary" and (options.vector_dim or collection.vector_dim) is None:
        raise BadRequest("vector_dim is required for a binary file")
    meta = {"options": options.to_dict(), "created_collection": created,
            "categorical": categorical, **_file_meta(file)}
    return new_job(session, user, kind="data", action=action,
                   payload=pack(meta, {"file": file.data}),
                   project_id=project.id, collection_id=collection.id)


def parse_options(body, *, file_format: str | None, limits: IngestLimits) -> ParseOptions:
    if body.vector_type is not None and body.vector_type not in VECTOR_TYPES:
        raise BadRequest(f"vector_type must be 'dense' or 'sparse', not {body.vector_type!r}")
    return ParseOptions(
        file_format=check_file_format(file_format),
        has_field_names=body.has_field_names,
        id_column=body.id_column,
        label_column=body.label_column,
        attribute_columns=[*(body.attribute_columns or []), *(body.categorical_features or [])],
        vector_dim=body.vector_dim,
        vector_type=body.vector_type,
        limits=limits,
    )


def upload(session: Session, user: User, body, *, file_data: str, action: str,
           limits: IngestLimits) -> Job:
    options = parse_options(body, file_format=body.file_format, limits=limits)
    layout = body.vector_type or ("sparse" if options.file_format == "libsvm" else "dense")
    check_vector_dim(layout, body.vector_dim, limits)
    file = _ingest(read_file_data, file_data, body.compression_type,
                   max_bytes=limits.max_file_bytes)
    return _file_job(session, user, body.project_name, body.collection_name, action=action,
                     file=file, options=options, vector_type=body.vector_type,
                     vector_dim=body.vector_dim, categorical=list(body.categorical_features or []))


def attach_label(session: Session, user: User, body, *, limits: IngestLimits) -> Job:
    name = check_attribute_name("attribute_name", body.attribute_name)
    collection = get_collection(session, user, body.project_name, body.collection_name)
    options = parse_options(body, file_format=body.file_format or "csv", limits=limits)
    options.require_vectors = False
    file = _ingest(read_file_data, body.file_data, body.compression_type,
                   max_bytes=limits.max_file_bytes)
    meta = {"options": options.to_dict(), "attribute_name": name, **_file_meta(file)}
    return new_job(session, user, kind="data", action="attach_automl_label",
                   payload=pack(meta, {"file": file.data}), project_id=collection.project_id,
                   collection_id=collection.id)


def delete_data(session: Session, user: User, project_name: str, collection_name: str,
                string_ids, *, limits: IngestLimits) -> Job:
    collection = get_collection(session, user, project_name, collection_name)
    if not isinstance(string_ids, list) or not string_ids:
        raise BadRequest("string_ids must be a non-empty list of the ids to delete")
    _ingest(check_rows, len(string_ids), limits, "string_ids")
    ids = _check_ids(string_ids, len(string_ids))
    return new_job(session, user, kind="data", action="delete_data", payload=pack({"ids": ids}),
                   project_id=collection.project_id, collection_id=collection.id)


# ---- job bodies: run by a worker ----

def _decode_rows(meta: dict, blobs: dict[str, bytes]) -> ParsedRows:
    columns = codec.decode_attributes(blobs["attributes"])
    vectors = codec.decode_vectors(blobs["vectors"])
    n = vectors.shape[0]
    attributes = [{k: v[i] for k, v in columns.items() if v[i] is not None} for i in range(n)]
    ids = codec.decode_ids(blobs["ids"]) if "ids" in blobs else None
    return ParsedRows(ids=ids, vectors=vectors, attributes=attributes,
                      feature_names=meta.get("feature_names"))


def _label_values(rows: ParsedRows, attribute_name: str) -> list:
    """The one label column of an attach_automl_label file, wherever the parser put it."""
    names = {k for r in rows.attributes for k in r}
    table = Table(rows.vectors, rows.feature_names or (
        [attribute_name] if rows.vectors.shape[1] == 1 and not names else None),
        {k: [r.get(k) for r in rows.attributes] for k in names})
    columns = {name: table.column(name) for name in table.available()}
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
    rows: ParsedRows | None


def prepare_data_job(session: Session, job: Job) -> PreparedData:
    """The slow part (parsing a file), done before taking any lock."""
    meta, blobs = unpack(job.payload)
    if job.action == "delete_data":
        return PreparedData(meta, None)
    if "file" not in blobs:
        return PreparedData(meta, _decode_rows(meta, blobs))
    options = ParseOptions.from_dict(meta["options"])
    raw = blobs.pop("file")
    if meta.get("file_encoding") == "gzip":
        # Checked within the limit when the request came in; inflated here, once.
        limit = options.limits.max_file_bytes if options.limits else meta["file_size"]
        raw = _ingest(gunzip, raw, limit)
    collection = session.get(Collection, job.collection_id)
    if options.file_format == "binary" and options.vector_dim is None:
        options.vector_dim = collection.vector_dim if collection else None
    if (job.action in ("upload", "upload_automl_X") and collection is not None
            and collection.vector_type == "dense" and collection.feature_names):
        # A text value in one of the collection's vector columns is a mistake to name.
        options.numeric_columns = list(collection.feature_names)
    return PreparedData(meta, _ingest(parse_file, raw, options))


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
    known = collection.categorical_attributes
    declared = [c for c in meta.get("categorical", []) if c not in known]
    if declared:
        collection.categorical_attributes = list(collection.categorical_attributes) + declared
    return {"num_inserted": inserted}


def discard_failed_upload(session: Session, job: Job) -> None:
    """A first upload that created its collection and failed leaves no empty collection behind."""
    if job.collection_id is None or job.action not in ("upload", "upload_automl_X"):
        return
    meta, _ = unpack(job.payload)
    collection = session.get(Collection, job.collection_id)
    if meta.get("created_collection") and collection is not None and collection.next_chunk_seq == 0:
        job.collection_id = None
        session.delete(collection)

"""Data insertion and deletion. Requests are checked at once (bad input, or over a size limit:
400, nothing queued); the write itself runs as a job (`app.jobs.data_job`) that appends one
chunk, all of it or nothing. A batch of vectors is parsed here, once, and queued in the chunk
codec; a file is queued as sent (gzip stays compressed) and parsed by the job."""

import json

import numpy as np
from sqlalchemy.orm import Session

from app.db.models import Collection, Job, User
from app.errors import BadRequest
from app.ingest import (
    SUPPORTED_FORMATS,
    Columns,
    FileData,
    IngestLimits,
    ParseOptions,
    check_rows,
    columns_of,
    id_problem,
    normalize_file_format,
    parse_vectors,
    read_file_data,
)
from app.ingest import check_vector_dim as _check_vector_dim
from app.jobs.data_job import encode_columns, run_ingest
from app.jobs.state import new_job
from app.services.collections import (
    VECTOR_TYPES,
    create_collection,
    find_collection,
    get_collection,
)
from app.services.names import check_attribute_name
from app.services.projects import get_project
from app.services.requests import FileUpload, LabelUpload

FILE_FORMATS = SUPPORTED_FORMATS
"""("csv", "json", "libsvm", "binary"): the canonical file_format names."""


def check_vector_dim(vector_type, vector_dim, limits: IngestLimits) -> None:
    """A requested vector_dim (init, upload): a positive integer within the width limit of
    its layout (max_dense_dim, or max_sparse_dim for "sparse"); None passes."""
    run_ingest(_check_vector_dim, vector_type, vector_dim, limits)


def check_file_format(file_format, allowed: tuple[str, ...] = FILE_FORMATS) -> str:
    """The canonical name of a requested file_format (any letter case, or an alias)."""
    return run_ingest(normalize_file_format, file_format, allowed)


def _rows_job(session: Session, user: User, collection: Collection, action: str,
              rows: Columns) -> Job:
    return new_job(session, user.id, kind="data", action=action,
                   meta={"feature_names": rows.feature_names}, parts=encode_columns(rows),
                   project_id=collection.project_id, collection_id=collection.id)


def _check_attributes(attributes, n: int) -> dict[str, list]:
    """Attributes sent in a body, one object (or null) per vector, as columns."""
    if attributes is None:
        return {}
    if not isinstance(attributes, list) or len(attributes) != n:
        raise BadRequest(f"attributes must be a list of {n} objects, one per vector")
    for i, row in enumerate(attributes):
        if row is None:
            attributes[i] = {}
        elif not isinstance(row, dict):
            raise BadRequest(f"attributes[{i}] must be an object like {{\"label\": \"1\"}}")
        elif any(isinstance(v, dict | list) for v in row.values()):
            raise BadRequest(f"attributes[{i}] values must be strings, numbers or null")
    return columns_of(attributes)


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
    if not isinstance(data, list | np.ndarray) or not len(data):
        raise BadRequest("data must be a non-empty list of vectors")
    vectors = run_ingest(parse_vectors, data, vector_type=collection.vector_type,
                      vector_dim=collection.vector_dim if collection.dim_fixed else None,
                      limits=limits)
    n = vectors.shape[0]
    if action == "add_data" and isinstance(string_ids, list) and len(string_ids) == 1:
        ids = [_check_id(string_ids[0], "string_id")]  # add_data's one id
    else:
        ids = _check_ids(string_ids, n)
    rows = Columns(ids=ids, vectors=vectors, attributes=_check_attributes(attributes, n))
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
    return new_job(session, user.id, kind="data", action=action, meta=meta,
                   parts={"file": file.data}, project_id=project.id,
                   collection_id=collection.id)


def parse_options(body: FileUpload, *, file_format: str | None,
                  limits: IngestLimits) -> ParseOptions:
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


def upload(session: Session, user: User, body: FileUpload, *, file_data: str, action: str,
           limits: IngestLimits) -> Job:
    options = parse_options(body, file_format=body.file_format, limits=limits)
    layout = body.vector_type or ("sparse" if options.file_format == "libsvm" else "dense")
    check_vector_dim(layout, body.vector_dim, limits)
    file = run_ingest(read_file_data, file_data, body.compression_type,
                   max_bytes=limits.max_file_bytes)
    return _file_job(session, user, body.project_name, body.collection_name, action=action,
                     file=file, options=options, vector_type=body.vector_type,
                     vector_dim=body.vector_dim, categorical=list(body.categorical_features or []))


def attach_label(session: Session, user: User, body: LabelUpload, *,
                 limits: IngestLimits) -> Job:
    name = check_attribute_name("attribute_name", body.attribute_name)
    collection = get_collection(session, user, body.project_name, body.collection_name)
    if name in (collection.feature_names or []):
        raise BadRequest(
            f"attribute_name '{name}' is a feature column of collection '{collection.name}'; a "
            "label of that name would be read from the feature at prediction time: choose "
            "another name")
    options = parse_options(body, file_format=body.file_format or "csv", limits=limits)
    options.require_vectors = False
    file = run_ingest(read_file_data, body.file_data, body.compression_type,
                   max_bytes=limits.max_file_bytes)
    meta = {"options": options.to_dict(), "attribute_name": name, **_file_meta(file)}
    return new_job(session, user.id, kind="data", action="attach_automl_label", meta=meta,
                   parts={"file": file.data}, project_id=collection.project_id,
                   collection_id=collection.id)


def delete_data(session: Session, user: User, project_name: str, collection_name: str,
                string_ids, *, limits: IngestLimits) -> Job:
    collection = get_collection(session, user, project_name, collection_name)
    if not isinstance(string_ids, list) or not string_ids:
        raise BadRequest("string_ids must be a non-empty list of the ids to delete")
    run_ingest(check_rows, len(string_ids), limits, "string_ids")
    ids = _check_ids(string_ids, len(string_ids))
    return new_job(session, user.id, kind="data", action="delete_data", meta={"ids": ids},
                   project_id=collection.project_id, collection_id=collection.id)

"""Data insertion and deletion. Requests are checked at once (bad input: 400, nothing queued);
the write itself runs as a job that appends one chunk, all of it or nothing."""

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from app.db.models import Collection, Job, User
from app.errors import BadRequest
from app.ingest import IngestError, ParsedRows, ParseOptions, decode_file, parse_file, parse_vectors
from app.jobs.payload import pack, unpack
from app.services.collections import create_collection, find_collection, get_collection
from app.services.jobs import new_job
from app.services.projects import get_project
from app.services.tables import Table
from app.storage import codec
from app.storage.collections import append_rows, delete_ids, set_attribute

FILE_FORMATS = ("csv", "json", "libsvm", "binary")


def _ingest(call, *args, **kwargs):
    """Run an ingest call, turning its IngestError into a 400."""
    try:
        return call(*args, **kwargs)
    except IngestError as err:
        raise BadRequest(str(err)) from err


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


def _check_ids(ids, n: int) -> list[str] | None:
    if ids is None:
        return None
    if not isinstance(ids, list) or len(ids) != n:
        raise BadRequest(f"string_ids must be a list of {n} strings, one per vector")
    if not all(isinstance(i, str | int) and not isinstance(i, bool) and str(i) for i in ids):
        raise BadRequest("every string id must be a non-empty string")
    return [str(i) for i in ids]


def add_batch(session: Session, user: User, project_name: str, collection_name: str, *,
              data, string_ids, attributes, action: str = "add_data_batch") -> Job:
    collection = get_collection(session, user, project_name, collection_name)
    if not isinstance(data, list) or not data:
        raise BadRequest("data must be a non-empty list of vectors")
    vectors = _ingest(parse_vectors, data, vector_type=collection.vector_type,
                      vector_dim=collection.vector_dim if collection.dim_fixed else None)
    n = vectors.shape[0]
    rows = ParsedRows(ids=_check_ids(string_ids, n), vectors=vectors,
                      attributes=_check_attributes(attributes, n), feature_names=None)
    return _rows_job(session, user, collection, action, rows)


def _file_job(session: Session, user: User, project_name: str, collection_name: str, *,
              action: str, raw: bytes, options: ParseOptions, vector_type: str | None,
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
    meta = {"options": asdict(options), "created_collection": created, "categorical": categorical}
    return new_job(session, user, kind="data", action=action, payload=pack(meta, {"file": raw}),
                   project_id=project.id, collection_id=collection.id)


def parse_options(body, *, file_format: str | None) -> ParseOptions:
    if file_format not in FILE_FORMATS:
        raise BadRequest(
            f"file_format must be one of {', '.join(FILE_FORMATS)}; got {file_format!r}")
    return ParseOptions(
        file_format=file_format,
        has_field_names=body.has_field_names,
        id_column=body.id_column,
        label_column=body.label_column,
        attribute_columns=[*(body.attribute_columns or []), *(body.categorical_features or [])],
        vector_dim=body.vector_dim,
        vector_type=body.vector_type,
    )


def upload(session: Session, user: User, body, *, file_data: str, action: str,
           max_file_bytes: int) -> Job:
    options = parse_options(body, file_format=body.file_format)
    raw = _ingest(decode_file, file_data, body.compression_type, max_bytes=max_file_bytes)
    return _file_job(session, user, body.project_name, body.collection_name, action=action,
                     raw=raw, options=options, vector_type=body.vector_type,
                     vector_dim=body.vector_dim, categorical=list(body.categorical_features or []))


def attach_label(session: Session, user: User, body, *, max_file_bytes: int) -> Job:
    collection = get_collection(session, user, body.project_name, body.collection_name)
    options = parse_options(body, file_format=body.file_format or "csv")
    options.require_vectors = False
    raw = _ingest(decode_file, body.file_data, body.compression_type, max_bytes=max_file_bytes)
    meta = {"options": asdict(options), "attribute_name": body.attribute_name}
    return new_job(session, user, kind="data", action="attach_automl_label",
                   payload=pack(meta, {"file": raw}), project_id=collection.project_id,
                   collection_id=collection.id)


def delete_data(session: Session, user: User, project_name: str, collection_name: str,
                string_ids) -> Job:
    collection = get_collection(session, user, project_name, collection_name)
    if not isinstance(string_ids, list) or not string_ids:
        raise BadRequest("string_ids must be a non-empty list of the ids to delete")
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
    options = ParseOptions(**meta["options"])
    if options.file_format == "binary" and options.vector_dim is None:
        collection = session.get(Collection, job.collection_id)
        options.vector_dim = collection.vector_dim if collection else None
    return PreparedData(meta, _ingest(parse_file, blobs["file"], options))


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

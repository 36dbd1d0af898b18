"""JSON and JSON Lines files; see docs/ingest-formats.md for the accepted shapes."""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import contextmanager

import numpy as np
import orjson
import pandas as pd

from .errors import IngestError
from .ids import id_problem
from .limits import check_rows
from .tabular import Column, assemble, check_columns
from .types import Columns, ParseOptions, columns_of
from .vectors import convert_vectors, is_dense_row, parse_vector_rows

Where = Callable[[int], str]
_DATA_KEYS = ("data", "vector")
_SCALARS = (str, int, float, type(None))


def _load(raw: bytes) -> tuple[object, list[int] | None]:
    """Parse a JSON document, or JSON Lines (returns the line number of each value)."""
    try:
        return orjson.loads(raw), None
    except orjson.JSONDecodeError as whole_exc:
        values, lines = [], []
        for lineno, line in enumerate(raw.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                values.append(orjson.loads(line))
            except orjson.JSONDecodeError as exc:
                if not values:
                    raise IngestError(f"the file is not valid JSON: {whole_exc}") from None
                raise IngestError(f"line {lineno} is not valid JSON (JSON Lines): {exc}") from None
            lines.append(lineno)
        return values, lines


@contextmanager
def _gc_paused():
    """Building millions of small objects (records, floats) triggers many full garbage
    collections that find nothing to free; pausing the collector halves the parse time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_json(raw: bytes, options: ParseOptions) -> Columns:
    with _gc_paused():
        return _parse_json(raw, options)


def _parse_json(raw: bytes, options: ParseOptions) -> Columns:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if not raw.strip():
        raise IngestError("the file is empty")
    doc, lines = _load(raw)
    if isinstance(doc, dict):
        if _is_batch_body(doc):
            return _parse_batch(doc, options)
        doc = [doc]
    if not isinstance(doc, list):
        raise IngestError(
            'the JSON file must hold a list of records, an object with "data" (like an '
            "add_data_batch body), or one JSON object per line"
        )
    if not doc:
        raise IngestError("the file has no records")
    check_rows(len(doc), options.limits, "the file")

    def where(i: int) -> str:
        return f"line {lines[i]}" if lines is not None else f"record {i}"

    if all(isinstance(item, dict) for item in doc):
        if any(k in item for item in doc for k in _DATA_KEYS):
            return _parse_records(doc, options, where)
        return _parse_flat(doc, options, where)
    if all(isinstance(item, list | str) for item in doc):
        # A bare list of vectors: no ids, no attributes.
        vectors = _vectors(doc, options, where)
        return Columns(None, vectors)
    bad = next(i for i, item in enumerate(doc) if not isinstance(item, dict))
    raise IngestError(f"{where(bad)} is not a JSON object; every record must be an object")


def _is_batch_body(doc: dict) -> bool:
    if any(k in doc for k in ("string_id", "id", "vector")):
        return False
    if "string_ids" in doc or isinstance(doc.get("attributes"), list):
        return True
    data = doc.get("data")
    return isinstance(data, list) and not is_dense_row(data)


def _vectors(rows: list, options: ParseOptions, where: Where):
    """Parse rows in whichever layout they are written in, then convert to the requested one."""
    kind = "dense" if all(is_dense_row(r) for r in rows) else "sparse"
    vectors = parse_vector_rows(
        rows, vector_type=kind, vector_dim=options.vector_dim, where=where, limits=options.limits
    )
    return convert_vectors(vectors, options.vector_type)


def _attr_value(value: object, where: str, key: str) -> str | int | float | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, _SCALARS):
        return value
    raise IngestError(
        f"{where}: attribute {key!r} is a nested list/object; attribute values must be "
        "strings, numbers or null"
    )


def _id_value(value: object, where: str) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise IngestError(f"{where}: the id must be a non-empty string, got {value!r}")
    problem = id_problem(value.strip())
    if problem:
        raise IngestError(f"{where}: the id {value.strip()[:50]!r} {problem}")
    return value.strip()


def _check_ids(ids: list[str | None], where: Where) -> list[str] | None:
    present = [i for i, v in enumerate(ids) if v is not None]
    if not present:
        return None
    if len(present) != len(ids):
        missing = next(i for i, v in enumerate(ids) if v is None)
        raise IngestError(
            f"{where(missing)} has no id but {where(present[0])} has one; give every record "
            "an id or none of them"
        )
    seen: dict[str, int] = {}
    for i, value in enumerate(ids):
        if value in seen:
            raise IngestError(
                f"id {value!r} appears twice ({where(seen[value])} and {where(i)}); "
                "ids must be unique"
            )
        seen[value] = i
    return ids  # type: ignore[return-value]


def _check_named_attributes(attributes: dict[str, list], options: ParseOptions) -> None:
    if options.optional_columns:
        return  # e.g. a prediction file, which may or may not carry the label
    for key in [options.label_column, *options.attribute_columns]:
        if key and key not in attributes:
            raise IngestError(f"no record has the attribute {key!r} (named in the options)")


def _parse_batch(doc: dict, options: ParseOptions) -> Columns:
    data = doc.get("data")
    if not isinstance(data, list):
        raise IngestError('"data" must be a list of vectors')

    def where(i: int) -> str:
        return f"data[{i}]"

    check_rows(len(data), options.limits, 'the file\'s "data"')
    vectors = _vectors(data, options, where)
    n = len(data)
    raw_ids = doc.get("string_ids")
    ids = None
    if raw_ids is not None:
        if not isinstance(raw_ids, list) or len(raw_ids) != n:
            got = len(raw_ids) if isinstance(raw_ids, list) else "not a list"
            raise IngestError(f'"string_ids" must be a list of {n} ids (one per vector), got {got}')
        ids = _check_ids(
            [_id_value(v, f"string_ids[{i}]") for i, v in enumerate(raw_ids)],
            lambda i: f"string_ids[{i}]",
        )
    raw_attrs = doc.get("attributes")
    attributes: dict[str, list] = {}
    if raw_attrs is not None:
        if not isinstance(raw_attrs, list) or len(raw_attrs) != n:
            got = len(raw_attrs) if isinstance(raw_attrs, list) else "not a list"
            raise IngestError(
                f'"attributes" must be a list of {n} objects (one per vector), got {got}'
            )
        records = []
        for i, item in enumerate(raw_attrs):
            if item is None:
                item = {}
            if not isinstance(item, dict):
                raise IngestError(f"attributes[{i}] must be an object or null")
            records.append(
                {str(k): _attr_value(v, f"attributes[{i}]", k) for k, v in item.items()}
            )
        attributes = columns_of(records)
        _check_named_attributes(attributes, options)
    return Columns(ids, vectors, attributes)


def _parse_records(records: list[dict], options: ParseOptions, where: Where) -> Columns:
    if options.id_column is None:
        id_keys: tuple[str, ...] = ("string_id", "id")
    elif options.id_column == "":
        id_keys = ()
    else:
        id_keys = (str(options.id_column),)
    ids: list[str | None] = []
    rows = []
    attribute_rows = []
    for i, rec in enumerate(records):
        keys = [k for k in _DATA_KEYS if k in rec]
        if len(keys) != 1:
            problem = 'both "data" and "vector"' if keys else 'no "data" (or "vector")'
            raise IngestError(f"{where(i)} has {problem}; each record needs exactly one vector")
        rows.append(rec[keys[0]])
        id_key = next((k for k in id_keys if k in rec), None)
        ids.append(None if id_key is None else _id_value(rec[id_key], where(i)))
        attrs = rec.get("attributes")
        if attrs is None:
            attrs = {}
        if not isinstance(attrs, dict):
            raise IngestError(f'{where(i)}: "attributes" must be an object')
        merged = {str(k): _attr_value(v, where(i), k) for k, v in attrs.items()}
        for key, value in rec.items():
            if key in (keys[0], id_key, "attributes"):
                continue
            if key in merged:
                raise IngestError(
                    f'{where(i)}: {key!r} is given both as a record key and inside "attributes"'
                )
            merged[key] = _attr_value(value, where(i), key)
        attribute_rows.append(merged)
    attributes = columns_of(attribute_rows)
    _check_named_attributes(attributes, options)
    vectors = _vectors(rows, options, where)
    return Columns(_check_ids(ids, where), vectors, attributes)


def _flat_column(key: str, position: int, series: pd.Series, where: Where) -> Column:
    if series.dtype.kind in "iuf":
        nums = series.to_numpy(dtype=np.float64)
        missing = np.isnan(nums)
        return Column(str(key), position, nums, missing, np.zeros(len(nums), dtype=bool), series)
    values = series.astype(object).tolist()
    for i, v in enumerate(values):
        if isinstance(v, list | dict):
            raise IngestError(
                f"{where(i)}: {key!r} holds a nested list/object; flat records need plain values "
                '(or use records like {"id": ..., "data": [...], "attributes": {...}})'
            )
        if v == "" or (type(v) is float and v != v):  # "" and absent keys are missing
            values[i] = None
    missing = np.fromiter((v is None for v in values), dtype=bool, count=len(values))
    try:
        nums = np.array([v if type(v) in (int, float) else None for v in values], dtype=np.float64)
    except OverflowError:
        raise IngestError(f"{key!r} holds a number too large for float32") from None
    nonnumeric = ~missing & np.isnan(nums)
    return Column(str(key), position, nums, missing, nonnumeric, raw=values)


def _parse_flat(records: list[dict], options: ParseOptions, where: Where) -> Columns:
    """pandas-style ``orient="records"``: handled like a CSV file with a header.
    Columns follow the order in which keys first appear; a key absent from a record is missing."""
    # Count the columns before pandas builds one Series per key.
    check_columns(len(set().union(*records)), options, "the records have {n} different keys")
    frame = pd.DataFrame(records)
    columns = [_flat_column(k, p, frame.iloc[:, p], where) for p, k in enumerate(frame.columns)]
    return assemble(columns, named=True, options=options, where=where, n_rows=len(records))

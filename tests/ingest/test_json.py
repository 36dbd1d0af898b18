import numpy as np
import orjson
import pytest
from scipy import sparse

from .conftest import error_of, parse, roundtrip

RECORDS = [
    {"string_id": "a", "data": [1, 2, None], "attributes": {"label": "1"}},
    {"string_id": "b", "data": [3, 4, 5], "attributes": {"label": "0", "n": 2}},
]


@pytest.mark.parametrize("gz", [False, True])
def test_records_roundtrip(gz):
    rows = roundtrip(orjson.dumps(RECORDS), gz=gz, file_format="json", vector_dim=3)
    assert rows.ids == ["a", "b"]
    assert np.isnan(rows.vectors[0, 2]) and rows.vectors[1].tolist() == [3, 4, 5]
    assert rows.attributes == {"label": ["1", "0"], "n": [None, 2]}
    assert rows.feature_names is None


def test_records_aliases_and_extra_keys_become_attributes():
    raw = orjson.dumps([{"id": 7, "vector": [1.0], "label": True, "city": "x"}])
    rows = parse(raw, file_format="json")
    assert rows.ids == ["7"] and rows.attributes == {"label": ["true"], "city": ["x"]}


@pytest.mark.parametrize("gz", [False, True])
def test_json_lines_records(gz):
    raw = b"\n".join(orjson.dumps(r) for r in RECORDS) + b"\n"
    rows = roundtrip(raw, gz=gz, file_format="json")
    assert rows.ids == ["a", "b"] and rows.vectors.shape == (2, 3)


def test_batch_body():
    body = {
        "string_ids": ["x", "y"],
        "data": [[0.1, 0.2], [0.3, 0.4]],
        "attributes": [{"label": "1"}, None],
    }
    rows = parse(orjson.dumps(body), file_format="json", vector_dim=2)
    assert rows.ids == ["x", "y"] and rows.attributes == {"label": ["1", None]}


def test_batch_body_without_ids_or_attributes():
    rows = parse(orjson.dumps({"data": [[1, 2], [3, 4]]}), file_format="json")
    assert rows.ids is None and rows.attributes == {}


def test_sparse_records_and_inferred_sparse_layout():
    raw = orjson.dumps([{"data": {"3": 1.0}}, {"data": "1:2"}, {"data": [[0, 5]]}])
    rows = parse(raw, file_format="json")
    assert sparse.isspmatrix_csr(rows.vectors) and rows.vectors.shape == (3, 4)
    dense = parse(raw, file_format="json", vector_type="dense", vector_dim=6).vectors
    assert isinstance(dense, np.ndarray) and dense.shape == (3, 6) and dense[2, 0] == 5


def test_bare_list_of_vectors():
    rows = parse(b"[[1, 2], [3, 4]]", file_format="json")
    assert rows.ids is None and rows.vectors.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("gz", [False, True])
def test_flat_records_like_a_csv_with_header(gz):
    records = [
        {"id": "r1", "f1": 1.0, "f2": None, "color": "red", "label": "a"},
        {"id": "r2", "f1": 2, "f2": 3, "color": "", "label": "b", "late": 1},
    ]
    rows = roundtrip(orjson.dumps(records), gz=gz, file_format="json", label_column="label")
    assert rows.ids == ["r1", "r2"]
    assert rows.feature_names == ["f1", "f2", "late"]
    assert np.isnan(rows.vectors[0, 1]) and np.isnan(rows.vectors[0, 2])
    assert rows.attributes == {"label": ["a", "b"], "color": ["red", None]}


def test_flat_json_lines_and_explicit_numeric_attribute():
    raw = b'{"a": 1, "n": 5}\n{"a": 2, "n": 6.5}\n'
    rows = parse(raw, file_format="json", attribute_columns=["n"])
    assert rows.feature_names == ["a"] and rows.attributes == {"n": [5.0, 6.5]}


def test_flat_record_strings_are_never_numbers():
    rows = parse(orjson.dumps([{"a": 1, "zip": "02139"}]), file_format="json")
    assert rows.attributes == {"zip": ["02139"]}


def test_errors_json():
    assert "not valid JSON" in error_of(parse, b"[1, 2", file_format="json")
    assert "line 2 is not valid JSON" in error_of(parse, b'{"a": 1}\n{"a": \n', file_format="json")
    assert "no records" in error_of(parse, b"[]", file_format="json")
    assert "must hold a list of records" in error_of(parse, b"42", file_format="json")
    assert "record 1 is not a JSON object" in error_of(parse, b'[{"a": 1}, 5]', file_format="json")


def test_errors_records():
    msg = error_of(parse, orjson.dumps([{"id": "a", "data": [1]}, {"id": "b"}]), file_format="json")
    assert 'record 1 has no "data"' in msg
    msg = error_of(
        parse, orjson.dumps([{"id": "a", "data": [1]}, {"data": [2]}]), file_format="json"
    )
    assert "record 1 has no id but record 0 has one" in msg
    msg = error_of(
        parse,
        orjson.dumps([{"id": "a", "data": [1]}, {"id": "a", "data": [2]}]),
        file_format="json",
    )
    assert "id 'a' appears twice" in msg
    msg = error_of(parse, orjson.dumps(RECORDS), file_format="json", vector_dim=4)
    assert "record 0 has 3 values but the collection has vector_dim 4" in msg
    msg = error_of(
        parse, orjson.dumps([{"data": [1], "attributes": {"x": [1]}}]), file_format="json"
    )
    assert "attribute 'x' is a nested list/object" in msg
    msg = error_of(parse, orjson.dumps(RECORDS), file_format="json", label_column="target")
    assert "no record has the attribute 'target'" in msg


def test_errors_batch_body():
    msg = error_of(
        parse, orjson.dumps({"string_ids": ["a"], "data": [[1], [2]]}), file_format="json"
    )
    assert '"string_ids" must be a list of 2 ids' in msg
    msg = error_of(
        parse, orjson.dumps({"data": [[1], [2]], "attributes": [{}]}), file_format="json"
    )
    assert '"attributes" must be a list of 2 objects' in msg
    msg = error_of(parse, orjson.dumps({"data": [[1], ["x"]]}), file_format="json")
    assert "data[1]" in msg


def test_errors_flat():
    msg = error_of(parse, orjson.dumps([{"a": 1, "b": [1, 2]}]), file_format="json")
    assert "record 0: 'b' holds a nested list/object" in msg
    msg = error_of(parse, orjson.dumps([{"a": "x"}]), file_format="json")
    assert "no numeric columns" in msg

"""Bodies of 1 MB and more take the fast parse (app/api/routing.py): dense rows are read
straight into numbers, and whatever the fast path does not take gives exactly the answer of
the ordinary parse."""

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient

from app.api import body
from app.api.body import parse_large
from app.api.routing import FAST_PARSE_BYTES
from app.db.models import Collection
from app.db.session import Database
from app.main import create_app
from app.storage.collections import read_collection
from tests.conftest import ALICE, Client, make_settings

ROWS, WIDTH = 8000, 32
WHERE = {"project_name": "P", "collection_name": "c"}


@pytest.fixture
def app_and_db(tmp_path):
    settings = make_settings(tmp_path / "data")
    with TestClient(create_app(settings)) as http:
        client = Client(http)
        client.ok("create_project", project_name="P")
        client.ok("init", **WHERE, vector_dim=WIDTH)
        db = Database(settings.resolved_database_url)
        yield client, db
        db.dispose()


def post_raw(client: Client, body: dict) -> dict:
    raw = orjson.dumps({"user_api_key": ALICE, **WHERE, **body})
    assert len(raw) >= FAST_PARSE_BYTES  # the fast path is what is tested
    return client.http.post("/api/add_data_batch", content=raw,
                            headers={"Content-Type": "application/json"}).json()


def stored(db: Database):
    with db.session() as session:
        collection = session.query(Collection).one()
        return read_collection(session, collection)


def test_a_large_dense_batch_is_stored_exactly(app_and_db):
    client, db = app_and_db
    rng = np.random.default_rng(0)
    values = rng.normal(size=(ROWS, WIDTH)).astype(np.float32)
    ids = [f"r{i}" for i in range(ROWS)]
    attributes = [{"label": str(i % 2), "w": i} if i % 3 else None for i in range(ROWS)]
    answer = post_raw(client, {"data": values.tolist(), "string_ids": ids,
                               "attributes": attributes})
    client.finished(answer["job_id"])
    data = stored(db)
    np.testing.assert_array_equal(data.vectors, values)
    assert data.ids == ids
    assert data.attributes["label"][:4] == [None, "1", "0", None]
    assert data.attributes["w"][:3] == [None, 1, 2]


def test_a_large_batch_with_nulls_takes_the_ordinary_parse(app_and_db):
    client, db = app_and_db
    rows = [[float(i) + 0.125] * WIDTH for i in range(ROWS)]
    rows[5][3] = None
    client.finished(post_raw(client, {"data": rows})["job_id"])
    vectors = stored(db).vectors
    assert np.isnan(vectors[5, 3]) and vectors[6, 3] == 6.125


@pytest.mark.parametrize("bad, message", [
    ([[1.0]], "data[7][0] is a list"),
    (True, "data[7][0] is a boolean"),
    ("1", "data[7][0] is the string '1'"),
])
def test_a_large_batch_with_a_bad_value_is_refused_as_a_small_one_is(app_and_db, bad, message):
    client, db = app_and_db
    rows = [[1.125] * WIDTH for _ in range(ROWS)]
    rows[7][0] = bad
    answer = post_raw(client, {"data": rows})
    assert answer["success"] is False and message in answer["error_message"], answer
    assert stored(db).n == 0


def agrees_with_orjson(body: bytes) -> bool:
    """parse_large gives orjson's answer (rows as float32), or None (orjson then parses)."""
    fast = parse_large(body)
    if fast is None:
        return False
    expected = orjson.loads(body)
    np.testing.assert_array_equal(fast.pop("data"),
                                  np.array(expected.pop("data"), dtype=np.float32))
    assert fast == expected, body
    return True


def test_the_rows_shortcut_gives_orjsons_answer_or_none(monkeypatch):
    monkeypatch.setattr(body, "SLICE_BYTES", 8)  # many slices even in small bodies
    taken = [
        b'{"data": [[1, 2.5], [3, -4e-3], [5, 6], [7, 8]], "string_ids": ["[a]]", "b"]}',
        b'{"x": "data", "data":[[1,2],[3,4]],"attributes":[{"y":[1]},null]}',
        b'{"data": [[1e-3]], "data2": [[1]]}',
        b'{"data": "x", "data": [[1, 2]]}',
        b'{"s": "\\"data\\": [[1]]", "data": [[2]]}',
    ]
    for raw in taken:
        assert agrees_with_orjson(raw), raw
    left = [
        b'{"data": [[1], [[2]], [3]]}',  # a nested list
        b'{"data": [[1, null], [3, 4]]}',  # null: the vector parser reads it
        b'{"data": [[1, 2], [3]]}',  # ragged
        b'{"data": [[1, true]]}',
        b'{"data": [[1, "2"]]}',
        b'{"data": [[1e39]]}',  # beyond float32: the vector parser says so
        b'{"data": [[1, 2]], "data": "x"}',  # the last "data" wins
        b'{"meta": {"data": [[1]]}, "data": []}',  # not the top-level key
        b'{"data": [{"indices": [1], "values": [2]}]}',
        b'{"data": [[1, 2]]',  # truncated
        b"[[1, 2]]",
    ]
    for raw in left:
        assert not agrees_with_orjson(raw), raw

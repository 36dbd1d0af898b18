"""Bodies of 1 MB and more take the fast parse (app/api/routing.py): dense rows are read
straight into numbers, and whatever the fast path does not take gives exactly the answer of
the ordinary parse."""

import numpy as np
import orjson
import pytest
from fastapi.testclient import TestClient

from app.api.routing import FAST_PARSE_BYTES, _fast_parse
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


def test_fast_parse_agrees_with_orjson():
    bodies = [
        b'{"data": [[1, 2.5], [3, -4e-3]], "string_ids": ["[a]", "b"]}',
        b'{"data": [[1], [[2]]]}',
        b'{"a": 1, "a": 2}',
        b'{"data": [[1, 2], [3]]}',
        b'{"data": [{"indices": [1], "values": [2]}]}',
        b'{"data": [], "x": {"y": [1, {"z": null}]}}',
    ]
    for body in bodies:
        fast = _fast_parse(body)
        if fast is None:
            continue  # orjson parses it
        expected = orjson.loads(body)
        if isinstance(fast.get("data"), np.ndarray):
            assert fast.pop("data").tolist() == expected.pop("data"), body
        assert fast == expected, body
    assert _fast_parse(b'{"data": [[1], [[2]]]}') is None
    assert _fast_parse(b'{"a": 1, "a": 2}') is None
    assert _fast_parse(b"[1, 2]") is None and _fast_parse(b"{nope") is None

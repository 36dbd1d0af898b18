"""Columnar chunk storage: appends, tombstones and attribute chunks replayed in order."""

import numpy as np
import pytest
import scipy.sparse as sp

from app.db.migrate import upgrade
from app.db.models import Project, User
from app.db.session import Database
from app.errors import BadRequest
from app.ingest import Columns, columns_of
from app.services.collections import create_collection
from app.storage.collections import (
    append_rows,
    delete_ids,
    live_ids,
    lock_collection,
    read_collection,
    set_attribute,
)


@pytest.fixture
def db(tmp_path):
    database = Database(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(database)
    yield database
    database.dispose()


def make(db, vector_type="dense", dim=2):
    with db.session() as session:
        user = User(name="u")
        session.add(user)
        session.flush()
        project = Project(user_id=user.id, name="p")
        session.add(project)
        session.flush()
        return create_collection(session, project, "c", vector_type, dim).id


def rows(ids, values, attributes=None, names=None):
    return Columns(ids=ids, vectors=np.asarray(values, dtype=np.float32),
                   attributes=columns_of(attributes or []), feature_names=names)


def test_append_delete_reinsert_and_attributes_replay_in_order(db):
    cid = make(db)
    with db.session() as session:
        c = lock_collection(session, cid)
        append_rows(session, c, rows(["a", "b", "c"], [[1, 1], [2, 2], [3, 3]],
                                     [{"k": "x"}, {}, {"k": "z"}]))
        assert delete_ids(session, c, ["b", "nope"]) == 1
        set_attribute(session, c, "label", [10, 30], None)  # a, c in insertion order
        append_rows(session, c, rows(["b"], [[9, 9]]))  # b again: a new row, no label
        data = read_collection(session, c)
    assert data.ids == ["a", "c", "b"]
    assert data.vectors.tolist() == [[1, 1], [3, 3], [9, 9]]
    assert data.attributes == {"k": ["x", "z", None], "label": [10, 30, None]}


def test_duplicates_and_dimension_errors_store_nothing(db):
    cid = make(db)
    with db.session() as session:
        c = lock_collection(session, cid)
        append_rows(session, c, rows(["a"], [[1, 1]]))
    for bad in (rows(["a"], [[2, 2]]), rows(["x", "x"], [[1, 1], [2, 2]]),
                rows(["y"], [[1, 2, 3]])):
        with pytest.raises(BadRequest), db.session() as session:
            append_rows(session, lock_collection(session, cid), bad)
    with db.session() as session:
        c = lock_collection(session, cid)
        assert live_ids(session, c) == ["a"] and c.num_vectors == 1


def test_auto_ids_skip_taken_ordinals(db):
    cid = make(db)
    with db.session() as session:
        c = lock_collection(session, cid)
        append_rows(session, c, rows(["1"], [[0, 0]]))
        append_rows(session, c, rows(None, [[1, 1], [2, 2]]))
        assert live_ids(session, c) == ["1", "0", "2"]


def test_named_columns_are_reordered_to_the_collection(db):
    cid = make(db)
    with db.session() as session:
        c = lock_collection(session, cid)
        append_rows(session, c, rows(["a"], [[1, 2]], names=["x", "y"]))
        append_rows(session, c, rows(["b"], [[4, 3]], names=["y", "x"]))
        with pytest.raises(BadRequest, match="do not match"):
            append_rows(session, c, rows(["c"], [[1, 2]], names=["x", "z"]))
        data = read_collection(session, c)
    assert data.feature_names == ["x", "y"]
    assert data.vectors.tolist() == [[1, 2], [3, 4]]


def test_sparse_collection_grows_to_the_widest_row(db):
    cid = make(db, "sparse", None)
    with db.session() as session:
        c = lock_collection(session, cid)
        append_rows(session, c, Columns(["a"], sp.csr_matrix([[0, 1.0]])))
        append_rows(session, c, Columns(["b"], sp.csr_matrix([[0, 0, 0, 2.0]])))
        data = read_collection(session, c)
    assert sp.issparse(data.vectors) and data.vectors.shape == (2, 4)
    assert data.vectors.toarray().tolist() == [[0, 1, 0, 0], [0, 0, 0, 2]]

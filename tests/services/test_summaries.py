"""A dataset's summary for the dashboard: rows, each column's kind and missing values, value
counts of columns with few distinct values, and a sample of the first rows."""

import base64

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.services import collections, summaries
from app.services.accounts import find_user
from tests.conftest import ALICE, Client, make_settings

CSV = b"""x1,x2,color,flag,y
1.5,,red,true,yes
2.5,0.5,,false,no
-1,1.5,blue,true,yes
0,2.5,red,,no
"""


@pytest.fixture
def summary(tmp_path):
    with TestClient(create_app(make_settings(tmp_path / "data"))) as http:
        client = Client(http)
        client.ok("create_project", project_name="P", application="Machine Learning")
        job = client.ok("upload", project_name="P", collection_name="d", file_format="csv",
                        file_data=base64.b64encode(CSV).decode(), has_field_names=True,
                        categorical_features=["color", "flag", "y"])["job_id"]
        assert client.wait(job)["status"] == "finished"
        db = http.app.state.api.db
        with db.session() as session:
            user = find_user(session, ALICE, open_access=False,
                             secret=http.app.state.api.key_secret)
            yield summaries.summarize(session, collections.get_collection(session, user, "P",
                                                                          "d"))


def test_rows_features_and_missing_values(summary):
    assert summary.rows == 4
    assert [(f.name, f.kind, f.missing) for f in summary.features] == [
        ("x1", "number", 0), ("x2", "number", 1)]
    by_name = {a.name: a for a in summary.attributes}
    assert by_name["color"].missing == 1 and by_name["color"].kind == "text"
    assert by_name["color"].distinct == 2


def test_value_counts_most_frequent_first(summary):
    by_name = {a.name: a for a in summary.attributes}
    assert by_name["color"].counts == [("red", 2), ("blue", 1)]
    assert sorted(by_name["y"].counts) == [("no", 2), ("yes", 2)]


def test_sample_rows_in_order_with_missing_as_none(summary):
    assert summary.sample_columns[:3] == ["id", "x1", "x2"]
    assert len(summary.sample) == 4
    first = dict(zip(summary.sample_columns, summary.sample[0], strict=True))
    assert first["x1"] == 1.5 and first["x2"] is None and first["color"] == "red"

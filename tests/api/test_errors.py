"""The error envelope, authentication and request limits."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import ObjectDeletedError, StaleDataError

from app.db.models import Project
from app.main import create_app
from app.services import projects
from tests.conftest import Client, make_settings


def test_no_key_and_bad_key(client):
    response = client.http.post("/api/get_project_list", json={})
    assert response.status_code == 401
    assert response.json() == {"success": False,
                               "error_message": response.json()["error_message"]}
    assert "user_api_key" in response.json()["error_message"]
    assert "Invalid API key" in client.as_key("guess").fails("get_project_list", 401)


def test_invalid_json_and_wrong_shape(client):
    response = client.http.post("/api/create_project", content=b"{not json",
                                headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error_message"]
    response = client.http.post("/api/create_project", json=[1, 2])
    assert response.status_code == 400 and response.json()["success"] is False


def test_unknown_endpoint_uses_envelope(client):
    response = client.http.post("/api/no_such_thing", json={})
    assert response.status_code == 404
    assert response.json()["success"] is False


def test_health_and_docs(client):
    assert client.http.get("/health").status_code == 200
    assert client.http.get("/docs").status_code == 200
    assert "/api/train_automl_model" in client.http.get("/openapi.json").json()["paths"]


def test_open_mode_gives_each_key_its_own_tenant(tmp_path):
    settings = make_settings(tmp_path, api_keys="", open_access=True)
    with TestClient(create_app(settings)) as http:
        one, two = Client(http, "anything-1"), Client(http, "anything-2")
        one.ok("create_project", project_name="P")
        assert two.ok("get_project_list")["project_list"] == []
        assert one.ok("get_project_list")["project_list"] == ["P"]
        assert "user_api_key" in Client(http, "").fails("get_project_list", 401)


def test_body_over_limit_is_refused(tmp_path):
    settings = make_settings(tmp_path, max_body_bytes=1000)
    with TestClient(create_app(settings)) as http:
        client = Client(http)
        message = client.fails("create_project", 413, project_name="x" * 2000)
        assert "limit" in message
        client.ok("create_project", project_name="small")


def test_rate_limit(tmp_path):
    settings = make_settings(tmp_path, rate_limit_per_second=2)
    with TestClient(create_app(settings)) as http:
        client = Client(http)
        statuses = [client.post("get_project_list").status_code for _ in range(6)]
        assert statuses[0] == 200
        assert 400 in statuses
        response = client.post("get_project_list")
        assert response.json()["error_message"] == "Request limit reached, please try again later"
        # another key has its own budget
        assert client.as_key("key-bob").post("get_project_list").status_code == 200


def test_streamed_body_over_limit_is_refused(tmp_path):
    settings = make_settings(tmp_path, max_body_bytes=1000)
    with TestClient(create_app(settings)) as http:
        def chunks():
            yield b'{"user_api_key": "key-alice", "project_name": "'
            for _ in range(50):
                yield b"x" * 100
            yield b'"}'

        response = http.post("/api/create_project", content=chunks(),
                             headers={"content-type": "application/json"})
        assert response.status_code == 413
        assert "limit" in response.json()["error_message"]


def post_raw(client, body: bytes, content_type: str | None = "application/json",
             endpoint: str = "get_project_list"):
    headers = {"content-type": content_type} if content_type else {}
    response = client.http.post(f"/api/{endpoint}", content=body, headers=headers)
    payload = response.json()
    assert payload["success"] is False and set(payload) == {"success", "error_message"}
    return response.status_code, payload["error_message"]


def test_bodies_that_are_not_one_json_object_say_what_they_are(client):
    for body in (b"", b"  \n"):
        status, message = post_raw(client, body)
        assert status == 400 and message.startswith("the request body is empty;"), message
        assert "user_api_key" in message
    for body, kind in ((b"null", "null"), (b"[1, 2]", "an array"), (b'"text"', "a string"),
                       (b"42", "a number"), (b"4.5", "a number"), (b"true", "a boolean")):
        status, message = post_raw(client, body)
        assert status == 400, message
        assert message.startswith(f"the request body must be a JSON object, not {kind};")
    status, message = post_raw(client, b'{"user_api_key": "key-alice",')
    assert status == 400 and message.startswith("the request body is not valid JSON: ")
    assert "line 1, column" in message
    status, message = post_raw(client, b'{"user_api_key": "key-\xff"}')
    assert (status, message) == (400, "the request body is not valid JSON: it is not UTF-8 text")
    status, message = post_raw(client, b'{"user_api_key": "key-alice"}', "text/plain")
    assert status == 400 and "Content-Type: application/json" in message
    response = client.http.post("/api/get_project_list", content=b'{"user_api_key": "key-alice"}',
                                headers={"content-type": "application/json; charset=utf-8"})
    assert response.status_code == 200
    # clients that post json.dumps(body) as data send no Content-Type: read as JSON
    response = client.http.post("/api/get_project_list", content=b'{"user_api_key": "key-alice"}')
    assert response.status_code == 200 and response.json()["success"] is True


def test_the_key_is_checked_before_the_other_fields(client):
    """A missing or unknown key is a 401 even when other fields are missing or wrong."""
    for body, says in (({}, "user_api_key"), ({"user_api_key": ""}, "user_api_key"),
                       ({"user_api_key": "   "}, "user_api_key"),
                       ({"user_api_key": None}, "user_api_key"),
                       ({"user_api_key": "guess"}, "Invalid API key"),
                       ({"user_api_key": "guess", "project_name": 5}, "Invalid API key")):
        response = client.http.post("/api/create_project", json=body)
        assert response.status_code == 401, (body, response.json())
        assert says in response.json()["error_message"]
    # a key of the wrong type is a malformed request, and says which field
    message = client.fails("create_project", 400, user_api_key=5, project_name="P")
    assert "user_api_key" in message
    # a valid key with a malformed request: 400, naming the field
    assert "project_name" in client.fails("create_project", 400)


def test_fields_are_read_strictly_as_their_json_types(client, project):
    """What /openapi.json says: a string is no integer, 1 is no boolean; 3.0 is an integer."""
    where = {"project_name": project}
    assert "vector_dim" in client.fails("init", 400, **where, collection_name="a", vector_dim="3")
    assert "vector_dim" in client.fails("init", 400, **where, collection_name="a", vector_dim=2.5)
    assert "vector_dim" in client.fails("init", 400, **where, collection_name="a", vector_dim=0)
    client.ok("init", **where, collection_name="a", vector_dim=3.0)
    assert client.ok("get_collection_info", **where, collection_name="a")["vector_dim"] == 3
    assert "project_name" in client.fails("delete_project", 400, project_name=["P"])
    assert "has_field_names" in client.fails(
        "upload", 400, **where, collection_name="a", file_data="", file_format="csv",
        has_field_names=1)


def test_a_job_id_sent_as_a_number_is_looked_up(client):
    assert "Job does not exist" in client.fails("get_upload_data_status", 404, job_id=5)
    assert "Job does not exist" in client.fails("cancel_job", 404, job_id=5.0)
    assert "job_id" in client.fails("get_upload_data_status", 400, job_id=5.5)
    assert "job_id" in client.fails("get_upload_data_status", 400, job_id=2**60)


def test_a_wrong_method_is_405_with_allow(client):
    response = client.http.get("/api/create_project")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json() == {"success": False, "error_message":
                               "method GET is not allowed on /api/create_project; use POST"}
    response = client.http.put("/health")
    assert response.status_code == 405 and "GET" in response.headers["allow"]
    assert response.json()["success"] is False
    response = client.http.get("/api/no_such_thing")
    assert response.status_code == 404 and response.json()["success"] is False


@pytest.mark.parametrize(("error", "status", "words"), [
    (ObjectDeletedError(inspect(Project(name="raced"))), 404, "deleted by another"),
    (StaleDataError("DELETE statement expected 1 row; 0 were matched"), 404, "deleted by another"),
    (IntegrityError("INSERT INTO jobs", {}, Exception("FOREIGN KEY constraint failed")), 409,
     "conflicted with another"),
])
def test_a_request_that_loses_a_race_is_answered_as_if_it_came_after(
        client, monkeypatch, error, status, words):
    """Four deletes of one model at once gave one 200 and three 500s (ObjectDeletedError); a
    training sent while its dataset was deleted, a 500 (IntegrityError)."""
    client.ok("create_project", project_name="raced")

    def lose_the_race(*args, **kwargs):
        raise error

    monkeypatch.setattr(projects, "delete_project", lose_the_race)
    assert words in client.fails("delete_project", status, project_name="raced")


def test_a_field_of_several_types_is_described_once_without_validator_names(client, project):
    """id_column is a column name or a number: -1 quoted pydantic's internals ('id_column.
    function-before[_integral(), constrained-int]')."""
    message = client.fails("upload", 400, project_name=project, collection_name="c",
                           file_data="YSxi", file_format="csv", id_column=-1)
    assert message == ("field 'id_column': Input should be a valid string, or Input should be "
                       "greater than or equal to 0")

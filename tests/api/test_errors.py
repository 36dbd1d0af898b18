"""The error envelope, authentication and request limits."""

from fastapi.testclient import TestClient

from app.main import create_app
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

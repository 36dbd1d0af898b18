"""JSON log lines: one a request with its id, user, route, status and duration, never the key;
job lines carry the job id; the text format too."""

import base64
import json
import logging

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.observability.logs import ContextFilter, JsonFormatter, make_formatter
from tests.conftest import Client, make_settings

SECRET = "k3y-Zebra-Unmistakable-9f1c"


class Lines(logging.Handler):
    def __init__(self, formatter):
        super().__init__(logging.DEBUG)
        self.setFormatter(formatter)
        self.addFilter(ContextFilter())
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.fixture
def lines():
    handler = Lines(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler.lines
    root.removeHandler(handler)
    root.setLevel(level)


def test_request_lines_carry_ids_and_never_the_key(tmp_path, lines):
    settings = make_settings(tmp_path / "data", api_keys=f"{SECRET}:carol")
    with TestClient(create_app(settings)) as http:
        client = Client(http, key=SECRET)
        answer = client.post("create_project", project_name="P", application="Machine Learning")
        client.fails("get_project_list", 401, user_api_key=SECRET + "-wrong")
        data = base64.b64encode(b"a,label\n1,0\n2,1\n3,0\n").decode()
        job = client.ok("upload", project_name="P", collection_name="d", file_data=data,
                        file_format="csv", has_field_names=True, label_column="label")["job_id"]
        client.finished(job)
    parsed = [json.loads(line) for line in lines]  # every line is JSON
    assert not any(SECRET in line for line in lines)
    requests = [p for p in parsed if p["logger"] == "app.requests"]
    create = next(p for p in requests if p["route"] == "/api/create_project")
    assert create["request_id"] == answer.headers["x-request-id"]
    assert create["user"] == "carol" and create["status"] == 200
    assert create["method"] == "POST" and create["duration_ms"] >= 0
    denied = next(p for p in requests if p["status"] == 401)
    assert denied["route"] == "/api/get_project_list" and "user" not in denied
    assert len({p["request_id"] for p in requests}) == len(requests)
    job_lines = [p for p in parsed if p.get("job_id") == job]
    assert job_lines and any("finished" in p["message"] for p in job_lines)


def test_text_format_names_the_context():
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    record.job_id = "abc"
    ContextFilter().filter(record)
    assert make_formatter("text").format(record).endswith("hello [job_id=abc]")

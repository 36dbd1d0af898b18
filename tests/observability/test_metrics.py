"""GET /metrics: Prometheus text whose samples move as requests and jobs run, in both modes (the
`client` fixture); in production the Celery worker's samples (job durations, ingest) reach the
API's scrape through the shared multiprocess directory."""

import base64
import os
import time

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from tests.conftest import ALICE, BOB, Client

CSV = "a,b,label\n" + "".join(f"{i},{i * 2},{i % 2}\n" for i in range(40))


def scrape(http) -> dict:
    response = http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def upload(client, project: str) -> str:
    data = base64.b64encode(CSV.encode()).decode()
    job = client.ok("upload", project_name=project, collection_name="d", file_data=data,
                    file_format="csv", has_field_names=True, label_column="label")["job_id"]
    client.finished(job)
    return job


def poll(condition, timeout: float = 30):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_requests_are_counted_by_route_template_and_status(client, project):
    before = scrape(client.http)
    client.ok("get_project_list")
    client.fails("get_project_list", 401, user_api_key="not-a-key")
    after = scrape(client.http)
    route = {"method": "POST", "route": "/api/get_project_list"}
    ok = value(after, "automl_http_requests_total", status="200", **route)
    assert ok - value(before, "automl_http_requests_total", status="200", **route) == 1
    denied = value(after, "automl_http_requests_total", status="401", **route)
    assert denied - value(before, "automl_http_requests_total", status="401", **route) == 1
    count = "automl_http_request_duration_seconds_count"
    assert value(after, count, **route) - value(before, count, **route) == 2
    # no raw paths or ids in labels: an unknown path is "unmatched"
    client.http.get("/no/such/thing/123")
    labels = {dict(k[1]).get("route") for k in scrape(client.http)}
    assert "unmatched" in labels and not any("123" in (r or "") for r in labels)


def test_jobs_and_ingest_move(client, project, mode):
    before = scrape(client.http)
    upload(client, project)
    after = scrape(client.http)
    assert value(after, "automl_jobs", kind="data", state="finished") \
        - value(before, "automl_jobs", kind="data", state="finished") == 1
    assert ("automl_queue_depth", ()) in after and ("automl_trainings_running", ()) in after
    if mode == "embedded":  # production: the session's worker has its own directory (below)
        assert value(after, "automl_ingest_rows_total") \
            - value(before, "automl_ingest_rows_total") == 40
        assert value(after, "automl_ingest_bytes_total") \
            - value(before, "automl_ingest_bytes_total") == len(CSV)
        finished = "automl_job_duration_seconds_count"
        assert value(after, finished, kind="data", state="finished") \
            - value(before, finished, kind="data", state="finished") == 1


def test_production_worker_writes_to_the_shared_directory(tmp_path):
    from tests.production import ProductionStack, require_services

    require_services()
    settings_dir = tmp_path / "data"
    stack = ProductionStack()
    try:
        settings = stack.settings(settings_dir, api_keys=f"{ALICE}:alice,{BOB}:bob")
        with TestClient(create_app(settings)) as http:
            # the directory this process writes to (prometheus-client fixes it once a process)
            stack.extra_env["AUTOML_METRICS_DIR"] = os.environ["PROMETHEUS_MULTIPROC_DIR"]
            stack.start_worker(concurrency=1)
            client = Client(http)
            client.ok("create_project", project_name="P", application="Machine Learning")
            before = scrape(http)
            upload(client, "P")
            rows = "automl_ingest_rows_total"
            poll(lambda: value(scrape(http), rows) - value(before, rows) == 40)
            after = scrape(http)
            finished = "automl_job_duration_seconds_count"
            assert value(after, finished, kind="data", state="finished") \
                - value(before, finished, kind="data", state="finished") == 1
    finally:
        stack.close()


@pytest.mark.parametrize("sent", ["abc-123.x", None, "not sane; " + "x" * 200])
def test_request_id_is_echoed_or_made(client, sent):
    headers = {"X-Request-ID": sent} if sent else {}
    response = client.http.get("/health", headers=headers)
    echoed = response.headers["x-request-id"]
    if sent == "abc-123.x":
        assert echoed == sent
    else:
        assert echoed and echoed != sent and len(echoed) == 32

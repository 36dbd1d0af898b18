"""Every error type the client raises: from a live server in the embedded and the production
mode (NotFound, Conflict, BadRequest, TrainingFailed, JobFailed), and, once, from a mocked
transport (ServerError, Unauthorized, RateLimited, Unsupported, TransportError, WaitTimeout)."""

import asyncio
import json

import httpx
import pandas as pd
import pytest
from automl_client import (
    APIError,
    AsyncClient,
    BadRequest,
    Client,
    Conflict,
    JobFailed,
    Model,
    NotFound,
    PayloadTooLarge,
    RateLimited,
    ServerError,
    TrainingFailed,
    TransportError,
    Unauthorized,
    Unsupported,
    WaitTimeout,
)

from tests.client.support import frame, free_port

# ---- against the live server (both modes: the `server` fixture of conftest.py) ----


@pytest.fixture
def dataset(client):
    return client.create_project("p").upload("d", frame(60), label="target")


def test_not_found(client, dataset):
    with pytest.raises(NotFound, match="Project does not exist"):
        client.project("nope").datasets()
    with pytest.raises(NotFound):
        client.project("nope").delete()
    with pytest.raises(NotFound, match="Collection does not exist"):
        dataset.project.dataset("nope").info()
    with pytest.raises(NotFound, match="Model does not exist") as info:
        dataset.model("nope")
    assert info.value.status == 404 and info.value.endpoint == "get_model_validation_metric"
    with pytest.raises(NotFound, match="Job does not exist"):
        client.job("no-such-job").status()
    with pytest.raises(NotFound):
        client.jobs("nope")


def test_conflict(client, dataset):
    with pytest.raises(Conflict, match="Project already exists"):
        client.create_project("p")
    dataset.train("m", mode="high_speed", task="classification", time_budget=5).wait()
    with pytest.raises(Conflict, match="Model already exists") as info:
        dataset.train("m", mode="high_speed", task="classification")
    assert info.value.status == 409


def test_conflict_predicting_on_a_model_still_training(client, dataset):
    job = dataset.train("slow", mode="high_accuracy", task="classification", time_budget=120)
    with pytest.raises(Conflict, match="still training"):
        job.model().predict(frame(5))
    assert job.cancel()["status"] == "failed"
    with pytest.raises(TrainingFailed, match="cancelled"):
        job.wait()
    with pytest.raises(Conflict, match="failed to train"):  # a failed model stays 409
        job.model().predict(frame(5))
    with pytest.raises(Conflict):
        job.cancel()  # it has already ended


def test_bad_request(client, dataset):
    with pytest.raises(BadRequest, match="training_mode"):
        dataset.train("m", mode="fastest", task="classification")
    with pytest.raises(BadRequest, match="task_type"):
        dataset.train("m", mode="high_speed", task="clustering")
    with pytest.raises(BadRequest, match="not in collection"):
        dataset.train("m", mode="high_speed", task="classification", label="no_such_column")
    with pytest.raises(BadRequest):
        dataset.train("bad name!", mode="high_speed", task="classification")
    with pytest.raises(BadRequest):
        client.create_project(" ")
    model = dataset.train("m", mode="high_speed", task="classification", time_budget=5).wait()
    with pytest.raises(BadRequest, match="x1"):  # a feature column is missing
        model.predict(frame(5).drop(columns=["x1"]))
    with pytest.raises(KeyError):  # caught before any request
        dataset.project.upload("e", frame(5), label="no_such_column")


def test_training_failed_with_the_servers_reason(client):
    df = frame(40)
    df["target"] = "yes"  # a single class
    ds = client.create_project("p").upload("d", df, label="target")
    job = ds.train("m", mode="high_speed", task="classification", time_budget=5)
    with pytest.raises(TrainingFailed, match="only one class") as info:
        job.wait()
    assert info.value.job_id == job.job_id and info.value.status["status"] == "failed"
    assert "only one class" in info.value.reason
    with pytest.raises(Conflict, match="failed to train"):
        ds.model("m")


def test_failed_upload_raises_job_failed(client):
    df = pd.DataFrame({"id": ["a", "a"], "x": [1.0, 2.0], "target": ["u", "v"]})
    with pytest.raises(JobFailed) as info:  # duplicate ids: the data job fails
        client.create_project("p").upload("d", df, label="target")
    assert not isinstance(info.value, TrainingFailed)


# ---- against a mocked transport ----

BASE = "http://automl.test"


def envelope(status: int, message: str) -> httpx.Response:
    return httpx.Response(status, json={"success": False, "error_message": message})


def mocked(handler, **options) -> Client:
    return Client(BASE, api_key="k", transport=httpx.MockTransport(handler), **options)


def test_server_error():
    replies = iter([
        envelope(500, "internal error: KeyError"),
        envelope(503, "the database is unavailable right now"),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
    ])
    c = mocked(lambda request: next(replies))
    with pytest.raises(ServerError, match="internal error") as info:
        c.projects()
    assert info.value.status == 500 and info.value.endpoint == "get_project_list"
    with pytest.raises(ServerError, match="unavailable") as info:
        c.projects()
    assert info.value.status == 503
    with pytest.raises(ServerError, match="Bad Gateway"):
        c.projects()


def test_status_mapping():
    replies = iter([envelope(401, "unknown API key"), envelope(413, "too large"),
                    envelope(422, "odd"),
                    # a server answering every failure 200/400 with VecML's phrases
                    httpx.Response(200, json={"success": False,
                                              "error_message": "Project does not exist"}),
                    envelope(400, "Model already exists")])
    c = mocked(lambda request: next(replies))
    for expected in (Unauthorized, PayloadTooLarge, APIError, NotFound, Conflict):
        with pytest.raises(expected):
            c.projects()


def test_rate_limited_is_retried_with_backoff():
    seen = []

    def handler(request):
        seen.append(json.loads(request.content))
        if len(seen) == 1:
            return envelope(429, "Too many requests")
        if len(seen) == 2:  # VecML's answer
            return envelope(400, "Request limit reached, please try again later")
        return httpx.Response(200, json={"success": True, "project_list": ["a"]})

    c = mocked(handler, backoff=0.001)
    assert [p.name for p in c.projects()] == ["a"]
    assert len(seen) == 3 and all(body["user_api_key"] == "k" for body in seen)


def test_rate_limited_after_the_retries():
    calls = []

    def handler(request):
        calls.append(request)
        return envelope(400, "Request limit reached, please try again later")

    with pytest.raises(RateLimited) as info:
        mocked(handler, max_retries=2, backoff=0.001).projects()
    assert len(calls) == 3 and info.value.status == 400


def test_extensions_the_server_lacks_are_unsupported():
    def vecml_like(request):  # no /openapi.json, no list_jobs
        if request.url.path == "/openapi.json":
            return httpx.Response(404, text="Not Found")
        return envelope(404, "Unknown endpoint")

    with pytest.raises(Unsupported, match="list_jobs"):
        mocked(vecml_like).jobs()

    def published(request):  # /openapi.json lists the endpoints, list_jobs is not among them
        assert request.url.path == "/openapi.json", "list_jobs must not be called"
        return httpx.Response(200, json={"paths": {"/api/get_project_list": {}}})

    c = mocked(published)
    assert c.has_endpoint("list_jobs") is False
    with pytest.raises(Unsupported, match="list_jobs"):
        c.jobs()


def test_probabilities_the_server_lacks_are_unsupported():
    c = mocked(lambda request: httpx.Response(
        200, json={"success": True, "num_samples": 0, "predictions": ["a", "b"]}))
    m = Model(c.project("p").dataset("d"), "m", task_type="classification", label="y")
    assert list(m.predict(pd.DataFrame({"x": [1, 2]}))) == ["a", "b"]
    with pytest.raises(Unsupported, match="return_probabilities"):
        m.predict_proba(pd.DataFrame({"x": [1, 2]}))


def test_model_infos_as_documented_arrays_or_as_objects():
    """VecML documents arrays; its live service answers objects (AUTOML_MODEL_INFOS_FORMAT)."""
    info = ["m", "regression", "balanced", "price", "2025/01/16, 09:15"]
    keys = ["model_name", "task_type", "training_mode", "label_attribute", "create_time"]
    for infos in ([info], [dict(zip(keys, info, strict=True))]):
        c = mocked(lambda request, infos=infos: httpx.Response(
            200, json={"success": True, "model_infos": infos, "validation_metric": 0.25}))
        (model,) = c.project("p").dataset("d").models()
        assert (model.name, model.task_type, model.training_mode, model.label,
                model.create_time) == tuple(info)
        assert c.project("p").dataset("d").model("m").validation_metric == 0.25


def test_transport_error():
    with pytest.raises(TransportError):
        Client(f"http://127.0.0.1:{free_port()}", api_key="k").projects()


def test_wait_timeout():
    c = mocked(lambda request: httpx.Response(
        200, json={"success": True, "status": "in_progress", "progress": 0.5}))
    with pytest.raises(WaitTimeout):
        c.job("j").wait(timeout=0)


def test_wait_reports_each_status_to_a_callback():
    states = iter(["pending", "in_progress", "finished"])

    def handler(request):
        state = next(states)
        return httpx.Response(200, json={"success": True, "status": state, "job_type": "upload",
                                         "progress": {"finished": 1.0}.get(state, 0.5)})

    seen = []
    status = mocked(handler, poll_interval=0.001).job("j", kind="data").wait(
        progress=seen.append)
    assert [s["status"] for s in seen] == ["pending", "in_progress", "finished"]
    assert status["status"] == "finished"


def test_an_interrupted_wait_still_ends_its_progress_bar(capsys):
    """An error that is not the API's (here from the transport's handler; an interrupt, a
    cancelled task) leaves the operation closed: its progress bar ends its line."""
    replies = iter([httpx.Response(200, json={"success": True, "status": "in_progress",
                                              "progress": 0.5})])

    def handler(request):
        reply = next(replies, None)
        if reply is None:
            raise RuntimeError("interrupted")
        return reply

    try:
        mocked(handler, poll_interval=0.001).job("j").wait(progress=True)
    except RuntimeError:  # checked while the error (and the operation it holds) is alive
        assert capsys.readouterr().err.endswith("\n")
    else:
        pytest.fail("the transport's error did not propagate")


def test_async_client_maps_errors_the_same_way():
    async def run():
        async with AsyncClient(BASE, api_key="k", transport=httpx.MockTransport(
                lambda request: envelope(404, "Project does not exist"))) as c:
            with pytest.raises(NotFound):
                await c.project("x").datasets()

    asyncio.run(run())


def test_key_and_base_url_from_the_environment(monkeypatch):
    monkeypatch.setenv("AUTOML_BASE_URL", "http://elsewhere:9000/api/")
    monkeypatch.setenv("AUTOML_API_KEY", "env-key")
    c = Client()
    assert c.base_url == "http://elsewhere:9000"
    monkeypatch.delenv("AUTOML_API_KEY")
    with pytest.raises(ValueError, match="AUTOML_API_KEY"):
        Client()

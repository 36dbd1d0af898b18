"""Schemathesis against a live server (embedded mode, uvicorn on a free loopback port), every
check on, and one of ours (`shape_is_accepted`): what /openapi.json says is what the server does.
Response bodies, successes included, are validated against the operation's declared schema
(`response_schema_conformance`, named explicitly below; the tests also assert that it ran, and
on which 200 answers). A second, shorter run fixes the names and job id of the read-only
operations to a seeded dataset, finished jobs and a trained model, so that those answer 200 and
their success bodies are checked too.

Bounded and deterministic (about 30 s on 2 cores): a fixed seed, 25 examples per operation in
the fuzzing phase besides the coverage phase's own cases, no stateful phase (the document has no
links). Any non-empty key is a tenant (open access); every request carries the same key, so that
requests meet the projects and datasets that earlier ones created. Data jobs run; trainings are
not started (their jobs stay pending; the second run's one model is trained by its seeding), so
the run stays short."""

import socket
import threading
import time

import httpx
import numpy as np
import pytest
import schemathesis
import uvicorn
from hypothesis.configuration import set_hypothesis_home_dir
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure
from schemathesis.engine import Status, events

from app.api.openapi import STATUSES
from app.main import create_app
from tests.conftest import make_settings

KEY = "schemathesis-tenant"

CONTENT_CHECKED = [
    "/api/add_data", "/api/add_data_batch", "/api/upload", "/api/upload_automl_X",
    "/api/attach_automl_label", "/api/train_automl_model", "/api/automl_predict",
]
"""Operations whose requests are also judged against stored data or the content of a file
(a vector's width against its dataset's, gzip data, a label that must be an attribute, ...):
rules no JSON schema can state. For these, 400 is an acceptable answer to a schema-valid
request, as long as it is not a complaint about the request's shape (`shape_is_accepted`)."""

ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]  # schemathesis' default

CHECKS = {"enabled": True,
          # every answer's body against its operation's declared schema (each 200 has its
          # own, app/api/responses.py), formats included
          "response_schema_conformance": {"enabled": True, "validate-formats": True}}

CONFIG = SchemathesisConfig.from_dict({
    "seed": 20261202,
    "workers": 1,
    "cache": {"enabled": False},
    "parameters": {"body.user_api_key": KEY},
    "generation": {"mode": "all", "max-examples": 25, "deterministic": True,
                   "database": "none"},
    "phases": {"stateful": {"enabled": False}},
    "checks": CHECKS,
    "operations": [{
        "include-path": CONTENT_CHECKED,
        "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "400"]}},
    }],
})

SHAPE_COMPLAINTS = ("field '", "missing field", "the request body", "must be one of",
                    "is not valid: ", "unsupported compression_type", "vector_type must be")
"""Beginnings (or parts) of the messages that refuse a request's shape: a field's type, a name,
an enumeration. A schema-valid request must never get one."""


@schemathesis.check
def shape_is_accepted(ctx, response, case) -> None:
    """A request the schema allows may be refused for its content, never for its shape."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code != 400:
        return
    message = response.json().get("error_message", "")
    if any(part in message for part in SHAPE_COMPLAINTS):
        raise Failure(operation=case.operation.label, title="Schema-valid request refused as "
                      "malformed", message=f"The server answered 400 {message!r}")


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config):
        super().__init__(config)
        self.ready = threading.Event()

    async def startup(self, sockets=None) -> None:
        try:
            await super().startup(sockets)
        finally:
            self.ready.set()


class _DataJobsOnly:
    """The app's job runner, except that trainings are left pending."""

    def __init__(self, runner):
        self.runner = runner

    def submit(self, job_id: str, kind: str) -> None:
        if kind == "data":
            self.runner.submit(job_id, kind)

    def shutdown(self) -> None:
        self.runner.shutdown()


@pytest.fixture
def hypothesis_home(tmp_path):
    """Hypothesis' caches go to a temporary directory, not the work tree."""
    set_hypothesis_home_dir(tmp_path / ".hypothesis")
    yield
    set_hypothesis_home_dir(None)


@pytest.fixture
def live_server(tmp_path):
    """The app served by uvicorn on a free loopback port, in a thread of this process; yields
    its URL and the app."""
    app = create_app(make_settings(tmp_path / "data", api_keys="", open_access=True))
    listener = socket.socket()
    # as uvicorn's own sockets: without it each response waits for a delayed ACK (40 ms)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind(("127.0.0.1", 0))
    server = _Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    assert server.ready.wait(60) and server.started, "the server did not start"
    app.state.api.runner = _DataJobsOnly(app.state.api.runner)
    host, port = listener.getsockname()
    try:
        yield f"http://{host}:{port}", app
    finally:
        server.should_exit = True
        thread.join(60)
        listener.close()


@pytest.fixture
def live_url(live_server):
    return live_server[0]


def _describe(label: str, check) -> str:
    info = check.failure_info
    return (f"{label}: {check.name}: {info.failure.title}\n{info.failure.message}\n"
            f"{info.code_sample}")


CONFORMING_SUCCESSES = {"/api/create_project", "/api/get_project_list", "/api/list_jobs",
                        "/health"}
"""Operations whose 200 answers this run must have checked against their declared schema.
Generated names seldom meet a stored project, so most operations answer 404 or 400 here (their
error bodies are checked all the same); tests/api/test_openapi.py checks every operation's
success on a real workflow."""


def _run(schema) -> tuple[list[str], set[str], set[str], set[str]]:
    """Run schemathesis: the problems found, the operations tested, those whose answers
    response_schema_conformance checked, and those of them with a 200 among the answers."""
    problems: list[str] = []
    tested, conformance_ran, conforming_successes = set(), set(), set()
    for event in schemathesis.engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            path = event.label.split(" ", 1)[-1]
            if event.status != Status.SKIP:
                tested.add(path)
            for case_id, checks in event.recorder.checks.items():
                problems += [_describe(event.label, check) for check in checks
                             if check.status == Status.FAILURE]
                if any(check.name == "response_schema_conformance"
                       and check.status == Status.SUCCESS for check in checks):
                    conformance_ran.add(path)
                    interaction = event.recorder.interactions.get(case_id)
                    if interaction and interaction.response and (
                            interaction.response.status_code == 200):
                        conforming_successes.add(path)
        elif isinstance(event, events.NonFatalError | events.FatalError):
            problems.append(f"{getattr(event, 'label', '')}: error: {event.info.format()}"
                            if isinstance(event, events.NonFatalError) else repr(event.exception))
    return problems, tested, conformance_ran, conforming_successes


def test_api_conforms_to_its_openapi(hypothesis_home, live_url):
    schema = schemathesis.openapi.from_url(f"{live_url}/openapi.json", config=CONFIG)
    problems, tested, conformance_ran, conforming_successes = _run(schema)
    assert not problems, "\n\n".join(dict.fromkeys(problems))
    assert tested == set(STATUSES), "every operation is tested"
    assert conformance_ran == set(STATUSES), "every operation's answers are schema-checked"
    assert conforming_successes >= CONFORMING_SUCCESSES, sorted(
        CONFORMING_SUCCESSES - conforming_successes)


SEEDED_KEY = "schemathesis-seeded"
SEEDED = ["/api/get_collection_list", "/api/get_collection_info",
          "/api/get_upload_data_status", "/api/get_automl_training_status",
          "/api/automl_predict", "/api/get_model_validation_metric",
          "/api/get_feature_importance", "/api/list_automl_model_infos", "/api/list_jobs"]
"""Read-only operations run again on a tenant with a dataset, a finished data job and a
trained model, the names and job ids fixed, so that they answer 200 with generated values in
every other field: their success bodies go through response_schema_conformance too."""


def _seed(url: str, app) -> dict[str, str]:
    """A dataset "train" in project "P" with a classifier "m" trained on it; the job ids (the
    training's is the one both status endpoints are asked about: get_upload_data_status
    answers for every job)."""
    with httpx.Client(base_url=url, timeout=60) as http:
        def ok(endpoint: str, **body) -> dict:
            response = http.post(f"/api/{endpoint}", json={"user_api_key": SEEDED_KEY, **body})
            assert response.status_code == 200, response.text
            return response.json()

        def finished(job_id: str) -> None:
            deadline = time.monotonic() + 120
            while (status := ok("get_automl_training_status", job_id=job_id))["status"] in (
                    "pending", "in_progress"):
                assert time.monotonic() < deadline, status
                time.sleep(0.05)
            assert status["status"] == "finished", status

        where = {"project_name": "P", "collection_name": "train"}
        ok("create_project", project_name="P")
        ok("init", **where, vector_dim=3)
        x = np.random.default_rng(7).normal(size=(60, 3)).round(3)
        upload = ok("add_data_batch", **where, data=x.tolist(),
                    attributes=[{"label": "yes" if row[0] > 0 else "no"} for row in x])["job_id"]
        finished(upload)
        train = ok("train_automl_model", **where, model_name="m", training_mode="high_speed",
                   task_type="classification", label_attribute="label", time_budget=1,
                   seed=1)["job_id"]
        app.state.api.runner.runner.submit(train, "train")  # the fixture holds trainings back
        finished(train)
    return {"upload": upload, "train": train}


def test_successes_conform_on_stored_data(hypothesis_home, live_server):
    url, app = live_server
    jobs = _seed(url, app)
    config = SchemathesisConfig.from_dict({
        "seed": 20261202,
        "workers": 1,
        "cache": {"enabled": False},
        "parameters": {"body.user_api_key": SEEDED_KEY, "body.project_name": "P",
                       "body.collection_name": "train", "body.model_name": "m",
                       "body.prediction_dataset": "train", "body.job_id": jobs["train"]},
        "generation": {"mode": "positive", "max-examples": 10, "deterministic": True,
                       "database": "none"},
        "phases": {"stateful": {"enabled": False}},
        "checks": CHECKS,
    })
    # (an "operations" entry in the config would undo this filter)
    schema = schemathesis.openapi.from_url(f"{url}/openapi.json", config=config).include(
        path=SEEDED)
    problems, tested, conformance_ran, conforming_successes = _run(schema)
    assert not problems, "\n\n".join(dict.fromkeys(problems))
    assert tested == conformance_ran == conforming_successes == set(SEEDED)

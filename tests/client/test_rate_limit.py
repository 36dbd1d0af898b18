"""A live server with a low rate limit (AUTOML_RATE_LIMIT_PER_SECOND): the client backs off and
retries VecML's rate-limit answer, and raises RateLimited once its retries are used up."""

import httpx
import pytest
from automl_client import Client, RateLimited

from tests.client.support import LiveServer, frame

RATE = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    running = LiveServer(tmp_path_factory.mktemp("client-rate"), rate_limit_per_second=RATE)
    yield running
    running.stop()


def test_rate_limited_without_retries(server):
    with server.client(max_retries=0) as c:
        with pytest.raises(RateLimited, match="Request limit reached") as info:
            for _ in range(50 * RATE):  # far more than a burst holds
                c.projects()
    assert info.value.status == 400  # VecML's status for it


def test_retries_ride_out_the_limit(server):
    limited = []

    def count(response: httpx.Response) -> None:
        response.read()
        if "Request limit reached" in response.text:
            limited.append(response)

    http = httpx.Client(event_hooks={"response": [count]}, timeout=60)
    with Client(server.base, api_key="retrying-key", http_client=http, backoff=0.05,
                max_retries=20, poll_interval=0.1) as c:
        for _ in range(2 * RATE):
            assert c.projects() == []
        ds = c.create_project("p").upload("d", frame(60), label="target")  # polls its job
        assert ds.upload_jobs[0].last_status["status"] == "finished"
    http.close()
    assert limited  # the limit was hit, and every call went through all the same

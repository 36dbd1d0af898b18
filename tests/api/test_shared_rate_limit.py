"""Production mode: the rate limit is one bucket per key in Redis, shared by every API process
(two apps here), still per key and still VecML's 400 answer."""

import pytest
from fastapi.testclient import TestClient

from app.api.rate_limit import RedisRateLimiter
from app.main import create_app
from tests.conftest import ALICE, BOB, Client

RATE = 0.01
"""A token every 100 s, a burst of one: the second request of a key within the test is over."""


@pytest.fixture
def stack(bare_production_stack):
    return bare_production_stack


def test_two_api_processes_share_one_limit_per_key(stack, tmp_path):
    keys = f"{ALICE}:alice,{BOB}:bob"
    settings = [stack.settings(tmp_path / name, api_keys=keys, rate_limit_per_second=RATE)
                for name in ("a", "b")]
    with TestClient(create_app(settings[0])) as one, TestClient(create_app(settings[1])) as two:
        assert isinstance(one.app.state.api.limiter, RedisRateLimiter)
        Client(one, ALICE).ok("get_project_list")
        message = Client(two, ALICE).fails("get_project_list", 400)
        assert message == "Request limit reached, please try again later"
        Client(one, ALICE).fails("get_project_list", 400)
        Client(two, BOB).ok("get_project_list")  # per key: bob has his own bucket
        Client(one, BOB).fails("get_project_list", 400)


def test_redis_unreachable_lets_requests_through(stack, tmp_path):
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", 1.0, "nowhere", b"s")
    for _ in range(3):
        limiter.check("k")  # no exception: fail open

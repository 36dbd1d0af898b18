"""What every router needs: a session bound to the caller's user, and the job runner."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.api.envelope import success
from app.config import Settings
from app.db.models import Job, User
from app.db.session import Database
from app.errors import RateLimited
from app.ingest.limits import IngestLimits
from app.jobs.runner import JobRunner
from app.observability.logs import request_context
from app.services.accounts import find_user, register_open_key
from app.services.key_secret import key_secret


class RateLimiter:
    """A token bucket per API key: `rate` requests a second, bursts up to one second's worth."""

    def __init__(self, rate: float):
        self.rate = rate
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        if self.rate <= 0:
            return
        now = time.monotonic()
        capacity = max(1.0, self.rate)
        with self._lock:
            tokens, stamp = self._buckets.get(key, (capacity, now))
            tokens = min(capacity, tokens + (now - stamp) * self.rate)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                raise RateLimited()
            self._buckets[key] = (tokens - 1.0, now)


def make_limiter(settings: Settings, secret: bytes):
    """Production mode on a Redis broker: one bucket per key shared by every API process;
    otherwise the in-process bucket."""
    broker = settings.broker_url or ""
    if settings.rate_limit_per_second > 0 and broker.startswith(("redis://", "rediss://")):
        from app.api.rate_limit import RedisRateLimiter

        return RedisRateLimiter(broker, settings.rate_limit_per_second, settings.queue_prefix,
                                secret)
    return RateLimiter(settings.rate_limit_per_second)


class Api:
    def __init__(self, settings: Settings, db: Database, runner: JobRunner):
        self.settings = settings
        self.db = db
        self.runner = runner
        self.key_secret = key_secret(settings)
        self.limiter = make_limiter(settings, self.key_secret)
        self.ingest_limits = IngestLimits.from_settings(settings)
        self.training_limits = {"train_memory_limit": settings.train_memory_limit,
                                "max_classes": settings.max_classes}

    @contextmanager
    def session(self, body) -> Iterator[tuple[Session, User]]:
        """Authenticate the body's key and yield the session of the request, with its user; the
        session commits when the block ends."""
        key = body.user_api_key
        with self.db.session() as session:
            user = self.user_for_key(session, key)
            context = request_context.get()
            if context is not None:  # the request's log line names the user, never the key
                context["user"] = user.name
            self.limiter.check(key)
            yield session, user

    def user_for_key(self, session: Session, key: str) -> User:
        """The key's user; in open access an unknown key becomes a tenant of its own."""
        user = find_user(session, key, open_access=self.settings.open_access,
                         secret=self.key_secret)
        if user is None:
            user = session.get(User, self._register_open_key(key))
        return user

    def _register_open_key(self, key: str) -> int:
        """In a transaction of its own, since two first requests of a new key may race: the
        loser of the unique constraint finds the winner's row on its second try."""
        def user_id() -> int:
            with self.db.session() as session:
                user = find_user(session, key, open_access=True, secret=self.key_secret)
                return (user or register_open_key(session, key, self.key_secret)).id

        try:
            return user_id()
        except IntegrityError:
            return user_id()

    def submit(self, job: Job) -> dict:
        self.runner.submit(job.id, job.kind)
        return success(job_id=job.id)


def get_api(request: Request) -> Api:
    return request.app.state.api


ApiDep = Annotated[Api, Depends(get_api)]

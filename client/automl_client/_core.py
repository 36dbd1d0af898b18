"""The logic shared by `Client` and `AsyncClient`.

Every operation is written once, as a generator that yields what it needs done (`Call`: an
HTTP request; `Sleep`: a pause) and receives the result. `advance` steps an operation; the sync
driver performs the steps with `httpx.Client` and `time.sleep`, the async one with
`httpx.AsyncClient` and `asyncio.sleep`. Request building, envelope parsing, error mapping,
rate-limit retries and job polling live here only."""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import time
from collections.abc import Callable, Generator
from contextlib import closing
from dataclasses import dataclass
from typing import Any, Generic, TextIO, TypeVar

import httpx

from automl_client.errors import (
    NotFound,
    RateLimited,
    TransportError,
    Unsupported,
    WaitTimeout,
    error_for,
)

T = TypeVar("T")
JSON = dict[str, Any]
"""A request body, a reply payload, a job status."""
Progress = bool | Callable[[JSON], Any]
"""`progress=`: True draws a bar on stderr, a callable is called with each status."""

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
MAX_REQUEST_BYTES = 190_000_000
"""Largest base64 file sent in one request: VecML refuses requests over 200 MB."""


@dataclass
class Call:
    method: str
    path: str
    body: JSON | None = None


@dataclass
class Sleep:
    seconds: float


@dataclass
class Reply:
    status: int
    headers: httpx.Headers
    text: str


Op = Generator[Call | Sleep, Any, T]


def api_root(base_url: str) -> str:
    """`http://host:8000`, `http://host:8000/` and `http://host:8000/api` all mean the server
    whose endpoints are under `/api`; the root (without `/api`) is returned."""
    root = base_url.rstrip("/")
    if root.endswith("/api"):
        root = root[: -len("/api")]
    return root


def _parse(reply: Reply, endpoint: str) -> JSON:
    """The payload of a success, or the typed error of a failure."""
    try:
        payload = json.loads(reply.text) if reply.text else None
    except ValueError:
        payload = None
    if isinstance(payload, dict) and payload.get("success") is True and reply.status < 400:
        return payload
    if isinstance(payload, dict):
        message = (payload.get("error_message") or payload.get("error") or payload.get("detail")
                   or payload.get("message") or reply.text)
    else:
        message = reply.text.strip()[:500] or f"HTTP {reply.status} with no body"
    status = reply.status if reply.status >= 400 else 400
    raise error_for(status, str(message), endpoint=endpoint, payload=payload)


class Session:
    """What a client knows: where the server is, the key, and the options. Subclasses give
    `_run` (drive an operation) and the HTTP transport."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float = 300.0, max_retries: int = 6, backoff: float = 0.5,
                 max_backoff: float = 10.0, poll_interval: float = 1.0,
                 max_request_bytes: int = MAX_REQUEST_BYTES, compress: bool = True):
        base_url = base_url or os.environ.get("AUTOML_BASE_URL") or DEFAULT_BASE_URL
        api_key = api_key or os.environ.get("AUTOML_API_KEY")
        if not api_key:
            raise ValueError("an API key is needed: pass api_key= or set AUTOML_API_KEY")
        self.root = api_root(base_url)
        self.api_key = api_key
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 15.0))
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.poll_interval = poll_interval
        self.max_request_bytes = max_request_bytes
        self.compress = compress
        self._endpoints: set[str] | None = None
        self._endpoints_known = False

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.root!r})"

    # ---- operations (generators) shared by both clients ----

    def call(self, endpoint: str, body: JSON | None = None) -> Op[JSON]:
        """POST /api/<endpoint> with the key; retries the rate limit with exponential backoff
        (and the server's Retry-After, when it sends one)."""
        payload = {"user_api_key": self.api_key, **(body or {})}
        attempt = 0
        while True:
            reply = yield Call("POST", f"/api/{endpoint}", payload)
            try:
                return _parse(reply, endpoint)
            except RateLimited:
                if attempt >= self.max_retries:
                    raise
                delay = min(self.max_backoff, self.backoff * 2 ** attempt)
                retry_after = reply.headers.get("retry-after", "")
                if retry_after.replace(".", "", 1).isdigit():
                    delay = max(delay, float(retry_after))
                attempt += 1
                yield Sleep(delay * (0.5 + random.random() / 2))

    def endpoints(self) -> Op[set[str] | None]:
        """The endpoint names the server publishes in /openapi.json, or None when it publishes
        none (VecML's cloud): then extensions are tried and a 404 means absent."""
        if not self._endpoints_known:
            reply = yield Call("GET", "/openapi.json")
            names = None
            if reply.status == 200:
                try:
                    paths = json.loads(reply.text).get("paths", {})
                    names = {p.rsplit("/", 1)[-1] for p in paths if p.startswith("/api/")}
                except (ValueError, AttributeError):
                    names = None
            self._endpoints, self._endpoints_known = names, True
        return self._endpoints

    def extension(self, endpoint: str, body: JSON | None = None) -> Op[JSON]:
        """Call an endpoint VecML does not document; Unsupported when the server lacks it."""
        names = yield from self.endpoints()
        if names is not None and endpoint not in names:
            raise Unsupported(f"this server has no '{endpoint}' endpoint (an extension of "
                              f"VecML's API; automl-server offers it)")
        try:
            return (yield from self.call(endpoint, body))
        except NotFound as err:
            if names is None and "does not exist" not in err.message.lower():
                raise Unsupported(f"this server has no '{endpoint}' endpoint (an extension of "
                                  f"VecML's API; automl-server offers it): {err}") from err
            raise

    def wait_job(self, job_id: str, endpoint: str, *, progress: Progress = False,
                 timeout: float | None = None, label: str = "") -> Op[JSON]:
        """Poll a job until it ends; its final status. Polls quickly at first, then every
        `poll_interval` seconds."""
        bar = _ProgressBar(label or job_id) if progress is True else None
        callback = progress if callable(progress) else None
        start = time.monotonic()
        interval = min(0.05, self.poll_interval)
        try:
            while True:
                status = yield from self.call(endpoint, {"job_id": job_id})
                if bar is not None:
                    bar.update(status, time.monotonic() - start)
                if callback is not None:
                    callback(status)
                if status.get("status") in ("finished", "failed"):
                    return status
                if timeout is not None and time.monotonic() - start >= timeout:
                    raise WaitTimeout(f"job {job_id} is still {status.get('status')!r} after "
                                      f"{timeout} s")
                yield Sleep(interval)
                interval = min(self.poll_interval, interval * 1.5)
        finally:
            if bar is not None:
                bar.close()


class _ProgressBar:
    """A one-line text bar on stderr, from the job's `progress` (0..1) and `current_step`
    fields where the server reports them, else the status and the time elapsed."""

    width = 30

    def __init__(self, label: str, stream: TextIO | None = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.shown = False
        self.last = ""

    def update(self, status: JSON, elapsed: float) -> None:
        state = status.get("status", "?")
        fraction = status.get("progress")
        if state == "finished":
            fraction = 1.0
        if isinstance(fraction, int | float):
            filled = int(self.width * max(0.0, min(1.0, fraction)))
            bar = f"[{'#' * filled}{'.' * (self.width - filled)}] {fraction:4.0%}"
        else:
            bar = f"[{state}]"
        step = status.get("current_step") or state
        line = f"\r{self.label} {bar} {step} {int(elapsed) // 60:02d}:{int(elapsed) % 60:02d}"
        if line == self.last:  # redrawn only when it changes
            return
        self.last = line
        self.stream.write(line[:160].ljust(80))
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


class Done(Generic[T]):
    """The end of an operation, with its result."""

    def __init__(self, value: T):
        self.value = value


Outcome = Reply | TransportError | None
"""What a step gave: a Call its Reply (or the TransportError to raise where the operation
waits), a Sleep None."""


def advance(op: Op[T], outcome: Outcome) -> Call | Sleep | Done[T]:
    """Hand `outcome` to the operation; its next step, or Done at its end. This is the one
    run loop's body; each driver only performs the steps (blocking, or awaited)."""
    try:
        if isinstance(outcome, TransportError):
            return op.throw(outcome)
        return op.send(outcome)
    except StopIteration as stop:
        return Done(stop.value)


def _reply(response: httpx.Response) -> Reply:
    return Reply(response.status_code, response.headers, response.text)


def _transport_error(call: Call, err: httpx.TransportError) -> TransportError:
    error = TransportError(f"{call.path}: {err!r}")
    error.__cause__ = err
    return error


class SyncDriver:
    """Runs operations to their end with blocking I/O."""

    def __init__(self, session: Session, transport: httpx.BaseTransport | None,
                 http: httpx.Client | None):
        self._root = session.root
        self._own = http is None
        self.http = http or httpx.Client(base_url=session.root, timeout=session.timeout,
                                         transport=transport)

    def _perform(self, step: Call | Sleep) -> Outcome:
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        try:
            return _reply(self.http.request(step.method, self._root + step.path,
                                                  json=step.body))
        except httpx.TransportError as err:
            return _transport_error(step, err)

    def run(self, op: Op[T]) -> T:
        with closing(op):  # an operation left half way (an interrupt) still cleans up
            step = advance(op, None)
            while not isinstance(step, Done):
                step = advance(op, self._perform(step))
            return step.value

    def close(self) -> None:
        if self._own:
            self.http.close()


class AsyncDriver:
    """Runs operations as coroutines."""

    def __init__(self, session: Session, transport: httpx.AsyncBaseTransport | None,
                 http: httpx.AsyncClient | None):
        self._root = session.root
        self._own = http is None
        self.http = http or httpx.AsyncClient(base_url=session.root, timeout=session.timeout,
                                              transport=transport)

    async def _perform(self, step: Call | Sleep) -> Outcome:
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            return None
        try:
            return _reply(await self.http.request(step.method, self._root + step.path,
                                                        json=step.body))
        except httpx.TransportError as err:
            return _transport_error(step, err)

    async def run(self, op: Op[T]) -> T:
        with closing(op):  # a cancelled task still cleans up the operation
            step = advance(op, None)
            while not isinstance(step, Done):
                step = advance(op, await self._perform(step))
            return step.value

    async def close(self) -> None:
        if self._own:
            await self.http.aclose()

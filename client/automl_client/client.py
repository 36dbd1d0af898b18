"""`Client` (blocking) and `AsyncClient` (asyncio): one surface, defined once in `BaseClient`;
each subclass only says how an operation runs."""

from __future__ import annotations

from typing import Any

import httpx

from automl_client._core import MAX_REQUEST_BYTES, AsyncDriver, Op, Session, SyncDriver
from automl_client.errors import Conflict
from automl_client.resources import Dataset, Job, Project


class BaseClient:
    """The client's surface. Every method that talks to the server returns its result with
    `Client` and an awaitable of it with `AsyncClient`."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 timeout: float = 300.0, max_retries: int = 6, backoff: float = 0.5,
                 max_backoff: float = 10.0, poll_interval: float = 1.0,
                 max_request_bytes: int = MAX_REQUEST_BYTES, compress: bool = True):
        """`base_url`: the server (`http://host:8000`, with or without `/api`; default
        AUTOML_BASE_URL, else http://127.0.0.1:8000). `api_key`: default AUTOML_API_KEY.
        `max_retries`/`backoff`/`max_backoff`: rate-limited requests are retried after
        backoff * 2**attempt seconds (at most max_backoff), then RateLimited is raised.
        `poll_interval`: the slowest job polling. `max_request_bytes`: the largest base64
        file per request; larger uploads and predictions are split by rows. `compress`: send
        files gzip-compressed (`compression_type: "gzip"`); False sends plain CSV."""
        self._session = Session(base_url, api_key, timeout=timeout, max_retries=max_retries,
                                backoff=backoff, max_backoff=max_backoff,
                                poll_interval=poll_interval,
                                max_request_bytes=max_request_bytes, compress=compress)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._session.root!r})"

    @property
    def base_url(self) -> str:
        return self._session.root

    def _run(self, op: Op[Any]) -> Any:
        raise NotImplementedError

    # ---- projects ----

    def project(self, name: str) -> Project:
        """A handle on a project (no call; its methods raise NotFound if it does not
        exist)."""
        return Project(self, name)

    def create_project(self, name: str, *, exist_ok: bool = False,
                       application: str = "Machine Learning") -> Project:
        """Create a project (`create_project`); Conflict if it exists, unless `exist_ok`."""
        return self._run(self._create_project(name, exist_ok, application))

    def _create_project(self, name: str, exist_ok: bool, application: str) -> Op[Project]:
        try:
            yield from self._session.call(
                "create_project", {"project_name": name, "application": application})
        except Conflict:
            if not exist_ok:
                raise
        return Project(self, name)

    def projects(self) -> list[Project]:
        """The key's projects (`get_project_list`)."""
        return self._run(self._projects())

    def _projects(self) -> Op[list[Project]]:
        reply = yield from self._session.call("get_project_list")
        return [Project(self, name) for name in reply.get("project_list", [])]

    # ---- jobs ----

    def job(self, job_id: str, kind: str = "train") -> Job:
        """A handle on a job by its id (no call). `kind`: "train" (polled with
        get_automl_training_status) or "data" (get_upload_data_status)."""
        return Job(self, job_id, kind=kind)

    def jobs(self, project: str | Project | None = None, dataset: str | Dataset | None = None,
             *, kind: str | None = None, status: str | None = None, limit: int = 100,
             offset: int = 0) -> list[Job]:
        """The key's jobs, newest first (`list_jobs`, an extension: Unsupported on a server
        without it). Filters: project (a name, Project or Dataset), dataset (a name with its
        project, or a Dataset), kind ("data" or
        "train"), status; pages with limit and offset."""
        return self._run(self._jobs(project, dataset, kind, status, limit, offset))

    def _jobs(self, project, dataset, kind, status, limit, offset) -> Op[list[Job]]:
        if isinstance(project, Dataset):  # jobs(dataset)
            project, dataset = project.project, project.name
        if isinstance(dataset, Dataset):
            project, dataset = dataset.project, dataset.name
        if isinstance(project, str):
            project = Project(self, project)
        body: dict = {"limit": limit, "offset": offset}
        if project is not None:
            body["project_name"] = project.name
        if dataset is not None:
            if project is None:
                raise ValueError("a dataset name needs its project: give project= too")
            body["collection_name"] = dataset
        if kind is not None:
            body["kind"] = kind
        if status is not None:
            body["status"] = status
        reply = yield from self._session.extension("list_jobs", body)
        jobs = []
        for view in reply.get("jobs", []):
            job_kind = "train" if view.get("job_type") == "train_automl_model" else "data"
            ds = Dataset(project, dataset) if project is not None and dataset else None
            job = Job(self, view.get("job_id"), kind=job_kind,
                      dataset=ds if job_kind == "train" else None)
            job._seen(view)
            jobs.append(job)
        return jobs

    # ---- the server ----

    def has_endpoint(self, name: str) -> bool | None:
        """Whether the server publishes endpoint `name` in /openapi.json; None when it
        publishes no OpenAPI document (then extensions are tried and a 404 says absent)."""
        return self._run(self._has_endpoint(name))

    def _has_endpoint(self, name: str) -> Op[bool | None]:
        names = yield from self._session.endpoints()
        return None if names is None else name in names

    def call(self, endpoint: str, **body: Any) -> dict:
        """Any endpoint, raw: POST /api/<endpoint> with the key added; the success payload,
        or the typed error."""
        return self._run(self._session.call(endpoint, body))


class Client(BaseClient):
    """Blocking client (httpx.Client). Use as a context manager, or call close().
    `transport`/`http_client`: an httpx transport or client of your own (tests, proxies)."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 transport: httpx.BaseTransport | None = None,
                 http_client: httpx.Client | None = None, **options: Any):
        super().__init__(base_url, api_key, **options)
        self._driver = SyncDriver(self._session, transport, http_client)

    def _run(self, op: Op[Any]) -> Any:
        return self._driver.run(op)

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncClient(BaseClient):
    """asyncio client (httpx.AsyncClient): the same methods as Client, each to be awaited
    (`await c.create_project(...)`, `await job.wait()`, `await model.predict(df)`). Use as an
    async context manager, or `await aclose()`."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 http_client: httpx.AsyncClient | None = None, **options: Any):
        super().__init__(base_url, api_key, **options)
        self._driver = AsyncDriver(self._session, transport, http_client)

    def _run(self, op: Op[Any]) -> Any:
        return self._driver.run(op)

    async def aclose(self) -> None:
        await self._driver.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

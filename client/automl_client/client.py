"""`Client` (blocking) and `AsyncClient` (asyncio): what they share, and their operations, are
defined once in `BaseClient`; each subclass only says how an operation runs and which handles
it makes."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

import httpx

from automl_client._core import JSON, MAX_REQUEST_BYTES, AsyncDriver, Op, Session, SyncDriver
from automl_client.errors import Conflict
from automl_client.resources import (
    AsyncJob,
    AsyncProject,
    DatasetBase,
    Job,
    JobBase,
    Project,
    ProjectBase,
    _docs_from,
)

T = TypeVar("T")
P = TypeVar("P", bound=ProjectBase[Any])
J = TypeVar("J", bound=JobBase[Any, Any])


class BaseClient(Generic[P, J]):
    """The client's options and operations. Every method that talks to the server returns its
    result with `Client` and a coroutine of it with `AsyncClient`."""

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

    def project(self, name: str) -> P:
        """A handle on a project (no call; its methods raise NotFound if it does not
        exist)."""
        raise NotImplementedError

    def job(self, job_id: str, kind: str = "train") -> J:
        """A handle on a job by its id (no call). `kind`: "train" (polled with
        get_automl_training_status) or "data" (get_upload_data_status)."""
        return self._new_job(job_id, kind)

    def _new_job(self, job_id: str, kind: str, dataset: Any = None) -> J:
        raise NotImplementedError

    # ---- operations ----

    def _create_project(self, name: str, exist_ok: bool, application: str) -> Op[P]:
        try:
            yield from self._session.call(
                "create_project", {"project_name": name, "application": application})
        except Conflict:
            if not exist_ok:
                raise
        return self.project(name)

    def _projects(self) -> Op[list[P]]:
        reply = yield from self._session.call("get_project_list")
        return [self.project(name) for name in reply.get("project_list", [])]

    def _jobs(self, project: str | ProjectBase[Any] | DatasetBase[Any, Any, Any] | None,
              dataset: str | DatasetBase[Any, Any, Any] | None, kind: str | None,
              status: str | None, limit: int, offset: int) -> Op[list[J]]:
        owner: ProjectBase[Any] | None
        if isinstance(dataset, DatasetBase):
            owner, dataset = dataset.project, dataset.name
        elif isinstance(project, DatasetBase):  # jobs(dataset)
            owner, dataset = project.project, project.name
        elif isinstance(project, str):
            owner = self.project(project)
        else:
            owner = project
        body: JSON = {"limit": limit, "offset": offset}
        if owner is not None:
            body["project_name"] = owner.name
        if dataset is not None:
            if owner is None:
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
            ds = owner.dataset(dataset) if owner is not None and dataset else None
            job = self._new_job(view.get("job_id"), job_kind,
                                ds if job_kind == "train" else None)
            job._seen(view)
            jobs.append(job)
        return jobs

    def _has_endpoint(self, name: str) -> Op[bool | None]:
        names = yield from self._session.endpoints()
        return None if names is None else name in names


class Client(BaseClient[Project, Job]):
    """Blocking client (httpx.Client). Use as a context manager, or call close().
    `transport`/`http_client`: an httpx transport or client of your own (tests, proxies)."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 transport: httpx.BaseTransport | None = None,
                 http_client: httpx.Client | None = None, **options: Any):
        super().__init__(base_url, api_key, **options)
        self._driver = SyncDriver(self._session, transport, http_client)

    def _run(self, op: Op[T]) -> T:
        return self._driver.run(op)

    def close(self) -> None:
        self._driver.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def project(self, name: str) -> Project:
        return Project(self, name)

    def _new_job(self, job_id: str, kind: str, dataset: Any = None) -> Job:
        return Job(self, job_id, kind=kind, dataset=dataset)

    def create_project(self, name: str, *, exist_ok: bool = False,
                       application: str = "Machine Learning") -> Project:
        """Create a project (`create_project`); Conflict if it exists, unless `exist_ok`."""
        return self._run(self._create_project(name, exist_ok, application))

    def projects(self) -> list[Project]:
        """The key's projects (`get_project_list`)."""
        return self._run(self._projects())

    def jobs(self, project: str | ProjectBase[Any] | DatasetBase[Any, Any, Any] | None = None,
             dataset: str | DatasetBase[Any, Any, Any] | None = None, *,
             kind: str | None = None, status: str | None = None, limit: int = 100,
             offset: int = 0) -> list[Job]:
        """The key's jobs, newest first (`list_jobs`, an extension: Unsupported on a server
        without it). Filters: project (a name, Project or Dataset), dataset (a name with its
        project, or a Dataset), kind ("data" or "train"), status; pages with limit and
        offset."""
        return self._run(self._jobs(project, dataset, kind, status, limit, offset))

    def has_endpoint(self, name: str) -> bool | None:
        """Whether the server publishes endpoint `name` in /openapi.json; None when it
        publishes no OpenAPI document (then extensions are tried and a 404 says absent)."""
        return self._run(self._has_endpoint(name))

    def call(self, endpoint: str, **body: Any) -> JSON:
        """Any endpoint, raw: POST /api/<endpoint> with the key added; the success payload,
        or the typed error."""
        return self._run(self._session.call(endpoint, body))


@_docs_from(Client)
class AsyncClient(BaseClient[AsyncProject, AsyncJob]):
    """asyncio client (httpx.AsyncClient): the same methods as Client, each to be awaited
    (`await c.create_project(...)`, `await job.wait()`, `await model.predict(df)`), on
    AsyncProject, AsyncDataset, AsyncJob and AsyncModel handles. Use as an async context
    manager, or `await aclose()`."""

    def __init__(self, base_url: str | None = None, api_key: str | None = None, *,
                 transport: httpx.AsyncBaseTransport | None = None,
                 http_client: httpx.AsyncClient | None = None, **options: Any):
        super().__init__(base_url, api_key, **options)
        self._driver = AsyncDriver(self._session, transport, http_client)

    async def _run(self, op: Op[T]) -> T:
        return await self._driver.run(op)

    async def aclose(self) -> None:
        await self._driver.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def project(self, name: str) -> AsyncProject:
        return AsyncProject(self, name)

    def _new_job(self, job_id: str, kind: str, dataset: Any = None) -> AsyncJob:
        return AsyncJob(self, job_id, kind=kind, dataset=dataset)

    async def create_project(self, name: str, *, exist_ok: bool = False,
                             application: str = "Machine Learning") -> AsyncProject:
        return await self._run(self._create_project(name, exist_ok, application))

    async def projects(self) -> list[AsyncProject]:
        return await self._run(self._projects())

    async def jobs(self,
                   project: str | ProjectBase[Any] | DatasetBase[Any, Any, Any] | None = None,
                   dataset: str | DatasetBase[Any, Any, Any] | None = None, *,
                   kind: str | None = None, status: str | None = None, limit: int = 100,
                   offset: int = 0) -> list[AsyncJob]:
        return await self._run(self._jobs(project, dataset, kind, status, limit, offset))

    async def has_endpoint(self, name: str) -> bool | None:
        return await self._run(self._has_endpoint(name))

    async def call(self, endpoint: str, **body: Any) -> JSON:
        return await self._run(self._session.call(endpoint, body))

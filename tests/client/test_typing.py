"""The client is typed: `mypy --strict` passes on automl_client, and code using it is checked
through it; the async surface is coroutines of typed handles, so awaiting them checks and
forgetting an await does not (skipped where mypy is not installed). The async handles' methods
carry the sync ones' docstrings."""

from pathlib import Path

import pytest
from automl_client import (
    AsyncClient,
    AsyncDataset,
    AsyncJob,
    AsyncModel,
    AsyncProject,
    Client,
    Dataset,
    Job,
    Model,
    Project,
)

CLIENT_DIR = Path(__file__).resolve().parents[2] / "client"

USES = '''\
from typing import Any

import pandas as pd
from automl_client import AsyncClient, AsyncJob, AsyncModel, Client, Model


async def async_flow(df: pd.DataFrame) -> pd.Series[Any]:
    async with AsyncClient("http://127.0.0.1:8000", api_key="k") as c:
        project = await c.create_project("p", exist_ok=True)
        dataset = await project.upload("d", df, label="y", progress=print)
        job: AsyncJob = await dataset.train("m", mode="high_speed", time_budget=5)
        await job.wait(progress=True, timeout=60.0)
        model: AsyncModel = await dataset.model("m")
        board: pd.DataFrame = await model.leaderboard()
        jobs: list[AsyncJob] = await c.jobs(dataset, kind="train")
        print(board, jobs, await job.status(), await dataset.info())
        return await model.predict(df)


def sync_flow(df: pd.DataFrame) -> pd.DataFrame:
    with Client("http://127.0.0.1:8000", api_key="k") as c:
        model: Model = c.project("p").dataset("d").model("m")
        return model.predict_proba(df)
'''

MISUSES = '''\
from automl_client import AsyncClient, Client


async def forgets_awaits(c: AsyncClient) -> None:
    c.create_project("p").dataset("d")  # line 5: a coroutine has no dataset()
    names: list[str] = await c.projects()  # line 6: AsyncProject handles, not str
    await c.project("p").dataset("d").train(3)  # line 7: the name is a str


async def awaits_the_sync_client(c: Client) -> None:
    await c.projects()  # line 11: a list is not awaitable
'''


def test_mypy_strict_passes_and_checks_the_async_surface(tmp_path, tmp_path_factory):
    mypy_api = pytest.importorskip("mypy.api")
    (tmp_path / "uses.py").write_text(USES)
    (tmp_path / "misuses.py").write_text(MISUSES)
    # mypy's cache beside pytest's numbered temporary directories, kept from run to run
    # (about 15 s without it, 1-2 s with it); mypy checks it against the sources
    cache = tmp_path_factory.getbasetemp().parent / "automl-client-mypy-cache"
    out, err, _status = mypy_api.run([
        "--strict", "--cache-dir", str(cache), "--no-error-summary",
        str(CLIENT_DIR / "automl_client"), str(tmp_path / "uses.py"),
        str(tmp_path / "misuses.py")])
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert not err, err
    assert not [e for e in errors if "misuses.py" not in e], out
    lines = sorted({int(e.split("misuses.py:")[1].split(":")[0]) for e in errors})
    assert lines == [5, 6, 7, 11], out


def test_async_methods_have_the_sync_methods_docstrings():
    pairs = [(AsyncClient, Client), (AsyncProject, Project), (AsyncDataset, Dataset),
             (AsyncJob, Job), (AsyncModel, Model)]
    for async_cls, sync_cls in pairs:
        for name in ("delete", "upload", "wait", "predict", "projects", "datasets"):
            if hasattr(sync_cls, name):
                assert getattr(async_cls, name).__doc__ == getattr(sync_cls, name).__doc__
                assert getattr(sync_cls, name).__doc__, (sync_cls, name)

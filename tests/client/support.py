"""Live servers and data for the client's tests (automl_client is put on sys.path by
conftest.py)."""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
from automl_client import Client


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """`python -m app.cli serve` in its own process group (its training pool goes with it)."""

    def __init__(self, data_dir: Path, env: dict | None = None, **settings: object):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**(env or os.environ), "AUTOML_OPEN_ACCESS": "1", "AUTOML_LOG_LEVEL": "warning",
               **{f"AUTOML_{k.upper()}": str(v) for k, v in settings.items()}}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port),
             "--data-dir", str(data_dir)], env=env, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:  # a readiness probe, not a synchronisation by sleeping
            try:
                if httpx.get(f"{self.base}/health").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("the server exited at start")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the server did not start within 60 s")
            time.sleep(0.1)

    def client(self, **options) -> Client:
        """A client with a new key: a tenant of its own."""
        return Client(self.base, api_key=f"key-{secrets.token_hex(6)}", **options)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def frame(n: int = 120, seed: int = 0) -> pd.DataFrame:
    """Tiny mixed data: numeric columns with missing values, text categoricals (with missing
    values too), a bool column, and a text label that depends on them."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "x1": rng.normal(size=n),
        "x2": rng.normal(size=n),
        "color": rng.choice(["red", "green", "blue"], size=n).astype(object),
        "size": pd.Categorical(rng.choice(["S", "M", "L"], size=n)),
        "flag": rng.choice([True, False], size=n),
    })
    df["target"] = np.where(df["x1"] + (df["color"] == "red") * 1.5 > 0.3, "yes", "no")
    df.loc[df.index % 9 == 0, "x2"] = np.nan
    df.loc[df.index % 11 == 0, "color"] = None
    return df

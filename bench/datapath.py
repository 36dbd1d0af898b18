"""The server's data path through its real HTTP API (issue 10), each figure a ratio to a
reference timed in the same run (median of --repeat rounds).

Measures (``--only`` names in brackets):

* [batch] ``add_data_batch`` of 268,339 x 64 floats (6 significant digits) with string_ids and
  2 attributes per row (~204 MB JSON body): time until the HTTP answer and until the job is
  ``finished`` (get_upload_data_status), against ``orjson.loads`` of the same body bytes +
  ``np.asarray(data, float32)``; server memory (see below).
* [csv] ``upload`` of a gzip CSV, 873,116 rows x 64 numbers + 2 text columns (declared
  categorical) + a 0/1 label (~203 MB base64): answer / finished, against base64 decode +
  ``pandas.read_csv(io.BytesIO(gz), compression="gzip", engine="pyarrow")``; memory.
* [libsvm] ``upload`` of a gzip libsvm file, 593,975 rows of 64 entries (~199 MB base64):
  answer / finished, against base64 decode + gunzip + ``sklearn.datasets.load_svmlight_file``
  of those bytes; memory.
* memory of those three: RSS of the server's whole process tree (server + its training
  processes), sampled every 50 ms with psutil; the peak above the idle level measured just
  before the request, and the level 2-3 s after the job finished (is it given back?), against
  the float32 size of the data (for libsvm: 4 bytes per stored value; a CSR with int32 indices
  is twice that) and the request body. Each of these rounds runs on a fresh server.
* [status] ``get_upload_data_status`` latency (p50, p99, max), polled back to back from another
  thread on its own connection while the [batch] request is ingested (a fresh server, from the
  moment the request is sent until its job finishes; until the answer gives the new job's id,
  the poller reads a small job finished just before), against ``get_project_list`` p50 on the
  same idle server just before.
* [predict] ``automl_predict`` on a 100k-row dataset (prediction_dataset) and on an inline
  10k-row CSV (file_data, base64), with a high_speed model (seed 0) trained by the server on
  20k rows x 64; against the same model trained in this process with ``app.automl.train`` on
  the same rows and timed with ``model.predict`` (plus base64 decode + ``pandas.read_csv`` for
  the inline case). One warm-up call first (the model is loaded). One row inline: p50 of 50
  calls, against ``get_project_list`` p50 (calls interleaved). The rows predicted carry no label.
* [train] ``high_speed`` training end to end (train_automl_model request to
  get_automl_training_status ``finished``) on each dataset of /work/shared/data/*.csv.gz
  (uploaded once as gzip CSV with ``upload``: label_column ``target``, its text columns as
  categorical_features), against the mode's default budget, 8.5 s.

Sizes scale with ``--scale`` (0.1 for a quick run; the real datasets of [train] do not scale).
The data are synthetic, from fixed seeds, and cached in ``--cache-dir`` (the gzip step is slow).
``--server-root`` says which checkout's ``app`` the server runs (and the in-process reference
model of [predict] uses): the server is started as ``<python> -c <boot> serve ...`` with that
directory as cwd and first on PYTHONPATH; it writes ``app.__file__`` to a file, which is
recorded and checked.

Usage:
    .venv/bin/python bench/datapath.py [--scale 1.0] [--repeat 3] [--only batch,csv,...]
        [--server-root PATH] [--json out.json] [--markdown out.md]
"""

from __future__ import annotations

import argparse
import base64
import datetime
import gzip
import hashlib
import io
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import orjson

try:
    import psutil
except ImportError:  # pragma: no cover - told at start
    psutil = None

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = ROOT.parent / "shared" / "data"
KEY = "bench-key"
MAX_BODY = 200 * 1024 * 1024  # the server's default AUTOML_MAX_BODY_BYTES
HIGH_SPEED_BUDGET = 8.5
GENERATOR_VERSION = 1  # bump when the generated data change (the cache key includes it)

FULL = {  # rows at --scale 1.0
    "batch": 268_339,
    "csv": 873_116,
    "libsvm": 593_975,
    "predict_train": 20_000,
    "predict_dataset": 100_000,
    "predict_inline": 10_000,
}
MEASURES = ["batch", "status", "csv", "libsvm", "predict", "train"]
DIM = 64
CITIES = [b"Springfield", b"Riverside", b"Fairview", b"Madison", b"Georgetown", b"Salem",
          b"Franklin", b"Clinton", b"Greenville", b"Bristol", b"Oakland", b"Ashland"]
SEGMENTS = [b"consumer", b"corporate", b"home office", b"small business"]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Synthetic data (fixed seeds; numbers with realistic digits)


def round_sig(x: np.ndarray, digits: int | np.ndarray) -> np.ndarray:
    """x rounded to `digits` significant digits (the shortest repr then has at most that many:
    an integer divided by an exact power of ten is the double nearest that decimal)."""
    mag = np.floor(np.log10(np.abs(np.where(x == 0, 1.0, x))))
    scale = 10.0 ** (np.asarray(digits) - 1 - mag)
    return np.round(x * scale) / scale


def row_texts(X: np.ndarray) -> list[bytes]:
    """Each row of X as comma-separated shortest float reprs (orjson's, as in a JSON body)."""
    if len(X) == 0:
        return []
    return orjson.dumps(X.tolist())[2:-2].split(b"],[")


def tabular(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """n x 64 normal numbers (the first 8 columns to 5 significant digits, the rest to 4) and
    a 0/1 label that depends on them."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, DIM))
    y = (X[:, :8].sum(axis=1) + X[:, 8:16].sum(axis=1) * 0.5 + rng.normal(size=n) > 0)
    digits = np.where(np.arange(DIM) < 8, 5, 4)
    return round_sig(X, digits), y.astype(np.int64)


def batch_body(n: int, seed: int = 10) -> tuple[bytes, dict]:
    """An add_data_batch body: n x 64 values ~ N(0, 0.01^2) to 6 significant digits, ids
    vec-0000000..., attributes {"label": "0"/"1", "category": "A"/"B"/"C"}."""
    rng = np.random.default_rng(seed)
    X = round_sig(rng.normal(size=(n, DIM)) * 0.01, 6)
    cats = rng.integers(0, 3, size=n)
    y = (X[:, :16].sum(axis=1) + (cats == 0) * 0.02 > 0).astype(int)
    body = orjson.dumps({
        "user_api_key": KEY, "project_name": "bench", "collection_name": "batch",
        "data": X.tolist(), "string_ids": [f"vec-{i:07d}" for i in range(n)],
        "attributes": [{"label": str(v), "category": "ABC"[c]} for v, c in zip(y, cats,
                                                                                 strict=True)],
    })
    return body, {"rows": n, "float32_bytes": n * DIM * 4}


def csv_text(n: int, seed: int, *, text_columns: bool, label: bool) -> bytes:
    X, y = tabular(n, seed)
    header = [f"x{j}".encode() for j in range(DIM)]
    rng = np.random.default_rng(seed + 1000)
    lines = row_texts(X)
    if text_columns:
        header += [b"city", b"segment"]
        city = np.array(CITIES, dtype=object)[rng.integers(0, len(CITIES), n)]
        segment = np.array(SEGMENTS, dtype=object)[rng.integers(0, len(SEGMENTS), n)]
        lines = [b"%s,%s,%s" % t for t in zip(lines, city, segment, strict=True)]
    if label:
        header.append(b"label")
        lines = [line + (b",1" if v else b",0") for line, v in zip(lines, y, strict=True)]
    return b"\n".join([b",".join(header), *lines]) + b"\n"


def libsvm_text(n: int, seed: int) -> tuple[bytes, int]:
    X, y = tabular(n, seed)
    prefixes = [f"{j + 1}:".encode() for j in range(DIM)]
    nnz = 0
    lines = []
    for label, row in zip(y, row_texts(X), strict=True):
        entries = [p + v for p, v in zip(prefixes, row.split(b","), strict=True)
                   if v not in (b"0.0", b"-0.0")]
        nnz += len(entries)
        lines.append(b"%d %s" % (label, b" ".join(entries)))
    return b"\n".join(lines) + b"\n", nnz


class Cache:
    """Generated files on disk, keyed by what makes them (generation and gzip take minutes)."""

    def __init__(self, directory: str | None):
        self.dir = Path(directory) if directory else None
        if self.dir:
            self.dir.mkdir(parents=True, exist_ok=True)

    def get(self, name: str, make: Callable[[], tuple[bytes, dict]]) -> tuple[bytes, dict]:
        path = self.dir / f"{name}-v{GENERATOR_VERSION}.bin" if self.dir else None
        meta_path = path.with_suffix(".json") if path else None
        if path and path.exists() and meta_path.exists():
            return path.read_bytes(), orjson.loads(meta_path.read_bytes())
        start = time.perf_counter()
        data, meta = make()
        log(f"generated {name}: {len(data) / 1e6:.1f} MB in {time.perf_counter() - start:.0f} s")
        if path:
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
            meta_path.write_bytes(orjson.dumps(meta))
        return data, meta


def gz_csv(n: int) -> Callable[[], tuple[bytes, dict]]:
    def make():
        raw = csv_text(n, 20, text_columns=True, label=True)
        return gzip.compress(raw, 6, mtime=0), {"rows": n, "raw_bytes": len(raw),
                                                "float32_bytes": n * DIM * 4}
    return make


def gz_libsvm(n: int) -> Callable[[], tuple[bytes, dict]]:
    def make():
        raw, nnz = libsvm_text(n, 30)
        return gzip.compress(raw, 6, mtime=0), {"rows": n, "raw_bytes": len(raw), "nnz": nnz,
                                                "float32_bytes": nnz * 4}
    return make


# --------------------------------------------------------------------------------------------
# The server and its process tree

BOOT = ("import sys, app; open(sys.argv[1], 'w').write(app.__file__); "
        "from app.cli import main; sys.argv = ['automl-server', *sys.argv[2:]]; "
        "sys.exit(main())")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiError(RuntimeError):
    pass


class Server:
    """`automl-server serve` of the checkout at `root`, embedded mode, a temp SQLite database."""

    count = 0

    def __init__(self, root: Path, python: str, log_dir: Path):
        Server.count += 1
        self.tmp = tempfile.TemporaryDirectory(prefix="datapath-server-")
        data_dir = Path(self.tmp.name)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("AUTOML_")}
        env.update(AUTOML_API_KEYS=f"{KEY}:bench", AUTOML_LOG_LEVEL="warning",
                   PYTHONPATH=os.pathsep.join(
                       [str(root), *filter(None, [os.environ.get("PYTHONPATH")])]))
        marker = data_dir / "app_file.txt"
        self.log_path = log_dir / f"server-{Server.count}.log"
        self.log_file = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [python, "-c", BOOT, str(marker), "serve", "--port", str(self.port),
             "--data-dir", str(data_dir)],
            cwd=root, env=env, start_new_session=True, stdout=self.log_file,
            stderr=subprocess.STDOUT)
        self.client = httpx.Client(base_url=f"{self.base}/api", timeout=600)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"{self.base}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited at start; see {self.log_path}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the server did not start; see {self.log_path}")
            time.sleep(0.2)
        self.app_file = marker.read_text()

    def post(self, endpoint: str, client: httpx.Client | None = None, **body) -> dict:
        return self.post_raw(endpoint, orjson.dumps({"user_api_key": KEY, **body}), client)

    def post_raw(self, endpoint: str, content: bytes, client: httpx.Client | None = None) -> dict:
        response = (client or self.client).post(
            f"/{endpoint}", content=content, headers={"content-type": "application/json"})
        answer = orjson.loads(response.content)
        if response.status_code != 200 or not answer.get("success"):
            raise ApiError(f"{endpoint}: HTTP {response.status_code}: "
                           f"{str(answer.get('error_message', answer))[:300]}")
        return answer

    def wait(self, job_id: str, endpoint: str = "get_upload_data_status", interval: float = 0.1,
             timeout: float = 3600) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            status = self.post(endpoint, job_id=job_id)
            if status["status"] == "finished":
                return status
            if status["status"] == "failed":
                raise ApiError(f"job {job_id} failed: {status.get('error')}")
            if time.monotonic() > deadline:
                raise ApiError(f"job {job_id} still {status['status']} after {timeout} s")
            time.sleep(interval)

    def stop(self) -> None:
        self.client.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log_file.close()
        self.tmp.cleanup()

    def log_tail(self, chars: int = 2000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return ""


class TreeSampler(threading.Thread):
    """RSS of a process and all its descendants, every `interval` s (the list of processes is
    refreshed every half second)."""

    def __init__(self, pid: int, interval: float = 0.05):
        super().__init__(daemon=True, name="rss-sampler")
        self.root = psutil.Process(pid)
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.halt = threading.Event()
        self.lock = threading.Lock()

    def _tree(self) -> list:
        try:
            return [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def run(self) -> None:
        procs, refreshed = self._tree(), time.monotonic()
        while not self.halt.is_set():
            now = time.monotonic()
            if now - refreshed > 0.5:
                procs, refreshed = self._tree(), now
            total = 0
            for p in procs:
                try:
                    total += p.memory_info().rss
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    pass
            with self.lock:
                self.samples.append((now, total))
            self.halt.wait(max(0.0, self.interval - (time.monotonic() - now)))

    def window(self, start: float, end: float) -> list[int]:
        with self.lock:
            return [rss for t, rss in self.samples if start <= t <= end]

    def stop(self) -> None:
        self.halt.set()
        self.join()


# --------------------------------------------------------------------------------------------
# Measures


@dataclass
class Run:
    args: argparse.Namespace
    root: Path
    cache: Cache
    log_dir: Path
    results: dict = field(default_factory=dict)
    app_files: set = field(default_factory=set)
    shared: Server | None = None
    errors: list = field(default_factory=list)

    def rows(self, name: str) -> int:
        return max(1, round(FULL[name] * self.args.scale))

    def server(self) -> Server:
        server = Server(self.root, self.args.python, self.log_dir)
        self.app_files.add(server.app_file)
        return server

    def shared_server(self) -> Server:
        if self.shared is None:
            self.shared = self.server()
        return self.shared

    def record(self, measure: str, **values) -> None:
        entry = self.results.setdefault(measure, {})
        for key, value in values.items():
            entry.setdefault(key, []).append(value)

    def note(self, measure: str, **values) -> None:
        self.results.setdefault(measure, {}).setdefault("info", {}).update(values)


def project_list_latencies(server: Server, calls: int, client: httpx.Client) -> list[float]:
    out = []
    for _ in range(calls):
        start = time.perf_counter()
        server.post("get_project_list", client)
        out.append(time.perf_counter() - start)
    return out


def ingest(run: Run, server: Server, endpoint: str, body: bytes) -> dict:
    sampler = TreeSampler(server.process.pid)
    sampler.start()
    try:
        time.sleep(1.0)
        idle_window_end = time.monotonic()
        start_mono, start = time.monotonic(), time.perf_counter()
        job_id = server.post_raw(endpoint, body)["job_id"]
        answered = time.perf_counter() - start
        status = server.wait(job_id)
        finished = time.perf_counter() - start
        end_mono = time.monotonic()
        time.sleep(3.0)
        idle = statistics.median(sampler.window(idle_window_end - 1.0, idle_window_end))
        peak = max(sampler.window(start_mono, end_mono + 0.1))
        after = statistics.median(sampler.window(end_mono + 2.0, end_mono + 3.0))
    finally:
        sampler.stop()
    return {"answer_s": answered, "finished_s": finished, "idle_mb": idle / 1e6,
            "peak_above_idle_mb": (peak - idle) / 1e6, "after_above_idle_mb": (after - idle) / 1e6,
            "status": status}


def measure_batch(run: Run, r: int) -> None:
    n = run.rows("batch")
    body, meta = run.cache.get(f"batch-{n}", lambda: batch_body(n))
    check_body(run, "batch", body)
    server = run.server()
    try:
        server.post("create_project", project_name="bench")
        server.post("init", project_name="bench", collection_name="batch", vector_dim=DIM)
        warm_up_batch(server)
        result = ingest(run, server, "add_data_batch", body)
    finally:
        server.stop()
    if result["status"].get("num_inserted") != n:
        run.errors.append(f"batch: {result['status'].get('num_inserted')} rows inserted, not {n}")
    start = time.perf_counter()
    parsed = orjson.loads(body)
    loads = time.perf_counter() - start
    start = time.perf_counter()
    array = np.asarray(parsed["data"], dtype=np.float32)
    as_array = time.perf_counter() - start
    assert array.shape == (n, DIM)
    del parsed, array
    run.record("batch", answer_s=result["answer_s"], finished_s=result["finished_s"],
               ref_s=loads + as_array, ref_loads_s=loads, ref_asarray_s=as_array,
               idle_mb=result["idle_mb"], peak_above_idle_mb=result["peak_above_idle_mb"],
               after_above_idle_mb=result["after_above_idle_mb"])
    run.note("batch", rows=n, body_mb=len(body) / 1e6, float32_mb=meta["float32_bytes"] / 1e6)


def warm_up_batch(server: Server) -> str:
    """A small add_data_batch (its code paths imported); returns its finished job's id."""
    server.post("init", project_name="bench", collection_name="warm", vector_dim=DIM)
    rng = np.random.default_rng(0)
    job = server.post("add_data_batch", project_name="bench", collection_name="warm",
                      data=round_sig(rng.normal(size=(100, DIM)), 6).tolist(),
                      string_ids=[f"w{i}" for i in range(100)],
                      attributes=[{"label": str(i % 2), "category": "A"} for i in range(100)]
                      )["job_id"]
    server.wait(job)
    return job


def check_body(run: Run, measure: str, body: bytes) -> None:
    if len(body) > MAX_BODY:
        run.errors.append(f"{measure}: the body ({len(body)} bytes) is over the server's "
                          f"default limit ({MAX_BODY}); it will be refused")


def upload_body(collection: str, b64: bytes, **options) -> bytes:
    return orjson.dumps({"user_api_key": KEY, "project_name": "bench",
                         "collection_name": collection, "compression_type": "gzip",
                         "file_data": b64.decode("ascii"), **options})


def measure_csv(run: Run, r: int) -> None:
    n = run.rows("csv")
    gz, meta = run.cache.get(f"csv-{n}", gz_csv(n))
    b64 = base64.b64encode(gz)
    body = upload_body("csv", b64, file_format="csv", has_field_names=True,
                       label_column="label", categorical_features=["city", "segment"])
    check_body(run, "csv", body)
    server = run.server()
    try:
        server.post("create_project", project_name="bench")
        result = ingest(run, server, "upload", body)
    finally:
        server.stop()
    if result["status"].get("num_inserted") != n:
        run.errors.append(f"csv: {result['status'].get('num_inserted')} rows inserted, not {n}")
    del body
    import pandas as pd

    start = time.perf_counter()
    raw = base64.b64decode(b64)
    frame = pd.read_csv(io.BytesIO(raw), compression="gzip", engine=run.args.csv_engine)
    ref = time.perf_counter() - start
    assert frame.shape == (n, DIM + 3), frame.shape
    del frame, raw
    run.record("csv", answer_s=result["answer_s"], finished_s=result["finished_s"], ref_s=ref,
               idle_mb=result["idle_mb"], peak_above_idle_mb=result["peak_above_idle_mb"],
               after_above_idle_mb=result["after_above_idle_mb"])
    run.note("csv", rows=n, body_mb=len(b64) / 1e6, gzip_mb=len(gz) / 1e6,
             csv_mb=meta["raw_bytes"] / 1e6, float32_mb=meta["float32_bytes"] / 1e6,
             engine=run.args.csv_engine)


def measure_libsvm(run: Run, r: int) -> None:
    n = run.rows("libsvm")
    gz, meta = run.cache.get(f"libsvm-{n}", gz_libsvm(n))
    b64 = base64.b64encode(gz)
    body = upload_body("svm", b64, file_format="libsvm")
    check_body(run, "libsvm", body)
    server = run.server()
    try:
        server.post("create_project", project_name="bench")
        result = ingest(run, server, "upload", body)
    finally:
        server.stop()
    if result["status"].get("num_inserted") != n:
        run.errors.append(f"libsvm: {result['status'].get('num_inserted')} rows inserted, "
                          f"not {n}")
    del body
    from sklearn.datasets import load_svmlight_file

    start = time.perf_counter()
    raw = gzip.decompress(base64.b64decode(b64))
    X, _ = load_svmlight_file(io.BytesIO(raw))
    ref = time.perf_counter() - start
    assert X.shape[0] == n
    del X, raw
    run.record("libsvm", answer_s=result["answer_s"], finished_s=result["finished_s"],
               ref_s=ref, idle_mb=result["idle_mb"],
               peak_above_idle_mb=result["peak_above_idle_mb"],
               after_above_idle_mb=result["after_above_idle_mb"])
    run.note("libsvm", rows=n, nnz=meta["nnz"], body_mb=len(b64) / 1e6, gzip_mb=len(gz) / 1e6,
             libsvm_mb=meta["raw_bytes"] / 1e6, float32_mb=meta["float32_bytes"] / 1e6)


def measure_status(run: Run, r: int) -> None:
    n = run.rows("batch")
    body, _ = run.cache.get(f"batch-{n}", lambda: batch_body(n))
    server = run.server()
    try:
        server.post("create_project", project_name="bench")
        server.post("init", project_name="bench", collection_name="batch", vector_dim=DIM)
        old_job = warm_up_batch(server)
        with httpx.Client(base_url=f"{server.base}/api", timeout=600) as idle_client:
            project_list_latencies(server, 10, idle_client)
            idle = project_list_latencies(server, 100, idle_client)
        current = {"job": old_job}
        sent, done = threading.Event(), threading.Event()
        latencies: list[float] = []
        failures: list[str] = []

        def poll() -> None:
            sent.wait()
            with httpx.Client(base_url=f"{server.base}/api", timeout=600) as client:
                while not done.is_set():
                    job = current["job"]
                    start = time.perf_counter()
                    try:
                        status = server.post("get_upload_data_status", client, job_id=job)
                    except (ApiError, httpx.HTTPError) as err:
                        failures.append(str(err)[:200])
                        done.set()
                        return
                    latencies.append(time.perf_counter() - start)
                    if job != old_job and status["status"] in ("finished", "failed"):
                        if status["status"] == "failed":
                            failures.append(f"the job failed: {status.get('error')}")
                        done.set()

        poller = threading.Thread(target=poll, daemon=True, name="status-poller")
        poller.start()
        start = time.perf_counter()
        sent.set()
        current["job"] = server.post_raw("add_data_batch", body)["job_id"]
        answered = time.perf_counter() - start
        if not done.wait(3600):
            failures.append("the job did not finish within an hour")
            done.set()
        poller.join()
        finished = time.perf_counter() - start
    finally:
        server.stop()
    run.errors.extend(f"status: {f}" for f in failures)
    if not latencies:
        raise RuntimeError("no status poll was answered")
    ms = np.array(latencies) * 1e3
    run.record("status", p50_ms=float(np.percentile(ms, 50)), p99_ms=float(np.percentile(ms, 99)),
               max_ms=float(ms.max()), polls=len(ms), ref_project_list_p50_ms=float(
                   np.percentile(np.array(idle) * 1e3, 50)), answer_s=answered,
               finished_s=finished)
    run.note("status", rows=n, body_mb=len(body) / 1e6)


@dataclass
class PredictSetup:
    server: Server
    model: object
    names: list[str]
    X_dataset: np.ndarray
    inline_b64: str
    one_row_b64: str
    n_dataset: int
    n_inline: int


def predict_setup(run: Run) -> PredictSetup:
    import pandas as pd

    from app.automl import Features, train  # the server root's engine (see main)

    server = run.shared_server()
    n_train, n_dataset, n_inline = (run.rows(k) for k in
                                    ("predict_train", "predict_dataset", "predict_inline"))
    train_csv = csv_text(n_train, 40, text_columns=False, label=True)
    dataset_csv = csv_text(n_dataset, 41, text_columns=False, label=False)
    inline_csv = csv_text(n_inline, 42, text_columns=False, label=False)
    one_row_csv = csv_text(1, 43, text_columns=False, label=False)
    server.post("create_project", project_name="predict")
    for name, text in (("train", train_csv), ("rows", dataset_csv)):
        job = server.post("upload", project_name="predict", collection_name=name,
                          file_format="csv", has_field_names=True, compression_type="gzip",
                          file_data=base64.b64encode(gzip.compress(text, 6, mtime=0)).decode(),
                          **({"label_column": "label"} if name == "train" else {}))["job_id"]
        server.wait(job)
    start = time.perf_counter()
    job = server.post("train_automl_model", project_name="predict", collection_name="train",
                      model_name="m", training_mode="high_speed", task_type="classification",
                      label_attribute="label", seed=0)["job_id"]
    status = server.wait(job, "get_automl_training_status")
    log(f"predict: the server trained its model in {time.perf_counter() - start:.1f} s: "
        f"{status.get('validation_metric')}")

    frame = pd.read_csv(io.BytesIO(train_csv))
    names = [f"x{j}" for j in range(DIM)]
    X = frame[names].to_numpy(dtype=np.float32)
    start = time.perf_counter()
    result = train(Features(X, names, {}), frame["label"].tolist(), task="classification",
                   mode="high_speed", seed=0)
    log(f"predict: the reference model trained in {time.perf_counter() - start:.1f} s: "
        f"{result.validation_metric}")
    run.note("predict", server_model_metric=status.get("validation_metric"),
             reference_model_metric=result.validation_metric, train_rows=n_train,
             dataset_rows=n_dataset, inline_rows=n_inline, inline_csv_mb=len(inline_csv) / 1e6)
    X_dataset = pd.read_csv(io.BytesIO(dataset_csv))[names].to_numpy(dtype=np.float32)
    return PredictSetup(server, result.model, names, X_dataset,
                        base64.b64encode(inline_csv).decode(),
                        base64.b64encode(one_row_csv).decode(), n_dataset, n_inline)


def measure_predict(run: Run, r: int, setup: PredictSetup) -> None:
    import pandas as pd

    from app.automl import Features

    server = setup.server
    where = {"project_name": "predict", "collection_name": "train", "model_name": "m"}
    one_row = orjson.dumps({"user_api_key": KEY, **where, "file_data": setup.one_row_b64,
                            "file_format": "csv", "has_field_names": True})
    if r == 0:
        server.post_raw("automl_predict", one_row)  # warm-up: the model is loaded
    body = orjson.dumps({"user_api_key": KEY, **where, "prediction_dataset": "rows"})
    start = time.perf_counter()
    answer = server.post_raw("automl_predict", body)
    dataset_s = time.perf_counter() - start
    assert len(answer["predictions"]) == setup.n_dataset

    start = time.perf_counter()
    predictions = setup.model.predict(Features(setup.X_dataset, setup.names, {}))
    dataset_ref = time.perf_counter() - start
    assert len(predictions) == setup.n_dataset
    agree = float(np.mean(np.asarray(predictions) == np.asarray(answer["predictions"])))

    body = orjson.dumps({"user_api_key": KEY, **where, "file_data": setup.inline_b64,
                         "file_format": "csv", "has_field_names": True})
    start = time.perf_counter()
    answer = server.post_raw("automl_predict", body)
    inline_s = time.perf_counter() - start
    assert len(answer["predictions"]) == setup.n_inline

    start = time.perf_counter()
    frame = pd.read_csv(io.BytesIO(base64.b64decode(setup.inline_b64)))
    parse = time.perf_counter() - start
    X = frame[setup.names].to_numpy(dtype=np.float32)
    predictions = setup.model.predict(Features(X, setup.names, {}))
    inline_ref = time.perf_counter() - start
    assert len(predictions) == setup.n_inline

    one, listed = [], []
    with httpx.Client(base_url=f"{server.base}/api", timeout=600) as client:
        for _ in range(5):
            server.post_raw("automl_predict", one_row, client)
            server.post("get_project_list", client)
        for _ in range(50):
            start = time.perf_counter()
            server.post("get_project_list", client)
            listed.append(time.perf_counter() - start)
            start = time.perf_counter()
            answer = server.post_raw("automl_predict", one_row, client)
            one.append(time.perf_counter() - start)
            assert len(answer["predictions"]) == 1
    run.record("predict", dataset_s=dataset_s, dataset_ref_s=dataset_ref, inline_s=inline_s,
               inline_ref_s=inline_ref, inline_ref_parse_s=parse,
               one_row_p50_ms=statistics.median(one) * 1e3,
               ref_project_list_p50_ms=statistics.median(listed) * 1e3,
               dataset_agreement=agree)


def shared_datasets(names: list[str] | None) -> list[Path]:
    paths = sorted(SHARED_DATA.glob("*.csv.gz"))
    if names:
        paths = [p for p in paths if p.name.removesuffix(".csv.gz") in names]
    return paths


def readme_tasks() -> dict[str, str]:
    """name -> classification/regression, from the data README's table."""
    tasks = {}
    try:
        for line in (SHARED_DATA / "README.md").read_text().splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) > 3 and cells[2] in ("binary", "multiclass", "regression"):
                tasks[cells[0]] = "regression" if cells[2] == "regression" else "classification"
    except OSError:
        pass
    return tasks


@dataclass
class TrainSetup:
    server: Server
    datasets: list[dict]


def train_setup(run: Run) -> TrainSetup:
    import pandas as pd

    server = run.shared_server()
    tasks = readme_tasks()
    datasets = []
    for path in shared_datasets(run.args.datasets):
        name = path.name.removesuffix(".csv.gz")
        frame = pd.read_csv(path, keep_default_na=False, na_values=[""])
        features = [c for c in frame.columns if c != "target"]
        categorical = [c for c in features if not pd.api.types.is_numeric_dtype(frame[c])]
        task = tasks.get(name) or ("classification" if not pd.api.types.is_numeric_dtype(
            frame["target"]) or frame["target"].nunique() <= 30 else "regression")
        project = f"train_{name}"
        server.post("create_project", project_name=project)
        start = time.perf_counter()
        job = server.post("upload", project_name=project, collection_name="data",
                          file_format="csv", has_field_names=True, compression_type="gzip",
                          label_column="target", categorical_features=categorical,
                          file_data=base64.b64encode(path.read_bytes()).decode())["job_id"]
        server.wait(job)
        datasets.append({"name": name, "project": project, "task": task, "rows": len(frame),
                         "features": len(features), "categorical": categorical,
                         "upload_s": time.perf_counter() - start})
    return TrainSetup(server, datasets)


def measure_train(run: Run, r: int, setup: TrainSetup) -> None:
    for ds in setup.datasets:
        start = time.perf_counter()
        try:
            job = setup.server.post(
                "train_automl_model", project_name=ds["project"], collection_name="data",
                model_name=f"hs{r}", training_mode="high_speed", task_type=ds["task"],
                label_attribute="target", categorical_features=ds["categorical"])["job_id"]
            status = setup.server.wait(job, "get_automl_training_status", interval=0.05)
        except ApiError as err:
            run.errors.append(f"train {ds['name']} round {r}: {err}")
            continue
        seconds = time.perf_counter() - start
        run.record(f"train:{ds['name']}", e2e_s=seconds, duration=status.get("duration"),
                   metric=status.get("validation_metric"))
        run.note(f"train:{ds['name']}", rows=ds["rows"], features=ds["features"],
                 categorical=len(ds["categorical"]), task=ds["task"],
                 upload_s=round(ds["upload_s"], 2))
        log(f"train {ds['name']}: {seconds:.1f} s")


# --------------------------------------------------------------------------------------------
# Report


def med(values: list[float]) -> float:
    return statistics.median(values)


def ratio(a: float, b: float) -> str:
    if not b:
        return "-"
    return f"{a / b:.2f}x" if a / b < 1 else f"{a / b:.1f}x"


def table_rows(results: dict) -> list[tuple[str, str, str, str]]:
    rows: list[tuple[str, str, str, str]] = []
    for measure, label in (("batch", "add_data_batch"), ("csv", "upload gzip CSV"),
                           ("libsvm", "upload gzip libsvm")):
        if measure not in results or "answer_s" not in results[measure]:
            continue
        res, info = results[measure], results[measure].get("info", {})
        if measure == "batch":
            what = f"{info['rows']:,} x {DIM}, {info['body_mb']:.0f} MB body"
            ref = "orjson.loads + np.asarray(float32)"
        elif measure == "csv":
            what = (f"{info['rows']:,} rows, {info['body_mb']:.0f} MB base64 "
                    f"({info['csv_mb']:.0f} MB CSV)")
            ref = f"b64decode + read_csv(gzip, engine={info['engine']})"
        else:
            what = (f"{info['rows']:,} rows, {info['body_mb']:.0f} MB base64 "
                    f"({info['libsvm_mb']:.0f} MB libsvm)")
            ref = "b64decode + gunzip + load_svmlight_file"
        r = med(res["ref_s"])
        for key, name in (("answer_s", "answer"), ("finished_s", "job finished")):
            v = med(res[key])
            rows.append((f"`{label}` {what}: {name}", f"{v:.2f} s", f"{r:.2f} s ({ref})",
                         ratio(v, r)))
        f32 = info["float32_mb"]
        f32_name = "float32 values" if measure == "libsvm" else "float32"
        peak, after = med(res["peak_above_idle_mb"]), med(res["after_above_idle_mb"])
        rows.append((f"`{label}`: server peak RSS above idle ({med(res['idle_mb']):.0f} MB)",
                     f"{peak:.0f} MB", f"{f32:.0f} MB ({f32_name}) / {info['body_mb']:.0f} MB "
                     "(body)", f"{ratio(peak, f32)} / {ratio(peak, info['body_mb'])}"))
        rows.append((f"`{label}`: RSS above idle 2-3 s after the job finished",
                     f"{after:.0f} MB", f"{f32:.0f} MB ({f32_name})", ratio(after, f32)))
    if "status" in results and "p50_ms" in results["status"]:
        res = results["status"]
        ref = med(res["ref_project_list_p50_ms"])
        for key in ("p50", "p99", "max"):
            v = med(res[f"{key}_ms"])
            rows.append((f"`get_upload_data_status` {key} during the add_data_batch ingest "
                         f"({med(res['polls']):.0f} polls)", f"{v:.1f} ms",
                         f"{ref:.1f} ms (get_project_list p50, idle)", ratio(v, ref)))
    if "predict" in results and "dataset_s" in results["predict"]:
        res, info = results["predict"], results["predict"]["info"]
        v, r = med(res["dataset_s"]), med(res["dataset_ref_s"])
        rows.append((f"`automl_predict` {info['dataset_rows']:,}-row dataset", f"{v:.3f} s",
                     f"{r:.3f} s (model.predict)", ratio(v, r)))
        v, r = med(res["inline_s"]), med(res["inline_ref_s"])
        rows.append((f"`automl_predict` inline {info['inline_rows']:,}-row CSV", f"{v:.3f} s",
                     f"{r:.3f} s (b64decode + read_csv + model.predict)", ratio(v, r)))
        v, r = med(res["one_row_p50_ms"]), med(res["ref_project_list_p50_ms"])
        rows.append(("`automl_predict` one row inline, p50 of 50", f"{v:.1f} ms",
                     f"{r:.1f} ms (get_project_list p50)", ratio(v, r)))
    for measure in sorted(k for k in results if k.startswith("train:")):
        res, info = results[measure], results[measure].get("info", {})
        if "e2e_s" not in res:
            continue
        v = med(res["e2e_s"])
        rows.append((f"`high_speed` end to end: {measure[6:]} ({info['rows']:,} rows, "
                     f"{info['features']} features, {info['categorical']} text)", f"{v:.1f} s",
                     f"{HIGH_SPEED_BUDGET} s (default budget)", ratio(v, HIGH_SPEED_BUDGET)))
    return rows


def markdown(rows) -> str:
    lines = ["| measure | ours | reference | ratio |", "|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def git(root: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def machine() -> dict:
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = psutil.virtual_memory().total if psutil else 0
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gib": round(ram / 2**30, 1),
            "kernel": f"{platform.system()} {platform.release()}",
            "python": platform.python_version(), "loadavg_start": os.getloadavg()}


def versions() -> dict:
    import pandas as pd
    import sklearn

    out = {"numpy": np.__version__, "pandas": pd.__version__, "sklearn": sklearn.__version__,
           "orjson": orjson.__version__, "httpx": httpx.__version__}
    try:
        import pyarrow

        out["pyarrow"] = f"{pyarrow.__version__} ({Path(pyarrow.__file__).parent})"
    except ImportError:
        out["pyarrow"] = None
    return out


def describe(run: Run, info: dict) -> str:
    m = info["machine"]
    return "\n".join([
        f"- date: {info['date']}; took {info['elapsed_s'] / 60:.1f} min",
        f"- server: {info['server_root']} at commit {info['server_commit']}; app imported from "
        f"{', '.join(sorted(run.app_files)) or '-'}",
        f"- bench: {info['bench_commit']}; command: `{info['command']}`",
        f"- machine: nproc={m['nproc']}, {m['cpu']}, {m['ram_gib']} GiB RAM, {m['kernel']}, "
        f"Python {m['python']}; load average at start {m['loadavg_start'][0]:.2f}, at end "
        f"{m['loadavg_end'][0]:.2f}",
        f"- median of {run.args.repeat}; ratio = median ours / median reference; "
        f"scale {run.args.scale}",
        f"- versions: {info['versions']}",
    ])


# --------------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0,
                        help="rows relative to issue 10's sizes (0.1 for a quick run)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default=",".join(MEASURES),
                        help=f"comma-separated, of {','.join(MEASURES)}")
    parser.add_argument("--datasets", default=None,
                        help="[train]: comma-separated names in ../shared/data (default all)")
    parser.add_argument("--server-root", default=str(ROOT),
                        help="the checkout whose app the server runs (default: this one)")
    parser.add_argument("--python", default=sys.executable,
                        help="the interpreter that runs the server (default: this one)")
    parser.add_argument("--json", default=None, help="save the raw results here")
    parser.add_argument("--markdown", default=None, help="save the table (and machine) here")
    parser.add_argument("--cache-dir", default=str(Path(tempfile.gettempdir()) /
                                                   "datapath-cache"),
                        help="generated data are kept here ('' for none)")
    parser.add_argument("--log-dir", default=None,
                        help="server logs (default: a new directory under /tmp)")
    parser.add_argument("--pyarrow-path", default=None,
                        help="a directory to import pyarrow from (pip install --target DIR "
                             "pyarrow) for the CSV reference, when this venv has none; only "
                             "this process sees it, never the server")
    args = parser.parse_args(argv)
    args.only = [m.strip() for m in args.only.split(",") if m.strip()]
    unknown = set(args.only) - set(MEASURES)
    if unknown:
        parser.error(f"unknown measures {sorted(unknown)}; choose among {MEASURES}")
    args.datasets = args.datasets.split(",") if args.datasets else None
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    if psutil is None:
        print("psutil is missing: .venv/bin/pip install -e '.[dev]'", file=sys.stderr)
        return 2
    root = Path(args.server_root).resolve()
    if not (root / "app" / "__init__.py").exists():
        print(f"{root} holds no app package", file=sys.stderr)
        return 2
    if args.pyarrow_path:
        sys.path.append(args.pyarrow_path)
    # The in-process reference model of [predict] uses the engine of the server's checkout.
    sys.path.insert(0, str(root))
    try:
        import pyarrow  # noqa: F401

        args.csv_engine = "pyarrow"
    except ImportError:
        args.csv_engine = "c"
        log("pyarrow is not importable: the CSV reference uses pandas' C engine (slower); "
            "give --pyarrow-path for the pyarrow reference")
    import app

    if Path(app.__file__).resolve().parent != root / "app":
        print(f"this process imports app from {app.__file__}, not {root}", file=sys.stderr)
        return 2
    log_dir = Path(args.log_dir or tempfile.mkdtemp(prefix="datapath-logs-"))
    log_dir.mkdir(parents=True, exist_ok=True)
    log(f"server root {root}; server logs in {log_dir}")
    run = Run(args, root, Cache(args.cache_dir or None), log_dir)
    started = time.perf_counter()
    info = {"date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "command": " ".join([Path(sys.executable).name, *sys.argv]),
            "server_root": str(root),
            "server_commit": git(root, "rev-parse", "HEAD") + (
                " (uncommitted changes in app/)" if git(root, "status", "--porcelain", "app")
                else ""),
            "bench_commit": git(ROOT, "rev-parse", "HEAD") + (
                " (bench/datapath.py modified)" if git(ROOT, "status", "--porcelain",
                                                       "bench/datapath.py") else ""),
            "bench_sha256": hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:16],
            "machine": machine(), "versions": versions(), "args": {
                k: v for k, v in vars(args).items()}}
    try:
        setups: dict = {}
        for measure in MEASURES:
            if measure not in args.only:
                continue
            for r in range(args.repeat):
                log(f"{measure}: round {r + 1} of {args.repeat}")
                try:
                    if measure == "batch":
                        measure_batch(run, r)
                    elif measure == "status":
                        measure_status(run, r)
                    elif measure == "csv":
                        measure_csv(run, r)
                    elif measure == "libsvm":
                        measure_libsvm(run, r)
                    elif measure == "predict":
                        if "predict" not in setups:
                            setups["predict"] = predict_setup(run)
                        measure_predict(run, r, setups["predict"])
                    elif measure == "train":
                        if "train" not in setups:
                            setups["train"] = train_setup(run)
                        measure_train(run, r, setups["train"])
                except (ApiError, httpx.HTTPError, RuntimeError, AssertionError) as err:
                    run.errors.append(f"{measure} round {r + 1}: {type(err).__name__}: {err}")
                    log(f"{measure} round {r + 1} failed: {err}")
                    if measure in ("predict", "train") and measure not in setups:
                        break
    finally:
        if run.shared is not None:
            tail = run.shared.log_tail()
            run.shared.stop()
            if "Traceback" in tail:
                run.errors.append(f"the shared server logged an error: ...{tail[-800:]}")
    info["elapsed_s"] = time.perf_counter() - started
    info["machine"]["loadavg_end"] = os.getloadavg()
    info["app_files"] = sorted(run.app_files)
    wrong = [f for f in run.app_files if Path(f).resolve().parent != root / "app"]
    if wrong:
        run.errors.append(f"the server imported app from {wrong}, not {root}")
    for path in sorted(log_dir.glob("server-*.log")):
        text = path.read_text(errors="replace")
        if "Traceback" in text or "ERROR" in text:
            run.errors.append(f"{path} holds errors: ...{text[-600:]}")
    rows = table_rows(run.results)
    report = "\n".join([describe(run, info), "", markdown(rows)])
    if run.errors:
        report += "\n\nProblems:\n" + "\n".join(f"- {e}" for e in run.errors)
    print(report)
    if args.markdown:
        Path(args.markdown).write_text(report + "\n")
    if args.json:
        Path(args.json).write_bytes(orjson.dumps(
            {**info, "results": run.results, "table": rows, "errors": run.errors},
            option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS,
            default=str))
    return 1 if run.errors else 0


if __name__ == "__main__":
    sys.exit(main())

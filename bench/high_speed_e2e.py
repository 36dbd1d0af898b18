"""high_speed end to end through a real embedded server: from the train call to the model
being ready (reading the stored rows, encoding, categoricals, training, saving), against the
mode's default budget (`portfolio.default_budget`: 8.5 s, more on large multiclass data; the
requirement is at most 1.5x).

Datasets: the 8 of /work/shared/data, and built from adult (its string columns stay
categorical, plus a 9th text column `occ_x_sex`):

* `adult36k_9cat`: 36k rows sampled from adult (14 features, 9 text categoricals);
* `adult120k_hicard`: 120k rows resampled from adult with two more text columns, one of
  5,000 distinct values (`city`) and one of ~60k (`user`, nearly unique per row);
* `text36k_9cat`, `text150k_9cat`: synthetic, nine text columns of 10 to 30,000 distinct
  values (Zipf-distributed), six numeric ones, a yes/no target depending on both.

The first training of the server starts its training process (spawn, imports); it is timed
apart, on vehicle, as `vehicle (cold start)`.

Each dataset is uploaded as a gzip CSV (`/upload`, label `target`, string columns as
`categorical_features`); the upload is not timed. Peak RSS is of the server's process tree
(the API process and its training processes), sampled every 50 ms while the training runs:
`peak_total` is the sum over the tree, `peak_one` the largest single process.

Usage: taskset -c 0 python bench/high_speed_e2e.py [--only NAME ...] [--repeat 1]
"""

import argparse
import base64
import gzip
import io
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from app.automl.portfolio import default_budget  # noqa: E402
from tests.test_server_process import Server  # noqa: E402

DATA = Path("/work/shared/data")
REGRESSION = {"california_houses", "abalone", "cpu_act"}


def read(name: str) -> pd.DataFrame:
    return pd.read_csv(DATA / f"{name}.csv.gz", keep_default_na=False, na_values=[""])


def adult_9cat(rows: int, seed: int = 0) -> pd.DataFrame:
    frame = read("adult")
    frame = frame.sample(n=rows, replace=rows > len(frame), random_state=seed)
    frame = frame.reset_index(drop=True)
    frame.insert(len(frame.columns) - 1, "occ_x_sex",
                 frame["occupation"].fillna("?") + "/" + frame["sex"].fillna("?"))
    return frame


def adult_hicard(rows: int, seed: int = 0) -> pd.DataFrame:
    frame = adult_9cat(rows, seed)
    rng = np.random.default_rng(seed)
    cities = np.array([f"city-{i:05d}-{'abcdefgh'[i % 8]}" for i in range(5000)], dtype=object)
    frame.insert(len(frame.columns) - 1, "city", cities[rng.integers(0, 5000, rows)])
    frame.insert(len(frame.columns) - 1, "user",
                 [f"user{v}" for v in rng.integers(0, rows // 2, rows)])
    return frame


def text_9cat(rows: int, seed: int = 0) -> pd.DataFrame:
    """Nine text columns of 10 to 30,000 distinct values (words, codes, near-unique notes),
    six numeric columns, a binary string target that depends on both."""
    rng = np.random.default_rng(seed)
    words = np.array([f"w{i}" for i in range(30_000)], dtype=object)
    frame = pd.DataFrame({f"x{j}": rng.normal(size=rows) for j in range(6)})
    signal = frame["x0"] + 0.5 * frame["x1"]
    for j, distinct in enumerate((10, 50, 200, 1000, 3000, 5000, 10_000, 20_000, 30_000)):
        codes = rng.zipf(1.3, rows) % distinct
        frame[f"text{j}"] = [f"{words[c]} item {c} of col{j}" for c in codes]
        signal += 0.3 * ((codes % 7) == 3)
    frame["target"] = np.where(signal + rng.normal(size=rows) > 0.5, "yes", "no")
    return frame


def datasets(only: list[str]) -> list[tuple[str, pd.DataFrame, str]]:
    out = []

    def want(name):
        return not only or name in only

    if want("adult36k_9cat"):
        out.append(("adult36k_9cat", adult_9cat(36_000), "classification"))
    if want("text36k_9cat"):
        out.append(("text36k_9cat", text_9cat(36_000), "classification"))
    if want("text150k_9cat"):
        out.append(("text150k_9cat", text_9cat(150_000), "classification"))
    if want("adult120k_hicard"):
        out.append(("adult120k_hicard", adult_hicard(120_000), "classification"))
    for path in sorted(DATA.glob("*.csv.gz")):
        name = path.name.removesuffix(".csv.gz")
        if want(name):
            out.append((name, read(name),
                        "regression" if name in REGRESSION else "classification"))
    return out


def tree_rss(root: psutil.Process) -> tuple[int, int]:
    total = largest = 0
    for proc in [root, *root.children(recursive=True)]:
        try:
            rss = proc.memory_info().rss
        except psutil.Error:
            continue
        total += rss
        largest = max(largest, rss)
    return total, largest


class RssSampler:
    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak_total = self.peak_one = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            total, one = tree_rss(self.root)
            self.peak_total, self.peak_one = max(self.peak_total, total), max(self.peak_one, one)
            time.sleep(0.05)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def wait(server: Server, job_id: str, endpoint: str, timeout: float = 900) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        status = server.post(endpoint, job_id=job_id)
        if status["status"] in ("finished", "failed"):
            return status
        assert time.monotonic() < deadline, f"{endpoint} {job_id} did not end"
        time.sleep(0.02)


def upload(server: Server, project: str, name: str, frame: pd.DataFrame) -> list[str]:
    features = [c for c in frame.columns if c != "target"]
    categorical = [c for c in features if frame[c].dtype == object or
                   pd.api.types.is_string_dtype(frame[c])]
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=1) as gz:
        gz.write(frame.to_csv(index=False).encode())
    job = server.post("upload", project_name=project, collection_name=name,
                      file_data=base64.b64encode(raw.getvalue()).decode(), file_format="csv",
                      compression_type="gzip", label_column="target",
                      categorical_features=categorical)
    assert "job_id" in job, job
    status = wait(server, job["job_id"], "get_upload_data_status")
    assert status["status"] == "finished", status
    return categorical


def budget_of(frame: pd.DataFrame, task: str) -> float:
    """high_speed's default budget for the dataset (it grows with rows x classes)."""
    classes = frame["target"].nunique() if task == "classification" else 0
    return default_budget("high_speed", len(frame), len(frame.columns) - 1, classes)


def train(server: Server, project: str, name: str, task: str, categorical: list[str],
          model: str) -> tuple[float, dict, RssSampler]:
    with RssSampler(server.process.pid) as rss:
        start = time.perf_counter()
        job = server.post("train_automl_model", project_name=project, collection_name=name,
                          model_name=model, training_mode="high_speed", task_type=task,
                          label_attribute="target", categorical_features=categorical)
        assert "job_id" in job, job
        status = wait(server, job["job_id"], "get_automl_training_status")
        seconds = time.perf_counter() - start
    assert status["status"] == "finished", status
    return seconds, status, rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            server.post("create_project", project_name="e2e")
            # The first training starts the training process (spawn, imports): timed apart
            # (`cold start`), so that the first dataset is not charged for it.
            warm = read("vehicle")
            upload(server, "e2e", "warmup", warm)
            print(f"{'dataset':<20} {'rows':>7} {'cats':>4} {'e2e_s':>7} {'ratio':>6} "
                  f"{'peak_total_MB':>13} {'peak_one_MB':>11}", flush=True)
            seconds, _, rss = train(server, "e2e", "warmup", "classification", [], "warm")
            print(f"{'vehicle (cold start)':<20} {len(warm):>7} {0:>4} {seconds:>7.2f} "
                  f"{seconds / budget_of(warm, 'classification'):>6.2f} "
                  f"{rss.peak_total / 2**20:>13.0f} "
                  f"{rss.peak_one / 2**20:>11.0f}", flush=True)
            for name, frame, task in datasets(args.only):
                categorical = upload(server, "e2e", name, frame)
                for r in range(args.repeat):
                    seconds, _, rss = train(server, "e2e", name, task, categorical, f"m{r}")
                    print(f"{name:<20} {len(frame):>7} {len(categorical):>4} {seconds:>7.2f} "
                          f"{seconds / budget_of(frame, task):>6.2f} "
                          f"{rss.peak_total / 2**20:>13.0f} "
                          f"{rss.peak_one / 2**20:>11.0f}", flush=True)
        finally:
            server.stop()


if __name__ == "__main__":
    main()

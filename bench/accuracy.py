"""Accuracy of our AutoML engine against FLAML, AutoGluon and a default LightGBM.

For each dataset in the data directory (default /work/shared/data, see its README.md): one fixed
split (80/20, random_state=0, stratified for classification), then

* our engine (`app.automl.train`) in each mode: high_speed (no budget), balanced (the engine's
  default budget unless --balanced-budget), high_accuracy (--high-accuracy-budget seconds);
* FLAML once per mode, with `time_budget` = the wall-clock seconds our run of that mode took;
* AutoGluon `medium_quality` with `time_limit` = our balanced seconds, and `best_quality` with
  `time_limit` = our high_accuracy seconds;
* a default LightGBM (`LGBMClassifier()` / `LGBMRegressor()`, categoricals as pandas category
  dtype) as the floor.

Every system is told the AMLB metric (binary: roc_auc, multiclass: log_loss, regression: rmse).
All scores are computed here, on the test split, from each system's predicted probabilities
(classification; the predicted label is the most probable class) or values (regression).

FLAML and AutoGluon run in subprocesses (a small runner script written to a temp dir, data
exchanged as CSV files), each with its own Python: AutoGluon pins an older pandas, so it lives
in its own virtualenv (--autogluon-python, default .venv-autogluon/bin/python). A peer whose
Python cannot import it is skipped with a message.

Usage:
    python bench/accuracy.py [--datasets credit_g,vehicle] [--modes high_speed,balanced]
        [--peers flaml,autogluon,lightgbm] [--high-accuracy-budget 300] [--threads 1] [--write]
See bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import re
import shlex
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.metrics import accuracy_score, r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DATA = Path("/work/shared/data")
MODES = ("high_speed", "balanced", "high_accuracy")
PEERS = ("flaml", "autogluon", "lightgbm")
AMLB_METRIC = {"binary": "roc_auc", "multiclass": "log_loss", "regression": "rmse"}
SECOND_METRIC = {"binary": "accuracy", "multiclass": "accuracy", "regression": "r2"}
AUTOGLUON_PRESET = {"balanced": "medium_quality", "high_accuracy": "best_quality"}
MIN_PEER_BUDGET = 1.0  # seconds; FLAML/AutoGluon get at least this much
READ_CSV = {"keep_default_na": False, "na_values": [""]}

# --------------------------------------------------------------------------------------------
# Runner for the peers, executed by *their* Python (so it must not import anything from here).
# argv[1] = job.json. Writes pred.csv (class-probability columns named by label, or one
# "prediction" column) and result.json (fit/predict seconds, versions, chosen model).
RUNNER = r'''
import json, os, sys, time
import pandas as pd

READ_CSV = {"keep_default_na": False, "na_values": [""]}


def load(job):
    train = pd.read_csv(job["train_csv"], **READ_CSV)
    test = pd.read_csv(job["test_csv"], **READ_CSV)
    for col in job["categorical"]:
        cats = sorted(train[col].dropna().astype(str).unique())
        dtype = pd.CategoricalDtype(cats)
        for frame in (train, test):
            frame[col] = frame[col].map(lambda v: v if pd.isna(v) else str(v)).astype(dtype)
    return train, test


def run_flaml(job, train, test):
    import flaml
    from flaml import AutoML

    X, y = train.drop(columns=["target"]), train["target"]
    automl = AutoML()
    start = time.perf_counter()
    automl.fit(
        X, y,
        task="regression" if job["kind"] == "regression" else "classification",
        metric=job["metric"], time_budget=job["budget"], n_jobs=job["threads"],
        seed=job["seed"], verbose=0, log_file_name="",
    )
    fit = time.perf_counter() - start
    start = time.perf_counter()
    if job["kind"] == "regression":
        out = pd.DataFrame({"prediction": automl.predict(test)})
    else:
        out = pd.DataFrame(automl.predict_proba(test), columns=[str(c) for c in automl.classes_])
    predict = time.perf_counter() - start
    info = {"version": flaml.__version__, "best": automl.best_estimator}
    return out, fit, predict, info


def run_autogluon(job, train, test):
    import autogluon.tabular
    from autogluon.tabular import TabularPredictor

    def fit_once(attempt, **extra):
        predictor = TabularPredictor(
            label="target", problem_type=job["kind"], eval_metric=job["metric"],
            path=os.path.join(job["workdir"], f"ag_model_{attempt}"), verbosity=0,
        )
        return predictor.fit(
            train, presets=job["preset"], time_limit=job["budget"], num_cpus=job["threads"],
            **extra,
        )

    start = time.perf_counter()
    retried = ""
    try:
        predictor = fit_once(1)
    except AssertionError as exc:
        # best_quality's DyStack sub-fit can train nothing on a tiny budget; without ray,
        # AutoGluon 1.6 then fails with "Learner is already fit" (autogluon issue #4651).
        # Retry once without DyStack; the reported fit time includes the failed attempt.
        if "already fit" not in str(exc):
            raise
        predictor = fit_once(2, dynamic_stacking=False)
        retried = "; DyStack failed, refit with dynamic_stacking=False (fit s = both)"
    fit = time.perf_counter() - start
    start = time.perf_counter()
    if job["kind"] == "regression":
        out = pd.DataFrame({"prediction": predictor.predict(test).to_numpy()})
    else:
        proba = predictor.predict_proba(test)
        out = pd.DataFrame(proba.to_numpy(), columns=[str(c) for c in proba.columns])
    predict = time.perf_counter() - start
    info = {"version": autogluon.tabular.__version__, "best": predictor.model_best + retried}
    return out, fit, predict, info


def main():
    job = json.load(open(sys.argv[1]))
    train, test = load(job)
    run = {"flaml": run_flaml, "autogluon": run_autogluon}[job["system"]]
    out, fit, predict, info = run(job, train, test)
    out.to_csv(os.path.join(job["workdir"], "pred.csv"), index=False)
    result = {"fit_seconds": fit, "predict_seconds": predict, **info}
    json.dump(result, open(os.path.join(job["workdir"], "result.json"), "w"))


main()
'''


# --------------------------------------------------------------------------------------------
# Data


@dataclass
class Dataset:
    name: str
    kind: str  # binary | multiclass | regression
    train: pd.DataFrame
    test: pd.DataFrame
    categorical: list[str]
    numeric: list[str]
    classes: list = field(default_factory=list)  # sorted training classes (label keys)


def label_key(value) -> str:
    """Canonical string of a label, so 3, 3.0 and "3" are the same class everywhere."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


def readme_tasks(data_dir: Path) -> dict[str, str]:
    """name -> task from the README's table (| name | source | task | ...)."""
    readme = data_dir / "README.md"
    tasks: dict[str, str] = {}
    if not readme.exists():
        return tasks
    for line in readme.read_text().splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 3 and cells[2] in ("binary", "multiclass", "regression"):
            tasks[cells[0]] = cells[2]
    return tasks


def infer_kind(y: pd.Series) -> str:
    if not pd.api.types.is_numeric_dtype(y):
        return "binary" if y.nunique() == 2 else "multiclass"
    values = y.dropna()
    if values.nunique() <= 2:
        return "binary"
    integral = bool(np.all(np.mod(values.to_numpy(dtype=float), 1) == 0))
    return "multiclass" if integral and values.nunique() <= 30 else "regression"


def load_dataset(path: Path, kind: str | None) -> Dataset:
    name = path.name.split(".")[0]
    frame = pd.read_csv(path, **READ_CSV)
    if "target" not in frame.columns:
        raise ValueError(f"{path}: no 'target' column")
    frame = frame[frame["target"].notna()].reset_index(drop=True)
    if kind is None:
        kind = infer_kind(frame["target"])
        print(f"note: {name} is not in the data README; inferred task {kind}", file=sys.stderr)
    features = [c for c in frame.columns if c != "target"]
    numeric = [c for c in features if pd.api.types.is_numeric_dtype(frame[c])]
    categorical = [c for c in features if c not in numeric]
    stratify = frame["target"].map(label_key) if kind != "regression" else None
    train, test = train_test_split(frame, test_size=0.2, random_state=0, stratify=stratify)
    train, test = train.reset_index(drop=True), test.reset_index(drop=True)
    classes = sorted(set(train["target"].map(label_key))) if kind != "regression" else []
    if kind != "regression" and all(re.fullmatch(r"-?\d+", c) for c in classes):
        classes = sorted(classes, key=int)
    return Dataset(name, kind, train, test, categorical, numeric, classes)


def discover(data_dir: Path, names: list[str] | None) -> list[Path]:
    files = {p.name.split(".")[0]: p for p in sorted(data_dir.glob("*.csv*"))}
    if names is None:
        return list(files.values())
    missing = [n for n in names if n not in files]
    if missing:
        raise SystemExit(f"unknown datasets {missing}; available: {', '.join(files)}")
    return [files[n] for n in names]


# --------------------------------------------------------------------------------------------
# Scoring


@dataclass
class Row:
    dataset: str
    kind: str
    system: str
    budget: float | None = None
    score: float | None = None  # AMLB metric
    score2: float | None = None  # accuracy / R^2
    fit_seconds: float | None = None
    predict_seconds: float | None = None
    n_test: int = 0
    note: str = ""

    @property
    def predict_per_row(self) -> float | None:
        if self.predict_seconds is None or not self.n_test:
            return None
        return self.predict_seconds / self.n_test


def aligned_proba(ds: Dataset, proba: np.ndarray, labels: list) -> np.ndarray:
    """Columns reordered to ds.classes (absent classes get 0), rows renormalised."""
    index = {label_key(c): j for j, c in enumerate(labels)}
    out = np.zeros((proba.shape[0], len(ds.classes)))
    for k, cls in enumerate(ds.classes):
        if cls in index:
            out[:, k] = proba[:, index[cls]]
    out = np.clip(np.nan_to_num(out, nan=0.0), 0.0, None)
    sums = out.sum(axis=1, keepdims=True)
    return np.where(sums > 0, out / np.where(sums > 0, sums, 1.0), 1.0 / len(ds.classes))


def score(ds: Dataset, row: Row, proba: np.ndarray | None = None, labels=None, pred=None) -> None:
    """Fill row.score/score2 from class probabilities (with their labels) or regression values."""
    row.n_test = len(ds.test)
    if ds.kind == "regression":
        y = ds.test["target"].to_numpy(dtype=float)
        pred = np.asarray(pred, dtype=float)
        row.score = float(math.sqrt(np.mean((y - pred) ** 2)))
        row.score2 = float(r2_score(y, pred))
        return
    p = aligned_proba(ds, np.asarray(proba, dtype=float), list(labels))
    y_key = ds.test["target"].map(label_key).to_numpy()
    predicted = np.asarray(ds.classes, dtype=object)[p.argmax(axis=1)]
    row.score2 = float(accuracy_score(y_key, predicted))
    if ds.kind == "binary":
        row.score = float(roc_auc_score(y_key == ds.classes[1], p[:, 1]))
    else:
        # By hand: sklearn's log_loss sorts string labels itself ('10' before '2'), which
        # would misalign the columns ordered as ds.classes.
        clipped = np.clip(p, 1e-15, 1.0)
        clipped /= clipped.sum(axis=1, keepdims=True)
        column = {c: k for k, c in enumerate(ds.classes)}
        truth = np.array([column.get(v, -1) for v in y_key])
        picked = np.where(truth >= 0, clipped[np.arange(len(truth)), np.maximum(truth, 0)], 1e-15)
        row.score = float(-np.mean(np.log(picked)))


# --------------------------------------------------------------------------------------------
# Systems


def to_features(ds: Dataset, frame: pd.DataFrame):
    from app.automl import Features

    numeric = frame[ds.numeric].to_numpy(dtype=np.float64) if ds.numeric else None
    categorical = {
        c: [None if pd.isna(v) else v for v in frame[c].tolist()] for c in ds.categorical
    }
    return Features(numeric=numeric, numeric_names=list(ds.numeric), categorical=categorical)


def run_ours(ds: Dataset, mode: str, budget: float | None, seed: int) -> Row:
    from app.automl import FittedModel, train

    row = Row(ds.name, ds.kind, f"ours:{mode}", budget)
    X_train, X_test = to_features(ds, ds.train), to_features(ds, ds.test)
    task = "regression" if ds.kind == "regression" else "classification"
    start = time.perf_counter()
    result = train(X_train, ds.train["target"].tolist(), task=task, mode=mode,
                   time_budget=budget, seed=seed)
    row.fit_seconds = time.perf_counter() - start
    # The first prediction of a stored model: loading it counts (as a server's first call).
    stored = result.model.to_bytes()
    start = time.perf_counter()
    model = FittedModel.from_bytes(stored)
    if ds.kind == "regression":
        out = model.predict(X_test)
    else:
        out = model.predict_proba(X_test)
    row.predict_seconds = time.perf_counter() - start
    if ds.kind == "regression":
        score(ds, row, pred=out)
    else:
        score(ds, row, proba=out, labels=model.classes_)
    row.note = "best: " + str(result.leaderboard[0]["model"]) if result.leaderboard else ""
    return row


def categorical_frames(ds: Dataset) -> tuple[pd.DataFrame, pd.DataFrame]:
    X_train = ds.train.drop(columns=["target"]).copy()
    X_test = ds.test.drop(columns=["target"]).copy()
    for c in ds.categorical:
        dtype = pd.CategoricalDtype(sorted(X_train[c].dropna().astype(str).unique()))
        for frame in (X_train, X_test):
            frame[c] = frame[c].map(lambda v: v if pd.isna(v) else str(v)).astype(dtype)
    return X_train, X_test


def run_lightgbm(ds: Dataset, threads: int) -> Row:
    import lightgbm as lgb

    row = Row(ds.name, ds.kind, "lightgbm:default")
    X_train, X_test = categorical_frames(ds)
    if ds.kind == "regression":
        model = lgb.LGBMRegressor(n_jobs=threads, verbose=-1)
        y = ds.train["target"].to_numpy(dtype=float)
    else:
        model = lgb.LGBMClassifier(n_jobs=threads, verbose=-1)
        y = ds.train["target"].map(label_key).to_numpy()
    start = time.perf_counter()
    model.fit(X_train, y)
    row.fit_seconds = time.perf_counter() - start
    start = time.perf_counter()
    out = model.predict(X_test) if ds.kind == "regression" else model.predict_proba(X_test)
    row.predict_seconds = time.perf_counter() - start
    if ds.kind == "regression":
        score(ds, row, pred=out)
    else:
        score(ds, row, proba=out, labels=list(model.classes_))
    return row


def peer_available(python: str, module: str) -> str | None:
    """None if `python` can import `module`, else the reason it cannot."""
    if not Path(python).exists():
        return f"{python} does not exist"
    try:
        probe = subprocess.run([python, "-c", f"import {module}"], capture_output=True,
                               text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if probe.returncode != 0:
        last = (probe.stderr.strip().splitlines() or ["import failed"])[-1]
        return f"{python} cannot import {module}: {last}"
    return None


class PeerRunner:
    """Writes a dataset's split once to a temp dir and runs peers on it in subprocesses."""

    def __init__(self, ds: Dataset, tmp: Path, threads: int, seed: int):
        self.ds, self.tmp, self.threads, self.seed = ds, tmp, threads, seed
        self.runner = tmp / "runner.py"
        self.runner.write_text(RUNNER)
        self.train_csv = tmp / f"{ds.name}_train.csv"
        self.test_csv = tmp / f"{ds.name}_test.csv"
        ds.train.to_csv(self.train_csv, index=False)
        ds.test.drop(columns=["target"]).to_csv(self.test_csv, index=False)
        self.count = 0

    def run(self, python: str, system: str, label: str, budget: float,
            preset: str | None = None) -> Row:
        ds = self.ds
        budget = max(budget, MIN_PEER_BUDGET)
        row = Row(ds.name, ds.kind, label, budget)
        self.count += 1
        workdir = self.tmp / f"{ds.name}_{system}_{self.count}"
        workdir.mkdir()
        job = {
            "system": system, "kind": ds.kind, "metric": AMLB_METRIC[ds.kind],
            "budget": budget, "preset": preset, "threads": self.threads, "seed": self.seed,
            "train_csv": str(self.train_csv), "test_csv": str(self.test_csv),
            "categorical": ds.categorical, "workdir": str(workdir),
        }
        (workdir / "job.json").write_text(json.dumps(job))
        env = dict(os.environ)
        for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(self.threads)
        timeout = max(10 * budget, budget + 900)
        proc = subprocess.run([python, str(self.runner), str(workdir / "job.json")], env=env,
                              capture_output=True, text=True, timeout=timeout)
        if proc.returncode != 0:
            (workdir / "stderr.txt").write_text(proc.stderr)
            tail = " | ".join(proc.stderr.strip().splitlines()[-3:])
            raise RuntimeError(f"{system} runner failed (exit {proc.returncode}): {tail}")
        result = json.loads((workdir / "result.json").read_text())
        pred = pd.read_csv(workdir / "pred.csv")
        row.fit_seconds = result["fit_seconds"]
        row.predict_seconds = result["predict_seconds"]
        if ds.kind == "regression":
            score(ds, row, pred=pred["prediction"].to_numpy())
        else:
            score(ds, row, proba=pred.to_numpy(dtype=float), labels=list(pred.columns))
        row.note = f"best: {result['best']}; v{result['version']}"
        return row


def guarded(rows: list[Row], ds: Dataset, system: str, budget, fn, *args) -> Row:
    """Run fn(*args) -> Row; on failure record a row with the error so the table shows it."""
    try:
        row = fn(*args)
    except Exception as exc:  # any failure of one system must not stop the run
        traceback.print_exc(file=sys.stderr)
        row = Row(ds.name, ds.kind, system, budget, note=f"FAILED: {type(exc).__name__}: {exc}")
    rows.append(row)
    print(format_table([row], header=False), flush=True)
    return row


# --------------------------------------------------------------------------------------------
# Output

COLUMNS = ["dataset", "task", "system", "budget s", "metric", "score", "metric 2", "score 2",
           "fit s", "predict s", "predict s/row", "note"]


def _num(value: float | None, fmt: str) -> str:
    return "" if value is None else format(value, fmt)


def format_row(row: Row) -> list[str]:
    return [
        row.dataset, row.kind, row.system, _num(row.budget, ".0f"),
        AMLB_METRIC[row.kind], _num(row.score, ".4f"),
        SECOND_METRIC[row.kind], _num(row.score2, ".4f"),
        _num(row.fit_seconds, ".1f"), _num(row.predict_seconds, ".3f"),
        _num(row.predict_per_row, ".1e"), row.note,
    ]


def format_table(rows: list[Row], header: bool = True) -> str:
    """Markdown table (also readable on a terminal)."""
    lines = []
    if header:
        lines.append("| " + " | ".join(COLUMNS) + " |")
        lines.append("|" + "|".join("---" for _ in COLUMNS) + "|")
    for row in rows:
        cells = [c.replace("|", "/") for c in format_row(row)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    except OSError:
        nproc = str(os.cpu_count())
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"nproc={nproc}, CPU: {cpu}{memory}, {platform.system()} {platform.release()}"


def versions() -> str:
    import catboost
    import lightgbm
    import sklearn

    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "app/automl"],
                               capture_output=True, text=True).stdout.strip()
        commit = commit + (" (app/automl has uncommitted changes)" if dirty else "")
    except OSError:
        commit = "unknown"
    return (f"ours at commit {commit}; python {platform.python_version()}, "
            f"pandas {pd.__version__}, numpy {np.__version__}, scikit-learn {sklearn.__version__}, "
            f"lightgbm {lightgbm.__version__}, catboost {catboost.__version__} "
            "(peer versions in the note column)")


def write_markdown(path: Path, title: str, command: str, rows: list[Row], notes: list[str],
                   merged: bool = False):
    """Insert a '### title' subsection at the end of the '## Accuracy' section of `path`."""
    section = [
        f"### {title}",
        "",
        f"- Date: {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}",
        f"- Machine: {machine()}",
        "- Versions: rows merged from earlier runs; our commit is that of those runs (add it)"
        if merged else f"- Versions: {versions()}",
        f"- Command: `{command}`",
        *[f"- {n}" for n in notes],
        "",
        format_table(rows),
        "",
    ]
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    lines = text.rstrip("\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.strip() == "## Accuracy"), None)
    if start is None:
        lines += ["", "## Accuracy", "", "Produced by `bench/accuracy.py`; see `bench/README.md`",
                  "for the setup and what the columns mean.", ""]
        end = len(lines)
    else:
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")),
                   len(lines))
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        section = [""] + section
    lines[end:end] = section
    path.write_text("\n".join(lines).rstrip("\n") + "\n")


# --------------------------------------------------------------------------------------------


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--datasets", help="comma-separated names (default: all in --data-dir)")
    p.add_argument("--modes", default=",".join(MODES), help="comma-separated engine modes")
    p.add_argument("--peers", default=",".join(PEERS),
                   help="comma-separated subset of flaml,autogluon,lightgbm ('' for none)")
    p.add_argument("--high-accuracy-budget", type=float, default=300.0, help="seconds")
    p.add_argument("--balanced-budget", type=float, default=None,
                   help="seconds (default: the engine's own balanced budget)")
    p.add_argument("--threads", type=int, default=1,
                   help="threads for every system (AUTOML_TRAIN_THREADS, n_jobs, num_cpus)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--flaml-python", default=sys.executable,
                   help="Python that has flaml[automl] (default: this one)")
    p.add_argument("--autogluon-python", default=str(ROOT / ".venv-autogluon" / "bin" / "python"),
                   help="Python that has autogluon.tabular")
    p.add_argument("--write", action="store_true", help="add the results to BENCHMARKS.md")
    p.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    p.add_argument("--title", help="heading for --write (default: 'Accuracy, <date>')")
    p.add_argument("--json", type=Path, help="also dump the raw rows to this JSON file")
    p.add_argument("--peer-budget", type=float, default=None,
                   help="give the peers this many seconds instead of the time our run took "
                        "(the issue's fixed-budget comparison, e.g. best_quality at 300 s)")
    p.add_argument("--skip-ours", action="store_true",
                   help="run only the peers (needs --peer-budget): lets a peer's fixed-budget "
                        "run use one core while our engine runs on the other")
    p.add_argument("--merge", help="comma-separated --json files of earlier runs (e.g. run in "
                                   "parallel, one per core): print and --write their rows, "
                                   "sorted by dataset, without running anything")
    args = p.parse_args(argv)
    args.modes = [m for m in args.modes.split(",") if m]
    args.peers = [x for x in args.peers.split(",") if x]
    bad = [m for m in args.modes if m not in MODES] + [x for x in args.peers if x not in PEERS]
    if bad:
        p.error(f"unknown modes/peers: {bad}")
    if args.threads < 1:
        p.error("--threads must be >= 1")
    if args.skip_ours and args.peer_budget is None:
        p.error("--skip-ours needs --peer-budget")
    return args


def main(argv=None) -> int:
    from app.automl.portfolio import default_budget

    args = parse_args(argv)
    os.environ["AUTOML_TRAIN_THREADS"] = str(args.threads)
    python = Path(sys.executable)
    if python.is_relative_to(ROOT):
        python = python.relative_to(ROOT)
    arguments = " ".join(shlex.quote(a) for a in (argv or sys.argv[1:]))
    command = f"{python} bench/accuracy.py {arguments}"
    if args.merge:  # nothing runs: no data to find, no peers to check
        return report(args, command, merged_rows(args.merge.split(",")), [])
    names = args.datasets.split(",") if args.datasets else None
    paths = discover(args.data_dir, names)
    tasks = readme_tasks(args.data_dir)

    notes: list[str] = []
    python_for = {"flaml": args.flaml_python, "autogluon": args.autogluon_python}
    module_for = {"flaml": "flaml.automl", "autogluon": "autogluon.tabular"}
    peers = list(args.peers)
    for peer in ("flaml", "autogluon"):
        if peer in peers:
            reason = peer_available(python_for[peer], module_for[peer])
            if reason:
                message = f"{peer} skipped: {reason}"
                print(f"*** {message}", file=sys.stderr)
                notes.append(message)
                peers.remove(peer)
    if "autogluon" in peers and not {"balanced", "high_accuracy"} & set(args.modes):
        notes.append("autogluon skipped: it is only compared to balanced and high_accuracy")
        peers.remove("autogluon")

    rows: list[Row] = []
    print(format_table([]), flush=True)
    with tempfile.TemporaryDirectory(prefix="bench_accuracy_") as tmp_name:
        for path in paths:
            name = path.name.split(".")[0]
            ds = load_dataset(path, tasks.get(name))
            peer = PeerRunner(ds, Path(tmp_name), args.threads, args.seed)
            for mode in args.modes:
                budget = {"high_speed": None, "balanced": args.balanced_budget,
                          "high_accuracy": args.high_accuracy_budget}[mode]
                spent = args.peer_budget
                if not args.skip_ours:
                    ours = guarded(rows, ds, f"ours:{mode}", budget, run_ours, ds, mode, budget,
                                   args.seed)
                    if ours.budget is None and mode == "balanced":
                        # Shown in the table: the engine's own default (from the raw columns).
                        ours.budget = default_budget(mode, len(ds.train),
                                                     len(ds.train.columns) - 1)
                    if spent is None:
                        spent = ours.fit_seconds
                if spent is None:
                    continue  # our run failed: no budget to hand to the peers
                if "flaml" in peers:
                    label = f"flaml@{mode}"
                    guarded(rows, ds, label, spent, peer.run, args.flaml_python, "flaml", label,
                            spent)
                if "autogluon" in peers and mode in AUTOGLUON_PRESET:
                    preset = AUTOGLUON_PRESET[mode]
                    label = f"autogluon:{preset}@{mode}"
                    guarded(rows, ds, label, spent, peer.run, args.autogluon_python, "autogluon",
                            label, spent, preset)
            if "lightgbm" in peers:
                guarded(rows, ds, "lightgbm:default", None, run_lightgbm, ds, args.threads)

    return report(args, command, rows, notes)


def merged_rows(paths: list[str]) -> list[Row]:
    """Rows of earlier --json dumps, grouped by dataset (stable within one)."""
    fields = set(Row.__dataclass_fields__)
    rows = [Row(**{k: v for k, v in raw.items() if k in fields})
            for path in paths for raw in json.loads(Path(path).read_text())]
    return sorted(rows, key=lambda r: r.dataset)


def report(args, command: str, rows: list[Row], notes: list[str]) -> int:
    print("\n" + format_table(rows))
    for note in notes:
        print(note)
    if args.json:
        args.json.write_text(json.dumps([{**r.__dict__, "predict_per_row": r.predict_per_row}
                                         for r in rows], indent=1))
    if args.write:
        title = args.title or f"Accuracy, {dt.date.today():%Y-%m-%d}"
        write_markdown(args.output, title, command, rows, notes, merged=bool(args.merge))
        print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

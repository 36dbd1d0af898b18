"""Measure the peak memory of real trainings next to `estimate_memory`'s estimate.

    .venv/bin/python -m tests.automl.memory_probe letter@balanced@1800 vehicle@high_speed

A spec is `<data>@<mode>[@<time budget>]`; data is a dataset of /work/shared/data (`letter`,
`adult`, ...) or `synthetic=<rows>x<cols>x<classes>[x<density>[x<categoricals>]]` (classes 0 =
regression; density < 1 makes it sparse). Each spec runs in a fresh process, which holds the
numeric block twice as the server does (the table read and the `Features`), and reports the
process's peak RSS during the training (VmHWM, reset once the data is built; imports and data
included) against the estimate.
Not a test (pytest does not collect it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


def _load(data: str):
    import numpy as np
    import scipy.sparse as sp

    from app.automl import Features

    if data.startswith("synthetic"):
        parts = data.split("=", 1)[1].split("x") if "=" in data else []
        rows, cols, classes = (int(v) for v in parts[:3])
        density = float(parts[3]) if len(parts) > 3 else 1.0
        n_cat = int(parts[4]) if len(parts) > 4 else 0
        rng = np.random.default_rng(0)
        if density < 1:  # (scipy.sparse.random would take GBs to draw the positions)
            nnz = int(rows * cols * density)
            X = sp.csr_matrix(
                (rng.random(nnz, dtype=np.float32),
                 (rng.integers(0, rows, nnz), rng.integers(0, cols, nnz))),
                shape=(rows, cols))
            signal = np.asarray(X[:, : min(cols, 10)].sum(axis=1)).ravel()
        else:
            X = rng.standard_normal((rows, cols), dtype=np.float32)
            signal = X[:, : min(cols, 10)].sum(axis=1)
        signal = signal + rng.standard_normal(rows)
        if classes:
            edges = np.quantile(signal, np.linspace(0, 1, classes + 1)[1:-1])
            y = np.digitize(signal, edges).tolist()
        else:
            y = signal.tolist()
        cats = {f"c{k}": rng.choice([f"v{i}" for i in range(30)], rows).tolist()
                for k in range(n_cat)}
        return Features(X, [], cats), y, "classification" if classes else "regression"
    import pandas as pd

    frame = pd.read_csv(DATA / f"{data}.csv.gz")
    y = frame.pop("target").tolist()
    strings = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
    cats = {c: frame[c].tolist() for c in strings}
    numeric = frame.drop(columns=strings).to_numpy(dtype=np.float32)
    task = "regression" if data in ("california_houses", "abalone", "cpu_act") else "classification"
    return Features(numeric, [str(c) for c in frame.columns if c not in strings], cats), y, task


def _status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


def _reset_peak() -> None:
    """Start VmHWM (the peak RSS) again from the current RSS (Linux 4.0+)."""
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")


def _probe(spec: str) -> dict:
    import gc
    import time

    from app.automl import train
    from app.automl.labels import LabelCodec
    from app.automl.resources import estimate_memory, shape_of

    data, mode, *rest = spec.split("@")
    budget = float(rest[0]) if rest else None
    X, y, task = _load(data)
    held = X.numeric.copy()  # the server's table, next to the Features built from it
    codec = LabelCodec(task)
    codec.fit_encode(y)
    shape = shape_of(X.numeric, len(X.categorical), len(codec.classes_), X.n_rows)
    estimate = estimate_memory(shape, mode)
    gc.collect()
    _reset_peak()  # what building the data took is not the training's
    before = _status("VmRSS")
    start = time.monotonic()
    result = train(X, y, task=task, mode=mode, time_budget=budget)
    peak = _status("VmHWM")
    del held
    return {
        "spec": spec,
        "rows": shape.n_rows,
        "cols": shape.n_cols,
        "nnz": shape.nnz,
        "classes": shape.n_classes,
        "seconds": round(time.monotonic() - start, 1),
        "candidates": len(result.leaderboard),
        "before_mb": before // 2**20,
        "peak_mb": peak // 2**20,
        "estimate_mb": estimate.total // 2**20,
        "ratio": round(estimate.total / peak, 2),
        "parts_mb": {k: v // 2**20 for k, v in estimate.parts.items()},
    }


def main(specs: list[str]) -> None:
    if specs and specs[0] == "--child":
        print(json.dumps(_probe(specs[1])))
        return
    for spec in specs:
        done = subprocess.run(
            [sys.executable, "-m", "tests.automl.memory_probe", "--child", spec],
            capture_output=True, text=True, cwd=Path(__file__).resolve().parents[2],
        )
        lines = done.stdout.strip().splitlines()
        print(lines[-1] if done.returncode == 0 and lines else
              json.dumps({"spec": spec, "error": done.stderr.strip()[-800:]}), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])

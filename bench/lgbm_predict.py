"""LightGBM prediction: the whole model per row (LightGBM's own) vs blocks of trees (ours).

`FittedLGBM.predict` sums the raw scores of blocks of `PREDICT_BLOCK_TREES` trees so that a
block stays in the CPU cache while every row walks it. This prints, for model shapes like
those high_accuracy trains (1 thread), the seconds of both ways for the same rows and their
ratio (LightGBM's own / ours: above 1 = ours faster), and the largest difference.

Usage:
    python bench/lgbm_predict.py [--rows 4000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import lightgbm as lgb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.automl.models import FitContext, LGBMLearner  # noqa: E402
from app.automl.models.lgbm import PREDICT_BLOCK_TREES  # noqa: E402

SHAPES = [  # (classes, leaves, rounds): 0 classes = regression
    (2, 7, 1500),
    (2, 31, 1000),
    (2, 127, 500),
    (0, 31, 2000),
    (4, 63, 500),
    (26, 127, 300),
]


def best_of(repeat: int, fn, *args, **kwargs) -> tuple[float, np.ndarray]:
    """The fastest of `repeat` timed calls, and what the call returned."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn(*args, **kwargs)
        times.append(time.perf_counter() - start)
    return min(times), out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--rows", type=int, default=4000, help="rows to predict")
    p.add_argument("--repeat", type=int, default=3, help="best of this many timings")
    args = p.parse_args(argv)
    rng = np.random.default_rng(0)
    print(f"block: {PREDICT_BLOCK_TREES} trees; {args.rows} rows; 1 thread; best of {args.repeat}")
    print("| classes | leaves | rounds | trees | LightGBM s | blocks s | ratio | max diff |")
    print("|---|---|---|---|---|---|---|---|")
    for n_classes, leaves, rounds in SHAPES:
        X = rng.random((16_000, 16))
        signal = X[:, 0] * 3 + np.sin(6 * X[:, 1]) + X[:, 2] * X[:, 3]
        if n_classes:
            y = np.digitize(signal, np.quantile(signal, np.linspace(0, 1, n_classes + 1)[1:-1]))
        else:
            y = signal + rng.normal(0, 0.3, len(signal))
        task = "classification" if n_classes else "regression"
        ctx = FitContext(task, n_classes, (), 0, 1)
        params = {"num_leaves": leaves, "min_data_in_leaf": 2, "learning_rate": 0.05}
        fitted = LGBMLearner("bench", params=params, max_rounds=rounds,
                             early_stopping=None).fit(ctx, X, y)
        T = rng.random((args.rows, 16))
        booster: lgb.Booster = fitted.booster
        theirs_s, theirs = best_of(args.repeat, booster.predict, T, num_threads=1)
        ours_s, ours = best_of(args.repeat, fitted.predict, T)
        if n_classes == 2:
            theirs = np.column_stack([1 - theirs, theirs])
        diff = float(np.abs(ours - theirs).max())
        trees = rounds * (n_classes if n_classes > 2 else 1)
        print(
            f"| {n_classes or 'regression'} | {leaves} | {rounds} | {trees} | {theirs_s:.3f} "
            f"| {ours_s:.3f} | {theirs_s / ours_s:.2f} | {diff:.1e} |",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

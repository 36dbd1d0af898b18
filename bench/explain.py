"""Cost of explain: true: per-row time of predicting with and without explanations.

For each dataset (the accuracy benchmark's data and split) and each family, a one-member model
is fitted on the training split (LightGBM 300 rounds of 31 leaves, CatBoost 300 rounds of
depth 6, the linear model), then the same test rows are predicted by `FittedModel.evaluate`
(what automl_predict does) and explained by `FittedModel.explain` (what explain: true adds),
best of 3 each, one thread. The ratio is (predict + explain) / predict, measured in the same
run.

Usage:
    python bench/explain.py [--datasets adult,vehicle,california_houses] [--rows 1000]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("AUTOML_TRAIN_THREADS", "1")

import accuracy as acc  # noqa: E402

from app.automl.features import FeatureEncoder  # noqa: E402
from app.automl.labels import LabelCodec  # noqa: E402
from app.automl.model import FittedModel, Member  # noqa: E402
from app.automl.models import (  # noqa: E402
    CatBoostLearner,
    FitContext,
    LGBMLearner,
    LinearLearner,
)

FAMILIES = {
    "lgbm": LGBMLearner("lgbm", params={"num_leaves": 31, "learning_rate": 0.05}, max_rounds=300,
                        early_stopping=None),
    "catboost": CatBoostLearner("catboost", params={"depth": 6}, max_rounds=300,
                                early_stopping=None),
    "linear": LinearLearner(),
}


def best_of(fn, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def run(name: str, rows: int) -> list[str]:
    tasks = acc.readme_tasks(acc.DEFAULT_DATA)
    ds = acc.load_dataset(next(iter(acc.discover(acc.DEFAULT_DATA, [name]))), tasks.get(name))
    task = "regression" if ds.kind == "regression" else "classification"
    labels = LabelCodec(task)
    y = labels.fit_encode(ds.train["target"].tolist())
    encoder = FeatureEncoder()
    M = encoder.fit_transform(acc.to_features(ds, ds.train))
    ctx = FitContext(task, len(labels.classes_), tuple(encoder.categorical_indices_), 0, 1)
    test = acc.to_features(ds, ds.test.head(rows))
    n = test.n_rows
    lines = []
    for family, learner in FAMILIES.items():
        model = FittedModel(encoder, labels, [Member(family, 1.0, [learner.fit(ctx, M, y)])])
        plain = best_of(lambda model=model: model.evaluate(test, None))
        explained = best_of(lambda model=model: model.explain(test))
        lines.append(
            f"| {name} ({ds.kind}, {len(encoder.feature_names_)} features"
            + (f", {len(labels.classes_)} classes" if len(labels.classes_) > 2 else "")
            + f") | {family} | {n} | {plain / n * 1e6:.1f} | {(plain + explained) / n * 1e6:.1f}"
            f" | {(plain + explained) / plain:.1f}x |")
        print(lines[-1], flush=True)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--datasets", default="adult,vehicle,california_houses")
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    print(acc.machine())
    print(time.strftime("%Y-%m-%d", time.gmtime()))
    print("| dataset | family | rows | predict µs/row | predict + explain µs/row | ratio |")
    print("|---|---|---|---|---|---|")
    for name in args.datasets.split(","):
        run(name, args.rows)


if __name__ == "__main__":
    main()

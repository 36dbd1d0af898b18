"""Does each model family earn its place? One learner at a time, on the accuracy split.

For each dataset (same data, split and scoring as `accuracy.py`), each learner below is
cross-validated alone on the training split with the engine's own folds (5-fold, seed 0) and
selection metric (binary: ROC AUC, multiclass: log loss, regression: MSE), then scored on the
test split twice: refitted on all training rows (what balanced does) and as the bag of its
fold models (what high_accuracy does). Ratios are against `lgbm_default` in the same run
(above 1 = better, for every metric). `refit s`: the refit's seconds; `predict cost`: the refit
model's `predict_cost()` (work a row, in LightGBM trees of 31 leaves). Besides the portfolio's
learners, extra_trees, random_forest, knn_uniform and knn_distance (not in the portfolio) can
be named.

Usage:
    python bench/families.py [--datasets credit_g,vehicle] [--learners lgbm_default,catboost]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("AUTOML_TRAIN_THREADS", "1")

import accuracy as acc  # noqa: E402

from app.automl.features import FeatureEncoder  # noqa: E402
from app.automl.labels import LabelCodec  # noqa: E402
from app.automl.metrics import selection_scorer  # noqa: E402
from app.automl.models import CatBoostLearner, FitContext  # noqa: E402
from app.automl.models.forest import ForestLearner  # noqa: E402
from app.automl.models.knn import KNNLearner  # noqa: E402
from app.automl.portfolio import plan_for  # noqa: E402
from app.automl.search import cross_validate  # noqa: E402
from app.automl.validation import make_folds  # noqa: E402

DEFAULT_LEARNERS = "lgbm_default,lgbm_large,lgbm_random_forest,linear,catboost"


def learners_for(n_rows: int, n_cols: int, n_classes: int) -> dict:
    plan = plan_for("high_accuracy", n_rows, n_cols, n_classes)
    found = {learner.name: learner for learner in plan.learners + plan.extra_learners}
    # Shown even where the plan leaves it out (many classes), to see what that costs.
    found.setdefault("catboost", CatBoostLearner("catboost", params={"learning_rate": 0.08},
                                                 max_rounds=3000, early_stopping=50))
    # Families not in the portfolio (yet): measured here to decide.
    regression = n_classes == 0
    for learner in (
        ForestLearner("extra_trees", "extra_trees", 300,
                      max_features=1.0 if regression else "sqrt"),
        ForestLearner("random_forest", "random_forest", 300,
                      max_features=1.0 if regression else "sqrt"),
        KNNLearner("knn_uniform", k=10, weights="uniform"),
        KNNLearner("knn_distance", k=10, weights="distance"),
    ):
        found.setdefault(learner.name, learner)
    return found


def ratio(scorer, score: float, reference: float) -> float:
    """Above 1 = better than the reference, for higher- and lower-is-better metrics alike."""
    return score / reference if scorer.greater_is_better else reference / score


def run(name: str, wanted: list[str]) -> None:
    tasks = acc.readme_tasks(acc.DEFAULT_DATA)
    ds = acc.load_dataset(next(iter(acc.discover(acc.DEFAULT_DATA, [name]))), tasks.get(name))
    task = "regression" if ds.kind == "regression" else "classification"
    labels = LabelCodec(task)
    y = labels.fit_encode(ds.train["target"].tolist())
    if task == "classification":
        y_test = np.array([labels.classes_.index(labels.normalise(v)) for v in ds.test["target"]])
    else:
        y_test = ds.test["target"].to_numpy(dtype=float)
    train_features = acc.to_features(ds, ds.train)
    encoder = FeatureEncoder().fit(train_features)
    M, T = encoder.transform(train_features), encoder.transform(acc.to_features(ds, ds.test))
    n_classes = len(labels.classes_)
    ctx = FitContext(task, n_classes, tuple(encoder.categorical_indices_), 0, 1)
    folds = make_folds(y, task, 5, None, 0)
    scorer = selection_scorer(task, n_classes)
    available = learners_for(M.shape[0], M.shape[1], n_classes)
    reference = None
    for learner_name in wanted:
        learner = available.get(learner_name)
        if learner is None:
            continue
        start = time.monotonic()
        result = cross_validate(learner, ctx, M, y, folds, scorer)
        cv_seconds = time.monotonic() - start
        start = time.monotonic()
        refit_model = learner.fit(ctx, M, y, rounds=result.refit_rounds())
        refit_seconds = time.monotonic() - start
        refit = refit_model.predict(T)
        bag = np.mean([model.predict(T) for model in result.models], axis=0)
        scores = (result.score, scorer(y_test, refit), scorer(y_test, bag))
        reference = reference or scores
        ratios = [ratio(scorer, s, r) for s, r in zip(scores, reference, strict=True)]
        print(
            f"| {name} | {learner_name} | {scorer.name} | {scores[0]:.5g} | {scores[1]:.5g} "
            f"| {scores[2]:.5g} | {ratios[0]:.3f} | {ratios[1]:.3f} | {ratios[2]:.3f} "
            f"| {cv_seconds:.1f} | {refit_seconds:.1f} | {refit_model.predict_cost():.4g} |",
            flush=True,
        )


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", help="comma-separated names (default: all)")
    p.add_argument("--learners", default=DEFAULT_LEARNERS, help="the first is the reference")
    args = p.parse_args(argv)
    names = args.datasets.split(",") if args.datasets else None
    paths = acc.discover(acc.DEFAULT_DATA, names)
    print(
        "| dataset | learner | metric | cv | test refit | test bag | cv ratio | refit ratio "
        "| bag ratio | cv s | refit s | predict cost |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    for path in paths:
        run(path.name.split(".")[0], args.learners.split(","))
    return 0


if __name__ == "__main__":
    sys.exit(main())

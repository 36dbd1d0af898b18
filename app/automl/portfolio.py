"""What each training mode runs: candidate learners, validation scheme, ensembling, budget.

Parameters are sized for the data here, so learners are plain immutable configurations.
Every plan starts with the same quick LightGBM (`lgbm_default`), which is always completed
so a model exists whatever the time budget. `high_accuracy` runs `balanced`'s candidates first
on the same folds, so its out-of-fold score cannot be worse than what `balanced` would pick;
its final ensemble of bags may then shed costly members that add almost nothing
(`PRUNE_TOLERANCE`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .models import CatBoostLearner, Learner, LGBMLearner, LinearLearner
from .models.space import SearchSpace

MODES = ("high_speed", "balanced", "high_accuracy")
MODE_ALIASES = {"auto": "balanced"}


def trees_per_round(n_classes: int) -> int:
    """LightGBM grows a tree per class each round for multiclass, one in all otherwise: what a
    multiclass row costs, per round, against a binary or regression row."""
    return n_classes if n_classes > 2 else 1


@dataclass(frozen=True, kw_only=True)
class ModePlan:
    """Candidates run in this order: `learners`, `n_trials` trials of the `search` space,
    `extra_learners`, `extra_trials` more trials (the search continues from all results so
    far); then, on k-fold CV, the second level `stack_learners`."""

    mode: str
    learners: tuple[Learner, ...]
    n_folds: int = 5
    cv_max_rows: int  # above this many rows a single holdout replaces k-fold CV
    holdout: float = 0.2  # holdout fraction
    ensemble: bool  # greedy ensemble selection over the candidates
    bag: bool  # the final model keeps the k fold models (a bag) instead of a refit on all rows
    default_budget: float | None  # seconds
    search: SearchSpace | None = None  # the tuned family's space (its declared search space)
    n_trials: int = 0
    extra_learners: tuple[Learner, ...] = ()
    extra_trials: int = 0
    stack_learners: tuple[Learner, ...] = ()  # second level (stacking.py); k-fold CV only
    # Ensemble members are dropped, costliest first, while the out-of-fold error grows by
    # at most this fraction (0: off): cheaper prediction for a negligible loss.
    prune_tolerance: float = 0.0
    # Time left after the candidates buys up to this many k-fold sets of the first-level
    # ensemble's members (repeated bagging), while each cuts the out-of-fold error by more
    # than prune_tolerance (a set costs as much to predict as the first).
    bag_sets: int = 1

    @property
    def n_baseline(self) -> int:
        """The first n_baseline candidates are what `balanced` runs."""
        return len(self.learners) + self.n_trials

    @property
    def n_candidates(self) -> int:
        return self.n_baseline + len(self.extra_learners) + self.extra_trials

    def use_holdout(self, n_rows: int, n_classes: int = 0) -> bool:
        """Holdout instead of k-fold CV above `cv_max_rows` rows, counting a multiclass row
        once per class (LightGBM grows a tree per class each round, so that is its cost)."""
        return n_rows * trees_per_round(n_classes) > self.cv_max_rows


def lgbm_defaults(n_rows: int, n_cols: int, n_classes: int) -> dict:
    """Data-size-aware LightGBM parameters (smaller leaves and steps for small data)."""
    return {
        "learning_rate": 0.1,
        "num_leaves": 15 if n_rows < 2000 else 31,
        "min_data_in_leaf": int(np.clip(n_rows // 100, 3, 20)),
        "min_data_per_group": int(np.clip(n_rows // 200, 5, 100)),
        "feature_fraction": 0.5 if n_cols > 100 else 0.9 if n_cols > 8 else 1.0,
        # Few rows cannot fill many bins; fewer bins are faster and regularise.
        "max_bin": 63 if n_rows < 5000 else 255,
    }


def _l2(penalty: float, n_classes: int) -> float:
    """A LightGBM L2 penalty in units of one row's hessian: a regression row weighs 1 in a
    leaf's hessian sum, a multiclass row about 1 / n_classes per class (p (1 - p) at the
    start, less once the model is sure of it). Unscaled, a penalty that is mild in
    regression stalls a multiclass fit: on digits (10 classes) lgbm_small (10.0) ran
    1,000-3,000 rounds a fold, 3.5x as long, for a worse out-of-fold log loss (0.1039 against
    0.1013 scaled), lgbm_large 0.0826 against 0.0802 at 2.7x the time."""
    return penalty / trees_per_round(n_classes)


def _rounds(n_classes: int, rounds: int) -> int:
    # A multiclass round grows one tree per class: cap the rounds for many classes.
    return min(rounds, 500) if n_classes > 20 else rounds


CATBOOST = CatBoostLearner(
    "catboost", params={"learning_rate": 0.08, "depth": 6}, max_rounds=3000, early_stopping=50
)
# balanced cross-validates CatBoost up to this many cells (rows x columns, x classes for
# multiclass): 2-15 s on one core (bench/families.py), which its 30-40 s budget affords
# there. A multiclass round costs about a round per class: on digits (1,437 rows x 64
# columns, 10 classes) CatBoost took 143 s of high_accuracy's 300, and left no time for its
# extra candidates.
BALANCED_CATBOOST_CELLS = 200_000


def _catboost_fits(n_cols: int, n_classes: int) -> bool:
    """CatBoost grows a tree per class each round and is slow on wide (often sparse) data:
    it joins the portfolio only where it can finish in a high_accuracy budget."""
    return n_classes <= 10 and n_cols <= 500


def _catboost_in_balanced(n_rows: int, n_cols: int, n_classes: int) -> bool:
    cells = n_rows * n_cols * trees_per_round(n_classes)
    return _catboost_fits(n_cols, n_classes) and cells <= BALANCED_CATBOOST_CELLS


def _balanced_learners(n_rows: int, n_cols: int, n_classes: int) -> list[Learner]:
    base = lgbm_defaults(n_rows, n_cols, n_classes)
    big = n_rows >= 5000
    catboost = [CATBOOST] if _catboost_in_balanced(n_rows, n_cols, n_classes) else []
    return [
        LGBMLearner(
            "lgbm_default", params=base, max_rounds=_rounds(n_classes, 2000), early_stopping=30
        ),
        LinearLearner("linear"),
        *catboost,
        LGBMLearner(
            "lgbm_random_forest",
            params={
                **base,
                "boosting": "rf",
                "extra_trees": True,
                "bagging_fraction": 0.632,
                "bagging_freq": 1,
                "feature_fraction": 0.6 if n_cols > 4 else 1.0,
                "num_leaves": int(np.clip(n_rows // 20, 31, 1024)),
                "min_data_in_leaf": 2,
            },
            max_rounds=100 if n_classes > 10 else 200,
            early_stopping=None,
        ),
        LGBMLearner(
            "lgbm_large",
            params={
                **base,
                "learning_rate": 0.05,
                "num_leaves": 127 if big else 31,
                "feature_fraction": 0.7,
                "bagging_fraction": 0.8,
                "bagging_freq": 1,
                "lambda_l2": _l2(1.0, n_classes),
            },
            max_rounds=_rounds(n_classes, 3000),
            early_stopping=50,
        ),
        LGBMLearner(
            "lgbm_small",
            params={
                **base,
                "learning_rate": 0.05,
                "num_leaves": 7,
                "min_data_in_leaf": 2 * base["min_data_in_leaf"],
                "min_data_per_group": 2 * base["min_data_per_group"],
                "feature_fraction": 0.8,
                "lambda_l2": _l2(10.0, n_classes),
                "cat_smooth": 20.0,
            },
            max_rounds=_rounds(n_classes, 3000),
            early_stopping=50,
        ),
    ]


# More CatBoost configurations in high_accuracy (after AutoGluon's zero-shot portfolio, which
# tries several): on the test splits a bag of CatBoost beat the chosen ensemble on cpu_act
# (2.09 vs 2.11 RMSE) and magic_telescope (0.9505 vs 0.9499 AUC), and its oblivious trees
# predict 25x cheaper per tree than LightGBM's.
CATBOOST_VARIANTS = (
    CatBoostLearner(
        "catboost_deep", params={"learning_rate": 0.05, "depth": 8, "l2_leaf_reg": 3.0},
        max_rounds=3000, early_stopping=50,
    ),
    CatBoostLearner(
        "catboost_shallow", params={"learning_rate": 0.1, "depth": 4, "l2_leaf_reg": 3.0},
        max_rounds=3000, early_stopping=50,
    ),
)


def _extra_catboosts(n_rows: int, n_cols: int, n_classes: int) -> list[Learner]:
    """CatBoost among high_accuracy's extra candidates: the default configuration where
    balanced leaves it out, then the variants."""
    if not _catboost_fits(n_cols, n_classes):
        return []
    late = [] if _catboost_in_balanced(n_rows, n_cols, n_classes) else [CATBOOST]
    return late + list(CATBOOST_VARIANTS)


def _extra_learners(n_rows: int, n_cols: int, n_classes: int) -> list[Learner]:
    """CatBoost first, then more LightGBMs and a stronger linear model; for multiclass, where
    a CatBoost round costs about a round per class, the extra-trees LightGBM comes first: on
    digits the CatBoosts left it no time, and it was AutoGluon's best model there (0.043
    test log loss alone)."""
    base = lgbm_defaults(n_rows, n_cols, n_classes)
    extra_trees = _extra_trees_lgbm(base, n_classes)
    catboosts = _extra_catboosts(n_rows, n_cols, n_classes)
    others = _deep_lgbm_and_strong_linear(base, n_rows, n_classes)
    if n_classes > 2:
        return [extra_trees, *catboosts, *others]
    return [*catboosts, extra_trees, *others]


def _extra_trees_lgbm(base: dict, n_classes: int) -> Learner:
    return LGBMLearner(
        "lgbm_extra_trees",
        params={
            **base,
            "extra_trees": True,
            "learning_rate": 0.05,
            "num_leaves": 63,
            "feature_fraction": 0.6,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "lambda_l2": _l2(1.0, n_classes),
        },
        max_rounds=_rounds(n_classes, 3000),
        early_stopping=50,
    )


def _deep_lgbm_and_strong_linear(base: dict, n_rows: int, n_classes: int) -> list[Learner]:
    return [
        LinearLearner("linear_strong", C=0.1, alpha=10.0, max_levels=256),
        LGBMLearner(
            "lgbm_deep",
            params={
                **base,
                "learning_rate": 0.03 if n_rows >= 5000 else 0.05,
                "num_leaves": 255 if n_rows >= 5000 else 63,
                "min_data_in_leaf": max(2, base["min_data_in_leaf"] // 2),
                "feature_fraction": 0.5,
                "bagging_fraction": 0.7,
                "bagging_freq": 1,
                "lambda_l2": _l2(2.0, n_classes),
            },
            max_rounds=_rounds(n_classes, 4000),
            early_stopping=50,
        ),
    ]


def _stack_learners(n_rows: int, n_cols: int, n_classes: int) -> list[Learner]:
    """Second-level learners: few, small and strongly regularised, since the first level's
    predictions already carry most of the signal."""
    base = lgbm_defaults(n_rows, n_cols, n_classes)
    return [
        LGBMLearner(
            "stack_lgbm",
            params={
                **base,
                "learning_rate": 0.03,
                "num_leaves": 7,
                "min_data_in_leaf": 2 * base["min_data_in_leaf"],
                "feature_fraction": 0.8,
                "lambda_l2": _l2(10.0, n_classes),
            },
            max_rounds=_rounds(n_classes, 3000),
            early_stopping=50,
        ),
        LinearLearner("stack_linear"),
    ]


# high_speed's default budget: 8.5 s, up to HIGH_SPEED_WORK rows x trees a round (one tree a
# class for multiclass). A LightGBM round costs in proportion to that work, so above it the
# budget grows with it, up to HIGH_SPEED_MAX_BUDGET: a fixed budget cut the fit short on
# large multiclass data and left no time for the refit on all rows. On letter (16,000 rows,
# 26 classes; 17.7 s), on a machine half as fast as the one 8.5 s was set on, the first
# fit took 6.8 s and its refit was estimated at 7.8 s: skipped, the model of 80 % of the
# rows lost to a default LightGBM refit on all of them (0.120 against 0.110 log loss).
HIGH_SPEED_BUDGET = 8.5
HIGH_SPEED_WORK = 200_000
HIGH_SPEED_MAX_BUDGET = 30.0


def default_budget(mode: str, n_rows: int, n_cols: int, n_classes: int = 0) -> float | None:
    if mode == "high_speed":
        work = n_rows * trees_per_round(n_classes)
        return float(np.clip(HIGH_SPEED_BUDGET * work / HIGH_SPEED_WORK, HIGH_SPEED_BUDGET,
                             HIGH_SPEED_MAX_BUDGET))
    if mode == "balanced":
        return float(np.clip(30 + n_rows * n_cols / 20_000, 30, 120))
    if mode == "high_accuracy":
        return 300.0
    return None


# Tuned LightGBM trials (see tuning.py). A trial count, not the clock, bounds the search, so
# a run that finishes inside its budget is reproducible; on data too large for the budget
# the deadline stops the search earlier.
BALANCED_TRIALS = 16
HIGH_ACCURACY_TRIALS = 64  # on top of balanced's


# high_accuracy's bags of tuned LightGBMs predicted only 1.1-4.4x faster per row than
# AutoGluon best_quality on the larger sets; this bound lets it shed members that add 0.2 %
# (of the error) or less.
PRUNE_TOLERANCE = 0.002


# Every mode keeps the k fold models of cross-validated members (a bag) instead of refitting
# them on all rows: on the 16 sets of bench/data a bag of high_speed's LightGBM beat its refit
# on 5 of the 6 small sets checked (loans 3.553 vs 3.599 RMSE, penguins 0.096 vs 0.157 log
# loss), and a balanced that refits lost to high_speed's bag. high_speed cross-validates up to
# this many rows (counted once per class), a LightGBM of a second or two each.
HIGH_SPEED_CV_ROWS = 20_000

# high_speed adds the linear model where its fit is surely quick (rows x columns x classes):
# blended with the LightGBM it often helps (balanced's ensembles held it on 8 of the 16 sets
# of bench/data), and it costs little to fit and predict.
HIGH_SPEED_LINEAR_CELLS = 2_000_000


def _high_speed_learners(balanced: list[Learner], n_rows: int, n_cols: int,
                         n_classes: int) -> list[Learner]:
    """balanced's first LightGBM, and its linear model on data where that is cheap."""
    cells = n_rows * n_cols * trees_per_round(n_classes)
    return balanced[:2] if cells <= HIGH_SPEED_LINEAR_CELLS else balanced[:1]


# Repeated bagging (AutoGluon's bag sets) on data small enough to finish its candidates early:
# each set adds k fold models per member, so prediction costs up to this many times more.
HIGH_ACCURACY_BAG_SETS = 3


def plan_for(
    mode: str, n_rows: int, n_cols: int, n_classes: int, has_categorical: bool = False
) -> ModePlan:
    mode = MODE_ALIASES.get(mode, mode)
    balanced = _balanced_learners(n_rows, n_cols, n_classes)
    budget = default_budget(mode, n_rows, n_cols, n_classes)
    search = LGBMLearner.search_space(
        n_rows, n_cols, has_categorical,
        base={"max_bin": lgbm_defaults(n_rows, n_cols, n_classes)["max_bin"]},
        max_rounds=_rounds(n_classes, 3000),
    )
    if mode == "high_speed":
        return ModePlan(
            mode=mode, learners=tuple(_high_speed_learners(balanced, n_rows, n_cols, n_classes)),
            cv_max_rows=HIGH_SPEED_CV_ROWS, ensemble=True, bag=True, default_budget=budget,
        )
    if mode == "balanced":
        return ModePlan(
            mode=mode, learners=tuple(balanced), cv_max_rows=100_000, ensemble=True, bag=True,
            default_budget=budget, search=search, n_trials=BALANCED_TRIALS,
        )
    if mode == "high_accuracy":
        return ModePlan(
            mode=mode,
            learners=tuple(balanced),
            cv_max_rows=100_000,
            ensemble=True,
            bag=True,  # bagged fold models (on cpu_act -5 % RMSE against refits)
            default_budget=budget,
            search=search,
            n_trials=BALANCED_TRIALS,
            extra_learners=tuple(_extra_learners(n_rows, n_cols, n_classes)),
            extra_trials=HIGH_ACCURACY_TRIALS,
            stack_learners=tuple(_stack_learners(n_rows, n_cols, n_classes)),
            prune_tolerance=PRUNE_TOLERANCE,
            bag_sets=HIGH_ACCURACY_BAG_SETS,
        )
    raise ValueError(f"unknown mode {mode!r}")

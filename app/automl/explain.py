"""Per-row explanations and permutation importance of a fitted model.

**Raw score.** Each family has a raw score whose link gives its prediction: the log-odds of
the second class (binary), one margin per class whose softmax is the probabilities
(multiclass: LightGBM's and CatBoost's raw margins, the linear member's logits), or the
value itself (regression). A bagged member's raw score is the mean of its fold models'. An
ensemble blends its members' *probabilities* with its weights; its raw score is defined as the
same weighted sum of the members' raw scores. For one member that is exactly the member's raw
score (its link gives the prediction); for a regression ensemble it is the prediction; for a
classification blend it is a score in the members' common units, not the logit of the blended
probability (the two order rows alike in most cases, but need not).

**Contributions.** Per row, each input feature the model uses gets one number, and the base
value plus a row's contributions equals its raw score (to float rounding): LightGBM's and
CatBoost's tree SHAP values, the linear member's exact terms (coefficient x scaled value, the
one-hot terms of an attribute summed; its base is the intercept), each averaged over a bag and
blended with the ensemble's weights. The encoded columns are one per input feature (kept
numeric columns, then categorical attributes), so no other mapping is needed.

A stacked member (high_accuracy) also reads the predictions of the first level's members
(its stack inputs). Only where those columns enter its raw score linearly can they be passed
back exactly: a regression whose stacked members are linear. Its term on a prediction column is
slope x prediction + constant, and the prediction is that input member's base value plus its
contributions, so each feature gets slope x its contribution in that member and the base the
rest. A classification stack reads probabilities (not additive in the features) and a tree
stacker (stack_lgbm) splits on the predictions, so those models are refused (`ExplainRefused`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .features import Features
from .metrics import THRESHOLD_METRICS, Scorer, label_score, selection_scorer
from .stacking import stack_features

# Explaining costs time and memory per row and per feature (tree SHAP walks every path of
# every tree: a 300-tree LightGBM model took 9 ms a row on one core, 300 times its predict;
# BENCHMARKS.md), and a request holds a worker: at most this many rows a request,
MAX_EXPLAIN_ROWS = 1_000
# and at most this many numbers (rows x features x scores; one score, or one per class).
MAX_EXPLAIN_VALUES = 5_000_000

# Permutation importance: a seeded sample of at most this many labelled rows, each feature
# shuffled this many times, for at most this many features (the largest by gain).
PERMUTATION_ROWS = 5_000
PERMUTATION_REPEATS = 5
PERMUTATION_FEATURES = 256
PERMUTATION_SEED = 0


class ExplainRefused(ValueError):
    """The model cannot be explained exactly, or the request is too large; the message says
    why. `too_large` tells a request to split from a model that cannot be explained."""

    def __init__(self, message: str, too_large: bool = False):
        super().__init__(message)
        self.too_large = too_large


@dataclass
class Explanation:
    """`contributions`: (n, n_features) for regression and binary, (n, n_classes, n_features)
    for multiclass; `base_value`: a number, or one per class."""

    features: list[str]
    base_value: float | list[float]
    contributions: np.ndarray
    space: str  # "value" | "log_odds" | "margin"

    def raw_scores(self) -> np.ndarray:
        return self.contributions.sum(axis=-1) + np.asarray(self.base_value)


def check_explainable(model, n_rows: int) -> None:
    """Raise ExplainRefused when `model` has a stacked member in use, a member in use of a
    family without exact contributions (forest, knn), or `n_rows` is too many."""
    _check_families(model)
    for member in model.members:
        if not member.stacked or member.weight <= 0:
            continue
        if model.task != "regression":
            raise ExplainRefused(
                "explain is not available for a stacked classification ensemble "
                f"(high_accuracy): its second level ('{member.name}') reads other members' "
                "probabilities, which are not additive in the input features, so no exact "
                "per-feature contributions exist; predict without explain, or explain a model "
                "trained with high_speed or balanced")
        if any(c.family != "linear" for c in member.components):
            raise ExplainRefused(
                f"explain is not available for this stacked ensemble (high_accuracy): its "
                f"second level ('{member.name}') is a tree model splitting on other members' "
                "predictions, whose contributions cannot be passed back to the input features "
                "exactly; predict without explain, or explain a model trained with high_speed "
                "or balanced")
    n_scores = len(model.classes_) if len(model.classes_) > 2 else 1
    n_features = len(model.encoder.feature_names_)
    if n_rows > MAX_EXPLAIN_ROWS:
        raise ExplainRefused(
            f"explain: true explains at most {MAX_EXPLAIN_ROWS} rows a request; got {n_rows}. "
            "Split the rows into several requests", too_large=True)
    if n_rows * n_features * n_scores > MAX_EXPLAIN_VALUES:
        most = max(1, MAX_EXPLAIN_VALUES // (n_features * n_scores))
        raise ExplainRefused(
            f"explain: true answers at most {MAX_EXPLAIN_VALUES} contributions a request "
            f"(rows x {n_features} features" + (f" x {n_scores} classes" if n_scores > 1 else "")
            + f"); send at most {most} rows a request", too_large=True)


def _check_families(model) -> None:
    """Every member whose contributions would be summed (weighted first-level members, and a
    stack's inputs) must have a family that gives them (`contributions`)."""
    used = [m for m in model.members if m.weight > 0 and not m.stacked]
    if any(m.stacked and m.weight > 0 for m in model.members):
        used += [model.members[i] for i in model.stack_inputs]
    for member in used:
        for component in member.components:
            if not hasattr(component, "contributions"):
                raise ExplainRefused(
                    f"explain is not available for this model: member '{member.name}' is of "
                    f"family '{component.family}', which has no exact per-feature "
                    "contributions; predict without explain (permutation importance still "
                    "works)")


def explain(model, X: Features) -> Explanation:
    """Per-row contributions of the input features to the ensemble's raw score (module doc)."""
    n_rows = X.n_rows
    check_explainable(model, n_rows)
    names = model.encoder.feature_names_
    n_cols = len(names)
    multiclass = len(model.classes_) > 2
    shape = (n_rows, len(model.classes_), n_cols + 1) if multiclass else (n_rows, n_cols + 1)
    total = np.zeros(shape)
    if n_rows:
        M = model.encoder.transform(X)
        if any(m.stacked and m.weight > 0 for m in model.members):
            total += _stacked_contributions(model, M, n_cols)
        for member in model.members:
            if member.weight <= 0 or member.stacked:
                continue
            for component in member.components:
                part = component.contributions(M)
                if part.shape != shape:
                    raise ExplainRefused(
                        f"member '{member.name}' gives contributions of shape {part.shape}, "
                        f"expected {shape}; the model cannot be explained")
                total += (member.weight / len(member.components)) * part
    # Each family's base (expected value, intercept) is the same for every row; row 0's is
    # reported (other rows' equal it to rounding, the same sum in another order).
    base = total[0, ..., -1] if n_rows else np.zeros(total.shape[1:-1])
    base_value: float | list[float] = base.tolist() if multiclass else float(base)
    contributions = total[..., :-1]
    space = "margin" if multiclass else ("log_odds" if model.task == "classification"
                                         else "value")
    return Explanation(list(names), base_value, contributions, space)


@dataclass
class PermutationImportance:
    feature: str
    importance: float  # mean drop of the metric when the feature is shuffled
    std: float


@dataclass
class PermutationResult:
    metric: str
    num_rows: int
    n_repeats: int
    importances: list[PermutationImportance]


def permutation_importance(model, X: Features, truth: np.ndarray,
                           metric: str | None = None) -> PermutationResult:
    """How much the model's selection metric worsens when one feature's values are shuffled
    among held-out rows (scikit-learn's permutation_importance, on the encoded columns, which
    are one per input feature): mean and standard deviation over PERMUTATION_REPEATS seeded
    shuffles, on a seeded sample of at most PERMUTATION_ROWS rows, for the
    PERMUTATION_FEATURES features of largest gain; most important first.

    `truth`: the rows' labels as the model's codes (`labels.encode_truth`); unlabelled rows
    (NaN, or a negative class code) are left out. `metric`: the metric the model was
    selected by (its leaderboard's; None: the default, AUC / log loss / MSE).
    ValueError when no row is labelled."""
    truth = np.asarray(truth)
    if model.task == "regression":
        labelled = np.flatnonzero(~np.isnan(truth.astype(np.float64)))
    else:
        # Labels outside the model's classes cannot be scored by a probability metric.
        labelled = np.flatnonzero((truth >= 0) & (truth < len(model.classes_)))
    if not len(labelled):
        raise ValueError("no labelled rows to compute permutation importance on")
    rng = np.random.default_rng(PERMUTATION_SEED)
    if len(labelled) > PERMUTATION_ROWS:
        labelled = np.sort(rng.choice(labelled, PERMUTATION_ROWS, replace=False))
    M = model.encoder.transform(X)
    M = M[labelled]
    y = truth[labelled]
    if model.task == "classification":
        y = y.astype(np.int64)
    scorer = _scorer(model, metric)
    baseline = scorer(y, model.predict_encoded(M))
    names = model.encoder.feature_names_
    by_gain = {entry["feature"]: k for k, entry in enumerate(model.feature_importance())}
    order = sorted(range(len(names)), key=lambda j: by_gain.get(names[j], len(names)))
    chosen = order[:PERMUTATION_FEATURES]
    if sp.issparse(M):
        M = sp.csc_matrix(M)
    results = []
    for j in chosen:
        drops = []
        for _ in range(PERMUTATION_REPEATS):
            perm = rng.permutation(M.shape[0])
            if sp.issparse(M):
                score = scorer(y, model.predict_encoded(_shuffle_column(M, j, perm)))
            else:  # shuffled in place and put back: no copy of a wide matrix per shuffle
                column = M[:, j].copy()
                M[:, j] = column[perm]
                try:
                    score = scorer(y, model.predict_encoded(M))
                finally:
                    M[:, j] = column
            drops.append(baseline - score if scorer.greater_is_better else score - baseline)
        results.append(PermutationImportance(names[j], float(np.mean(drops)),
                                             float(np.std(drops))))
    results.sort(key=lambda r: -r.importance)
    return PermutationResult(scorer.name, len(labelled), PERMUTATION_REPEATS, results)


def _stacked_contributions(model, M, n_cols: int) -> np.ndarray:
    """The weighted contributions of a regression's stacked linear members (module doc)."""
    inputs = [model.members[i] for i in model.stack_inputs]
    # Each input's prediction is the mean of its components' (a bag, or one refit).
    parts = [sum(c.contributions(M) for c in member.components) / len(member.components)
             for member in inputs]
    Z = stack_features(M, [member.predict(M) for member in inputs])
    total = np.zeros((M.shape[0], n_cols + 1))
    for member in model.members:
        if not member.stacked or member.weight <= 0:
            continue
        for component in member.components:
            own = component.contributions(Z)  # features, one column per input, base
            slopes = component.slopes(Z.shape[1])
            out = np.concatenate([own[:, :n_cols], own[:, -1:]], axis=1)
            for s, part in enumerate(parts):
                slope, term = slopes[n_cols + s], own[:, n_cols + s]
                passed = slope * part[:, :n_cols]
                out[:, :n_cols] += passed
                out[:, -1] += term - passed.sum(axis=1)  # slope x input base + constant
            total += (member.weight / len(member.components)) * out
    return total


def _scorer(model, metric: str | None) -> Scorer:
    """The selection metric's scorer. A threshold metric (accuracy, balanced_accuracy, f1)
    scores the labels the model predicts (its own decision threshold, if it has one), not the
    best threshold for the shuffled rows."""
    n_classes = len(model.classes_)
    scorer = selection_scorer(model.task, n_classes, metric)
    if metric not in THRESHOLD_METRICS:
        return scorer
    return Scorer(scorer.name, True,
                  lambda y, proba, weight=None: label_score(metric, y, model.decide(proba),
                                                            n_classes, weight))


def _shuffle_column(M, j: int, perm: np.ndarray):
    """Sparse (csc) `M` with column j's values in the order `perm`, as csr."""
    column = M[:, j].toarray().ravel()[perm]
    return sp.hstack([M[:, :j], sp.csc_matrix(column[:, None]), M[:, j + 1:]], format="csr")

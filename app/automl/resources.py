"""How much memory a training will need, estimated before anything is fitted.

`estimate_memory(shape, mode)` is a pure function of the data's shape (rows, the columns the
learners will see, stored entries of sparse data, classes) and of the mode's plan (which
families, how many candidates, folds, bags, a stack): a conservative sum of what the process
holds at its peak,

* the interpreter and libraries, and the data as the caller holds it (`input_bytes`, counted
  twice: servers keep the table read plus the `Features` built from it);
* the encoded matrix and, while it is built, its temporaries;
* the largest single fit: a fold's copy of the rows plus, for LightGBM, its binned dataset,
  the values sampled to find bins, the histogram pool (one histogram per leaf, 16 bytes per
  bin) and gradients; for the linear learner its imputed, scaled and one-hot encoded float64
  copies; for CatBoost its pool and quantised copy; for the stack the same on the features
  plus the first level's predictions (a float64 copy of the whole matrix);
* what accumulates over the run: each candidate's out-of-fold predictions (rows x classes x
  8 bytes) and fold models.

Each part's factor comes from measurements of peak RSS on real and synthetic data
(`python -m tests.automl.memory_probe`); the sum stays above every measured peak and within
2.5x of it (`tests/automl/test_resources.py` keeps the measurements). It is a guard against
trainings that cannot fit, not an accounting: what a run keeps depends on how early its
boosting stops, so a run may still use more than estimated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .errors import LimitExceeded
from .labels import MAX_CLASSES
from .models import CatBoostLearner, ForestLearner, KNNLearner, LGBMLearner, LinearLearner
from .models.forest import DEFAULT_PARAMS as FOREST_DEFAULTS
from .models.lgbm import HISTOGRAM_POOL_BYTES
from .portfolio import ModePlan, plan_for, trees_per_round
from .stacking import stack_input_count, stack_width

# Interpreter, numpy/scipy/sklearn/LightGBM/CatBoost and the server's own modules, plus the
# allocator's slack (measured: 215 MB after importing the server's training job, 190-250 MB
# at the end of small fits).
BASE_BYTES = 300 * 2**20
# LightGBM finds bins from a sample of this many rows (its bin_construct_sample_cnt).
LGBM_BIN_SAMPLE_ROWS = 200_000
# Bytes a fitted tree keeps per leaf: 70 measured (split and leaf arrays of a booster loaded
# from text), plus its text when the model is saved.
TREE_BYTES_PER_LEAF = 100
# While LightGBM grows a tree it holds arrays for `num_leaves` leaves, 81 bytes each (its Tree
# class), however few leaves the tree ends with; all trees of a fit until the fit ends.
TREE_BYTES_RESERVED_PER_LEAF = 81


@dataclass(frozen=True)
class Limits:
    """What one training may use, checked before anything is fitted. The names say how the
    caller sets each limit (an environment variable, say), for the refusal messages."""

    memory_bytes: int | None = None  # None: not checked
    max_classes: int = MAX_CLASSES
    memory_name: str = ""
    classes_name: str = ""


@dataclass(frozen=True)
class DataShape:
    """What the estimate needs to know about the training data."""

    n_rows: int
    n_numeric: int  # numeric columns the learners see (sparse: at most those that occur)
    n_categorical: int = 0
    n_classes: int = 0  # 0 for regression
    nnz: int | None = None  # stored entries of sparse numeric data; None when dense
    itemsize: int = 8  # bytes per numeric value
    input_bytes: int = 0  # the numeric data as the caller holds it

    @property
    def sparse(self) -> bool:
        return self.nnz is not None

    @property
    def n_cols(self) -> int:
        return self.n_numeric + self.n_categorical


@dataclass(frozen=True)
class MemoryEstimate:
    total: int  # bytes
    parts: dict[str, int] = field(default_factory=dict)  # the sum's terms, largest first

    @property
    def largest(self) -> str:
        return next(iter(self.parts), "")


def shape_of(numeric, n_categorical: int, n_classes: int, n_rows: int) -> DataShape:
    """The shape of a numeric block as the learners will see it: for sparse data only the
    columns holding a stored nonzero count (the engine drops the others)."""
    if numeric is None:
        return DataShape(n_rows, 0, n_categorical, n_classes, None, 8, 0)
    if sp.issparse(numeric):
        csr = sp.csr_matrix(numeric)
        held = csr.data.nbytes + csr.indices.nbytes + csr.indptr.nbytes
        nonzero = csr.data != 0
        used = len(np.unique(csr.indices[nonzero]))
        return DataShape(
            n_rows, used, n_categorical, n_classes, int(nonzero.sum()), csr.dtype.itemsize, held
        )
    block = np.asarray(numeric)
    itemsize = 4 if block.dtype == np.float32 else 8
    return DataShape(
        n_rows, int(block.shape[1]), n_categorical, n_classes, None, itemsize, block.nbytes
    )


def _outputs(shape: DataShape) -> int:
    """Columns of a prediction: one per class, one for regression."""
    return shape.n_classes if shape.n_classes else 1


def _trees_per_round(shape: DataShape) -> int:
    return trees_per_round(shape.n_classes)


def _matrix_bytes(shape: DataShape, n_rows: int, extra_dense: int = 0, itemsize=None) -> int:
    """An encoded matrix of `n_rows` rows (plus `extra_dense` dense float64 columns)."""
    size = itemsize or shape.itemsize
    cells = n_rows * shape.n_cols
    if shape.sparse:
        share = n_rows / max(shape.n_rows, 1)
        stored = shape.nnz * share + n_rows * shape.n_categorical
        body = stored * (size + 4) + 8 * (n_rows + 1)
        return int(body + n_rows * extra_dense * 12)
    return int(cells * size + n_rows * extra_dense * 8)


def _bins(shape: DataShape, n_rows: int, max_bin: int, width: int) -> int:
    """Total histogram bins LightGBM builds over `width` columns of `n_rows` rows: a bin
    holds at least 3 rows (its min_data_in_bin)."""
    per_column = min(max_bin + 1, n_rows // 3 + 2)
    dense_bins = width * per_column
    if shape.sparse:
        stored = shape.nnz * n_rows / max(shape.n_rows, 1)
        return int(min(dense_bins, stored / 3 + 2 * width + (width - shape.n_numeric) * max_bin))
    return int(dense_bins)


def _lgbm_fit(shape: DataShape, n_rows: int, learner: LGBMLearner, extra: int) -> int:
    """One LightGBM fit on `n_rows` rows (plus a validation fifth), `extra` dense columns:
    its binned data, the values sampled to find bins, histograms, gradients, and the trees
    it grows (each reserves room for `num_leaves` leaves until the fit ends)."""
    leaves = learner.params.get("num_leaves", 31)
    max_bin = learner.params.get("max_bin", 255)
    width = shape.n_cols + extra
    sample = min(n_rows, LGBM_BIN_SAMPLE_ROWS)
    if shape.sparse:
        share = n_rows / max(shape.n_rows, 1)
        binned = 5 * (shape.nnz * share + n_rows * shape.n_categorical) + n_rows * extra
        sampled = 12 * (shape.nnz * sample / max(shape.n_rows, 1) + sample * extra)
    else:
        binned = 1.25 * n_rows * width
        sampled = 12 * sample * width
    bins = _bins(shape, n_rows, max_bin, width)
    histograms = max(2 * bins * 16, min(leaves * bins * 16, HISTOGRAM_POOL_BYTES))
    # Per column: its bin mapper, group and buffers, and a histogram header per cached leaf
    # (measured: 3.5-4.8 kB a column on 50,000 sparse columns, 31 leaves).
    cached = max(2, min(leaves, HISTOGRAM_POOL_BYTES // max(bins * 16, 1)))
    columns = width * (4096 + 64 * cached)
    gradients = n_rows * _trees_per_round(shape) * 40
    grown = min(learner.max_rounds, _kept_rounds(learner) + (learner.early_stopping or 0))
    trees = grown * _trees_per_round(shape) * leaves * TREE_BYTES_RESERVED_PER_LEAF
    return int(binned + sampled + histograms + columns + gradients + trees)


def _linear_fit(shape: DataShape, n_rows: int, learner: LinearLearner, extra: int) -> int:
    """The linear learner: float64 copies of the numeric columns (imputed, scaled: about 6
    at once), as CSR (with one-hot columns, built through COO), and the solver's arrays."""
    numeric = shape.n_numeric + extra
    if shape.sparse:
        share = n_rows / max(shape.n_rows, 1)
        copies = 6 * 16 * shape.nnz * share + 6 * 16 * n_rows * extra
    else:
        copies = 6 * 8 * n_rows * numeric
    onehot = 0
    if shape.n_categorical:
        # hstack of the scaled block (dense becomes CSR: 12 bytes a cell, twice via COO)
        # and n_categorical one-hot blocks.
        onehot = 40 * n_rows * (numeric if not shape.sparse else extra) + 40 * n_rows * (
            shape.n_categorical
        )
        onehot += 8 * learner.max_levels * shape.n_categorical * _outputs(shape)
    solver = 6 * 8 * n_rows * _outputs(shape)
    return int(copies + onehot + solver)


def _catboost_fit(shape: DataShape, n_rows: int, learner: CatBoostLearner, extra: int) -> int:
    """CatBoost: a float copy (a frame when there are categoricals), its quantised pool,
    and per-row statistics of ordered boosting."""
    width = shape.n_cols
    copies = (12 if shape.n_categorical else 6) * n_rows * width
    return int(copies + 2 * n_rows * width + 120 * n_rows * _outputs(shape) + 64 * 2**20)


def _fit_peak(plan: ModePlan, shape: DataShape, n_rows: int, extra: int = 0, stack=False) -> int:
    """The most memory one fit of the plan's learners can take on `n_rows` rows."""
    learners = plan.stack_learners if stack else (*plan.learners, *plan.extra_learners)
    peak = 0
    for learner in learners:
        peak = max(peak, FIT_PEAK[learner.family](shape, n_rows, learner, extra))
    if not stack and plan.n_trials + plan.extra_trials:
        # The search's largest LightGBM: n_rows / 8 leaves, at most 512, and its smallest
        # learning rate, 0.02 (tuning.py).
        leaves = int(np.clip(shape.n_rows // 8, 8, 512))
        params = {**plan.search.base, "num_leaves": leaves, "learning_rate": 0.02}
        largest = LGBMLearner("trial", params=params, max_rounds=plan.search.max_rounds)
        peak = max(peak, _lgbm_fit(shape, n_rows, largest, extra))
    return peak


def _kept_rounds(learner: LGBMLearner) -> int:
    """Rounds an early-stopped LightGBM keeps, typically: about 40 / learning rate (the
    search's own guess), at most its maximum; a fixed-rounds one keeps them all."""
    if learner.early_stopping is None:
        return learner.max_rounds
    rate = learner.params.get("learning_rate", 0.1)
    return int(min(learner.max_rounds, max(300, 40 / rate)))


def _lgbm_model(shape: DataShape, n_rows: int, learner: LGBMLearner) -> int:
    """Trees of at most n_rows / min_data_in_leaf leaves."""
    params = learner.params
    leaves = min(params.get("num_leaves", 31), n_rows // params.get("min_data_in_leaf", 20))
    trees = _kept_rounds(learner) * _trees_per_round(shape)
    return int(trees * max(leaves, 2) * TREE_BYTES_PER_LEAF)


def _catboost_model(shape: DataShape, n_rows: int, learner: CatBoostLearner) -> int:
    """Oblivious trees: 2^depth leaf values per output and a split per level."""
    depth = learner.params.get("depth", 6)
    return int(learner.max_rounds * (2**depth * _outputs(shape) * 8 + depth * 16))


def _linear_model(shape: DataShape, n_rows: int, learner: LinearLearner) -> int:
    """Coefficients: per column (and per kept category) and output."""
    return int(16 * (shape.n_cols + 64 * shape.n_categorical) * _outputs(shape))


def _forest_leaves(n_rows: int, learner: ForestLearner) -> int:
    params = {**FOREST_DEFAULTS, **learner.params}
    return min(params["max_leaf_nodes"], max(2, n_rows // params["min_samples_leaf"]))


def _forest_model(shape: DataShape, n_rows: int, learner: ForestLearner) -> int:
    """Every tree's nodes (two per leaf), each a few arrays' entries and the leaf values."""
    nodes = 2 * _forest_leaves(n_rows, learner)
    return int(learner.n_estimators * nodes * (40 + 8 * _outputs(shape)))


def _forest_fit(shape: DataShape, n_rows: int, learner: ForestLearner, extra: int) -> int:
    """A dense float64 copy of the rows (scikit-learn's input, float32 inside), the forest."""
    copy = 12 * n_rows * (shape.n_cols + extra)
    return int(copy + 2 * _forest_model(shape, n_rows, learner))


def _knn_model(shape: DataShape, n_rows: int, learner: KNNLearner) -> int:
    """The stored rows: float32 scaled numeric columns and the targets."""
    rows = min(n_rows, learner.max_rows)
    return int(rows * (4 * shape.n_numeric + 8))


def _knn_fit(shape: DataShape, n_rows: int, learner: KNNLearner, extra: int) -> int:
    """float64 copies of the numeric block while it is imputed and scaled, and the model."""
    rows = min(n_rows, learner.max_rows)
    return int(3 * 8 * rows * (shape.n_numeric + extra) + _knn_model(shape, n_rows, learner))


# Each family's parts of the estimate, by `Learner.family`: the peak of one fit (shape, rows,
# the learner, extra dense columns) and the bytes of one fitted model (shape, rows, learner).
FIT_PEAK = {"lgbm": _lgbm_fit, "linear": _linear_fit, "catboost": _catboost_fit,
            "forest": _forest_fit, "knn": _knn_fit}
MODEL_BYTES = {"lgbm": _lgbm_model, "linear": _linear_model, "catboost": _catboost_model,
               "forest": _forest_model, "knn": _knn_model}


def _model_bytes(learners, shape: DataShape, n_rows: int) -> int:
    """One fitted model of each learner."""
    return int(sum(MODEL_BYTES[learner.family](shape, n_rows, learner) for learner in learners))


def _search_learners(plan: ModePlan, shape: DataShape) -> list[LGBMLearner]:
    """Stand-ins for the search's trials (tuning.py): the middle of its space on its log
    scales (sqrt(4 x the most leaves), learning rate 0.063)."""
    if plan.search is None:
        return []
    leaves = int(np.sqrt(4 * np.clip(shape.n_rows // 8, 8, 512)))
    params = {"num_leaves": leaves, "learning_rate": 0.063, "min_data_in_leaf": 14}
    trial = LGBMLearner("trial", params=params, max_rounds=plan.search.max_rounds)
    return [trial] * (plan.n_trials + plan.extra_trials)


def estimate_memory(shape: DataShape, mode: str) -> MemoryEstimate:
    """Bytes a training of `shape` in `mode` is expected to need at its peak (see the module
    docstring for what is counted)."""
    n = shape.n_rows
    plan = plan_for(mode, n, shape.n_cols, shape.n_classes, bool(shape.n_categorical))
    holdout = plan.use_holdout(n, shape.n_classes)
    k = 1 if holdout else plan.n_folds
    fit_rows = int(np.ceil(n * (1 - plan.holdout))) if holdout else int(np.ceil(n * (k - 1) / k))
    refit = not plan.bag or holdout
    rows = n if refit else fit_rows  # the largest fit: a refit on all rows, or a fold
    encoded = _matrix_bytes(shape, n)
    outputs = _outputs(shape)
    n_candidates = plan.n_candidates + len(plan.stack_learners)

    parts = {
        "libraries": BASE_BYTES,
        "input data": 2 * shape.input_bytes,
        "encoded matrix": encoded,
        # encoding: the selected columns before the category codes join them (dense), and
        # a boolean mask per cell
        "encoding": encoded + (0 if shape.sparse else n * shape.n_cols),
        "fold copy": encoded,
        "largest fit": _fit_peak(plan, shape, rows),
        "out-of-fold predictions": n_candidates * n * outputs * 8 + 4 * n * outputs * 8,
        "fold models": k * _model_bytes(
            [*plan.learners, *plan.extra_learners, *_search_learners(plan, shape),
             *plan.stack_learners], shape, fit_rows),
    }
    # Encoding happens before any fit: the two never overlap.
    parts["encoding"] = max(0, parts["encoding"] - parts["fold copy"] - parts["largest fit"])
    if plan.stack_learners and not holdout:
        task = "classification" if shape.n_classes else "regression"
        extra = stack_width(task, shape.n_classes, stack_input_count(shape.n_classes))
        stacked = _matrix_bytes(shape, n, extra, itemsize=8)
        stack_fit = 2 * stacked + _fit_peak(plan, shape, rows, extra, stack=True)
        # The stack runs after the first level: its fit replaces the first level's peak.
        parts["largest fit"] = max(parts["largest fit"] + parts["fold copy"], stack_fit)
        parts["fold copy"] = 0
    parts = {name: int(value) for name, value in parts.items() if value > 0}
    parts = dict(sorted(parts.items(), key=lambda kv: -kv[1]))
    return MemoryEstimate(int(sum(parts.values())), parts)


def format_bytes(n: float) -> str:
    """1.5 GB, 820 MB, 12 kB (powers of 1024, short units)."""
    for unit, size in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("kB", 2**10)):
        if n >= size:
            value = n / size
            return f"{value:.1f} {unit}" if value < 10 else f"{value:,.0f} {unit}"
    return f"{int(n)} bytes"


def _describe(shape: DataShape, mode: str) -> str:
    columns = f"{shape.n_cols:,} columns"
    if shape.sparse:
        columns = f"{shape.n_cols:,} used columns, {shape.nnz:,} stored values"
    task = f"{shape.n_classes:,} classes" if shape.n_classes else "regression"
    return f"{shape.n_rows:,} rows x {columns}, {task}, mode {mode}"


def check_memory(numeric, n_categorical: int, n_classes: int, mode: str,
                 limits: Limits) -> MemoryEstimate:
    """The estimate for this data; LimitExceeded, saying what to change, when it is above
    `limits.memory_bytes`."""
    shape = shape_of(numeric, n_categorical, n_classes,
                     numeric.shape[0] if numeric is not None else 0)
    estimate = estimate_memory(shape, mode)
    limit = limits.memory_bytes
    if limit is None or estimate.total <= limit:
        return estimate
    advice = ["fewer rows or columns"]
    if not shape.sparse and numeric is not None and numeric.size:
        if np.count_nonzero(numeric) < 0.5 * numeric.size:
            advice.append("a sparse dataset (most values here are zeros)")
    if mode != "high_speed" and estimate_memory(shape, "high_speed").total <= limit:
        advice.append("training_mode high_speed")
    named = f" ({limits.memory_name})" if limits.memory_name else ""
    largest = estimate.largest
    raise LimitExceeded(
        f"this training needs about {format_bytes(estimate.total)} ({_describe(shape, mode)}; "
        f"the largest part: {largest}, {format_bytes(estimate.parts[largest])}); the limit is "
        f"{format_bytes(limit)}{named}. Use " + ", ".join(advice[:-1])
        + (" or " if len(advice) > 1 else "") + advice[-1]
    )

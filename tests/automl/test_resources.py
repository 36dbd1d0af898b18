"""The memory estimate and the limits checked before anything is fitted."""

import ast
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from app.automl import DataShape, Features, LimitExceeded, Limits, estimate_memory, resources, train
from app.automl.portfolio import MODES, plan_for
from app.automl.resources import check_memory, format_bytes, shape_of

from .helpers import make_data

GB = 2**30


def _dense(rows, cols, classes=2, categorical=0):
    return DataShape(rows, cols, categorical, classes, None, 4, rows * cols * 4)


def test_more_data_more_memory():
    for mode in ("high_speed", "balanced", "high_accuracy"):
        base = estimate_memory(_dense(10_000, 50), mode).total
        assert estimate_memory(_dense(100_000, 50), mode).total > base
        assert estimate_memory(_dense(10_000, 500), mode).total > base
        assert estimate_memory(_dense(10_000, 50, classes=30), mode).total > base


def test_modes_cost_more_in_order():
    for shape in (_dense(20_000, 16, 26), _dense(50_000, 200), _dense(5_000, 100, 0, 5)):
        speed, balanced, accuracy = (
            estimate_memory(shape, mode).total for mode in ("high_speed", "balanced",
                                                             "high_accuracy"))
        assert speed < balanced <= accuracy


def test_sparse_costs_its_stored_values():
    dense = _dense(100_000, 5_000)
    sparse = DataShape(100_000, 5_000, 0, 2, 500_000, 4, 500_000 * 8)
    assert estimate_memory(sparse, "balanced").total < estimate_memory(dense, "balanced").total / 5


# Peak RSS of whole trainings (imports included; MB), measured with
# `python -m tests.automl.memory_probe <spec>` (budgets large enough to run every candidate);
# the process holds the numeric data twice, as the server does.
MEASURED = [
    # spec, shape, mode, peak MB
    ("vehicle@high_speed", _dense(846, 18, 4), "high_speed", 187),
    ("synthetic=2000x50x2@high_speed", _dense(2000, 50), "high_speed", 189),
    ("letter@high_speed", _dense(20_000, 16, 26), "high_speed", 250),
    ("synthetic=100000x200x2@high_speed", _dense(100_000, 200), "high_speed", 755),
    ("letter@balanced@1800", _dense(20_000, 16, 26), "balanced", 1343),
    ("adult@balanced@1800", _dense(48_842, 6, 2, 8), "balanced", 342),
    ("synthetic=10000x20x30@balanced@1500", _dense(10_000, 20, 30), "balanced", 1245),
    ("synthetic=30000x20x30@balanced@1800", _dense(30_000, 20, 30), "balanced", 2316),
    ("vehicle@high_accuracy@1800", _dense(846, 18, 4), "high_accuracy", 1210),
    ("synthetic=100000x2000x2x0.005@high_speed",
     DataShape(100_000, 2000, 0, 2, 997_431, 4, 997_431 * 8 + 400_004), "high_speed", 391),
    ("synthetic=200000x50000x2x0.0005@high_speed",
     DataShape(200_000, 50_000, 0, 2, 4_998_747, 4, 4_998_747 * 8 + 800_004), "high_speed", 1273),
]


@pytest.mark.parametrize(("spec", "shape", "mode", "peak_mb"), MEASURED)
def test_estimates_stay_above_measured_peaks(spec, shape, mode, peak_mb):
    estimate = estimate_memory(shape, mode).total / 2**20
    assert peak_mb <= estimate <= 2.5 * peak_mb, (spec, estimate)


def test_tiny_data_needs_little_more_than_the_libraries():
    for shape in (_dense(100, 5, 3), DataShape(20, 4, 0, 2, 21, 8, 400)):
        for mode in ("high_speed", "balanced", "high_accuracy"):
            assert estimate_memory(shape, mode).total < GB


def test_the_parts_say_what_dominates():
    many_classes = estimate_memory(_dense(200_000, 10, 500), "high_accuracy")
    assert many_classes.largest in ("out-of-fold predictions", "fold models")
    wide = estimate_memory(_dense(100_000, 20_000), "high_speed")
    assert wide.largest in ("largest fit", "input data")
    assert sum(wide.parts.values()) == wide.total


def test_shape_of_sparse_counts_only_used_columns():
    X = sp.csr_matrix(([1.0, 2.0, 0.0], ([0, 1, 1], [3, 2**24 - 1, 7])), shape=(2, 2**24))
    shape = shape_of(X, 1, 2, 2)
    assert (shape.n_numeric, shape.nnz, shape.n_cols, shape.sparse) == (2, 2, 3, True)
    assert shape.input_bytes < 1000


def test_format_bytes():
    assert format_bytes(9.3 * GB) == "9.3 GB"
    assert format_bytes(12 * GB) == "12 GB"
    assert format_bytes(820 * 2**20) == "820 MB"
    assert format_bytes(512) == "512 bytes"


def test_over_the_memory_limit_is_refused_with_what_to_change():
    X = np.zeros((120_000, 20), dtype=np.float32)
    X[:, 0] = 1.0
    limits = Limits(memory_bytes=GB, memory_name="AUTOML_TRAIN_MEMORY_LIMIT")
    with pytest.raises(LimitExceeded) as caught:
        check_memory(X, 0, 26, "high_accuracy", limits)
    message = str(caught.value)
    assert message.startswith("this training needs about ")
    assert "(120,000 rows x 20 columns, 26 classes, mode high_accuracy;" in message
    assert "the limit is 1.0 GB (AUTOML_TRAIN_MEMORY_LIMIT)" in message
    assert "Use fewer rows or columns, a sparse dataset" in message
    estimate = check_memory(X, 0, 26, "high_speed", Limits(memory_bytes=100 * GB))
    assert estimate.total < 100 * GB


def test_train_refuses_before_fitting():
    X, y = make_data("binary", n=300)
    steps = []
    with pytest.raises(LimitExceeded, match="this training needs about .* the limit is 1.0 MB"):
        train(X, y, task="classification", mode="balanced", limits=Limits(memory_bytes=2**20),
              progress=lambda fraction, step: steps.append(step))
    assert steps == ["preparing data"]  # nothing was cross-validated
    result = train(X, y, task="classification", mode="high_speed",
                   limits=Limits(memory_bytes=8 * GB))
    assert 0 < result.memory_estimate.total < 8 * GB


def test_too_many_classes_is_refused():
    X = Features(np.random.default_rng(0).standard_normal((50, 2)), ["a", "b"], {})
    with pytest.raises(LimitExceeded, match=r"^the label has 25 distinct values; at most 20 "
                                            r"classes \(AUTOML_MAX_CLASSES\); is it a regression"):
        train(X, [i // 2 for i in range(50)], task="classification", mode="high_speed",
              limits=Limits(max_classes=20, classes_name="AUTOML_MAX_CLASSES"))
    with pytest.raises(LimitExceeded, match="25 distinct values; at most 20 classes$"):
        train(X, [f"c{i // 2}" for i in range(50)], task="classification", mode="high_speed",
              limits=Limits(max_classes=20))


def test_every_family_of_every_plan_has_its_estimate_without_a_class_check():
    for mode in MODES:
        for n_rows, n_cols, n_classes in ((500, 8, 2), (50_000, 20, 0), (5_000, 600, 30)):
            plan = plan_for(mode, n_rows, n_cols, n_classes, True)
            for learner in (*plan.learners, *plan.extra_learners, *plan.stack_learners):
                assert learner.family in resources.FIT_PEAK, learner.name
                assert learner.family in resources.MODEL_BYTES, learner.name
    assert set(resources.FIT_PEAK) == set(resources.MODEL_BYTES) == {
        "lgbm", "linear", "catboost", "forest", "knn"}  # every family of app/automl/models
    tree = ast.parse(Path(resources.__file__).read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Call)
                and isinstance(n.func, ast.Name) and n.func.id == "isinstance"]

"""Sparse data stays sparse: nothing in training costs memory or time per declared column."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

from app.automl import Features, FittedModel, train
from app.automl.features import FeatureEncoder, take_columns

WIDTH = 2**24


def _tiny_wide(n: int = 20) -> tuple[Features, list]:
    """n rows using three small indices, one row also the last index of 2**24."""
    rows = list(range(n)) + [0]
    cols = [i % 3 for i in range(n)] + [WIDTH - 1]
    values = [1.0 + i for i in range(n)] + [5.0]
    X = sp.csr_matrix((values, (rows, cols)), shape=(n, WIDTH))
    return Features(X, [], {}), ["a" if i % 2 else "b" for i in range(n)]


def test_take_columns_matches_scipy():
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((30, 40)) * (rng.random((30, 40)) < 0.3)
    dense[3, 5] = np.nan
    X = sp.csr_matrix(dense)
    for columns in ([], [5], [0, 7, 39], [39, 2, 17, 5], list(range(40))):
        taken = take_columns(X, columns)
        assert taken.shape == (30, len(columns))
        np.testing.assert_array_equal(taken.toarray(), dense[:, columns])
    # wider than its entries: looked up, not mapped
    wide = sp.csr_matrix(([1.0, 2.0, 3.0, 4.0], ([0, 0, 1, 2], [7, WIDTH - 1, 5, 7])),
                         shape=(3, WIDTH))
    for columns in ([], [7], [WIDTH - 1, 5, 7], [5, 6, 7, WIDTH - 1]):
        expected = np.array([[wide[i, j] for j in columns] for i in range(3)]).reshape(3, -1)
        np.testing.assert_array_equal(take_columns(wide, columns).toarray(), expected)


def test_wide_sparse_encoding_keeps_only_used_columns():
    X, _ = _tiny_wide()
    encoder = FeatureEncoder().fit(X)
    assert encoder.kept_numeric_ == [0, 1, 2, WIDTH - 1]
    assert encoder.feature_names_ == ["f0", "f1", "f2", f"f{WIDTH - 1}"]
    manifest = encoder.to_manifest()
    assert manifest["numeric_names"] is None and manifest["n_numeric"] == WIDTH
    # Prediction rows: an index never seen in training is ignored, positions are restored.
    Xp = sp.csr_matrix(([7.0, 9.0, 4.0], ([0, 0, 1], [WIDTH - 1, 12345, 2])), shape=(2, WIDTH))
    M = FeatureEncoder.from_manifest(manifest).transform(Features(Xp, [], {}))
    np.testing.assert_array_equal(M.toarray(), [[0, 0, 0, 7.0], [0, 0, 4.0, 0]])


def test_wide_sparse_model_predicts_and_lists_used_columns():
    X, y = _tiny_wide()
    result = train(X, y, task="classification", mode="high_speed")
    names = {e["feature"] for e in result.feature_importance}
    assert names <= {"f0", "f1", "f2", f"f{WIDTH - 1}"}
    data = result.model.to_bytes()
    assert len(data) < 100_000  # no name per declared column
    again = FittedModel.from_bytes(data)
    assert again.predict(X) == result.model.predict(X)
    with pytest.raises(ValueError, match="numeric features"):
        again.predict(Features(X.numeric[:, :100], [], {}))


_MEASURE = textwrap.dedent(
    """
    import json, resource, sys
    from tests.automl.test_wide_sparse import _tiny_wide
    from app.automl import FittedModel, train

    X, y = _tiny_wide()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = {}
    for mode in sys.argv[1:]:
        result = train(X, y, task="classification", mode=mode, time_budget=30)
        model = FittedModel.from_bytes(result.model.to_bytes())
        out[mode] = len(model.predict(X))
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["grown_kib"] = after - before
    print(json.dumps(out))
    """
)


def test_wide_sparse_training_costs_little_memory():
    """20 rows of width 2**24: the peak memory of the process (ru_maxrss, KiB on Linux)
    grows by little over training and predicting (before: 6.2 GB and 26 s for high_speed)."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, "high_speed", "balanced"],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["high_speed"] == out["balanced"] == 20
    assert out["grown_kib"] < 500 * 1024, out

"""Columns judged once per distinct value give what judging every cell gives."""

from collections import Counter

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, precision_recall_fscore_support, roc_auc_score

from app.automl import Features, FittedModel, TrainingError, classification_metrics, train
from app.automl.columns import MIN_CELLS, factorize
from app.automl.features import (
    ALL_CATEGORIES,
    MAX_CATEGORIES,
    FeatureEncoder,
    category_counts,
    category_key,
    kept_categories,
    top_categories,
)
from app.automl.labels import LabelCodec, is_missing, missing_mask

from .helpers import make_data

LONG = 4 * MIN_CELLS
COLUMNS = {
    "strings": ["a", "b", "", None, "a", float("nan"), "nan", " b"],
    "numbers": [1, 1.0, 2.5, -0.0, 0, None, float("nan"), np.int64(3), np.float32(0.5)],
    "mixed": ["1", 1, True, 1.0, False, 0, None, "True"],
    "bools": [True, False, None, np.bool_(True)],
    "objects": [(1, 2), [1, 2], b"x", "x", None],
    "array_of_strings": np.array(["u", "v", "", "u"]),
    "array_of_floats": np.array([1.0, np.nan, 2.0, 1.0]),
}


def _long(values):
    repeated = list(values) * (LONG // len(values) + 1)
    return np.asarray(repeated) if isinstance(values, np.ndarray) else repeated


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_categories_match_the_cell_by_cell_keys(name):
    values = _long(COLUMNS[name])
    keys = [category_key(v) for v in values]
    encoder = FeatureEncoder().fit(Features(np.zeros((len(values), 0)), [], {"c": values}))
    known = {key: code for code, key in enumerate(encoder.categories_["c"])}
    expected = np.array([np.nan if known.get(k) is None else known[k] for k in keys])
    np.testing.assert_array_equal(encoder.encode_category("c", values), expected)
    # the short path agrees with the long one
    np.testing.assert_array_equal(encoder.encode_category("c", values[:3]), expected[:3])
    assert set(encoder.categories_["c"]) == {k for k in keys if k is not None}


def test_mixed_kinds_are_not_merged():
    assert factorize(_long(["1", 1])) is None  # strings with numbers
    assert factorize(_long([True, 1])) is None  # True == 1, but its category is "True"
    assert factorize(["a"] * (MIN_CELLS - 1)) is None  # too short to pay
    codes, uniques = factorize(_long(["a", None, "b"]))
    assert list(uniques) == ["a", "b"] and codes[1] == -1


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_missing_labels_match_is_missing(name):
    values = _long(COLUMNS[name])
    np.testing.assert_array_equal(missing_mask(values), [is_missing(v) for v in values])


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_truth_codes_match_normalise(task):
    codec = LabelCodec(task)
    train_labels = _long(["1", 2, "3.5"] if task == "classification" else [1.0, "2", 3])
    encoded = codec.fit_encode(train_labels)
    cell_by_cell = LabelCodec(task)
    cell_by_cell.fit_encode(train_labels[:3] * 2)  # short: judged cell by cell
    assert codec.classes_ == cell_by_cell.classes_
    if task == "classification":
        assert codec.classes_ == [1, 2, 3.5]
        assert encoded.tolist()[:3] == [0, 1, 2]
    mixed = _long(["2", 2.0, None, "", "x", "y", "x", 1, float("nan"), "inf", True])
    strings = _long(["2", None, "", "x", "y", "x", "1", "inf", " 3.5 "])  # hashed path
    assert factorize(mixed) is None and factorize(strings) is not None
    for truth, n_unseen in ((mixed, 4), (strings, 3)):  # x, y, inf (and True)
        codes = codec.encode_truth(truth)
        normalised = [codec.normalise(v) for v in truth]
        if task == "regression":
            expected = [np.nan if v is None else v for v in normalised]
            np.testing.assert_array_equal(codes, expected)
            continue
        assert codes[:3].tolist() == [1, 1 if truth is mixed else -1, -1]
        unseen = {}
        for code, label in zip(codes.tolist(), normalised, strict=True):
            if label is None:
                assert code == -1
            elif label in codec.classes_:
                assert code == codec.classes_.index(label)
            else:  # one code per distinct unseen label, past the classes
                assert code == unseen.setdefault(label, code) and code >= len(codec.classes_)
        assert len(unseen) == n_unseen


def test_label_errors_name_the_first_bad_value():
    with pytest.raises(Exception, match="label 'b' is not numeric"):
        LabelCodec("regression").fit_encode(_long([1.0, "b", "c"]))
    with pytest.raises(TrainingError, match="label 'inf' is not a finite number"):
        LabelCodec("regression").fit_encode(_long([1.0, "inf"]))
    with pytest.raises(Exception, match="only one class"):
        LabelCodec("classification").fit_encode(_long(["a"]))


def test_integer_labels_beyond_2_53_stay_distinct_classes():
    """9007199254740993 read as a float is 9007199254740992: the two classes merged (and the
    training failed with 'only one class')."""
    big = 2**53
    X, _ = make_data("binary", n=200, seed=4)
    y = [big + 1 if v == "yes" else big for v in make_data("binary", n=200, seed=4)[1]]
    y = [str(v) if i % 2 else v for i, v in enumerate(y)]  # as CSV text or JSON numbers
    model = FittedModel.from_bytes(
        train(X, y, task="classification", mode="high_speed").model.to_bytes())
    assert model.classes_ == [big, big + 1]
    assert set(model.predict(X)) == {big, big + 1}
    assert model.evaluate(X, y).metric["accuracy"] > 0.8


def test_regression_labels_whose_squares_overflow_are_refused():
    """At 1e300 every squared error was inf: an inf metric and NaN importances."""
    with pytest.raises(TrainingError, match=r"regression label -3e\+300 is too large.*divide"):
        LabelCodec("regression").fit_encode([1.0, -3e300, 2.0])
    assert LabelCodec("regression").fit_encode([1e150, -1e150]).tolist() == [1e150, -1e150]


def test_metrics_equal_scikit_learn():
    rng = np.random.default_rng(0)
    for _ in range(200):
        k, n = int(rng.integers(2, 6)), int(rng.integers(1, 80))
        y_true = rng.integers(0, k + 2, n).tolist()  # labels k and k+1 are unknown
        y_pred = rng.integers(0, k, n).tolist()
        proba = np.round(rng.dirichlet(np.ones(k), n), 1)  # with ties
        got = classification_metrics(y_true, y_pred, proba, list(range(k)))
        index = {label: label for label in range(k + 2)}
        t = np.array([index[v] for v in y_true])
        p = np.array(y_pred)
        present = np.union1d(t, p)
        expected = {"accuracy": accuracy_score(t, p)}
        for average in ("micro", "macro"):
            precision, recall, f1, _ = precision_recall_fscore_support(
                t, p, labels=present, average=average, zero_division=0
            )
            expected |= {f"{average}_precision": precision, f"{average}_recall": recall,
                         f"{average}_f1": f1}
        known = t < k  # the AUC is over the rows of labels the model knows
        tk, pk = t[known], proba[known]
        aucs = [roc_auc_score(tk == c, pk[:, c]) for c in range(k)
                if 0 < (tk == c).sum() < len(tk)]
        expected["auc"] = float(np.mean(aucs[:1] if k == 2 else aucs)) if aucs else None
        assert list(got) == list(expected)
        for key, value in expected.items():
            assert got[key] == (None if value is None else pytest.approx(value, abs=1e-12))


@pytest.mark.parametrize("task", ["binary", "regression"])
def test_evaluate_scores_labelled_rows_only(task):
    X, y = make_data(task, n=300, seed=21)
    kind = "classification" if task == "binary" else "regression"
    model = train(X, y, task=kind, mode="high_speed").model
    truth = list(y)
    truth[:40] = [None] * 40
    scored = model.evaluate(X, truth)
    assert scored.num_labelled == 260
    rows = Features(X.numeric[40:], X.numeric_names, {"color": X.categorical["color"][40:]})
    alone = model.evaluate(rows, y[40:])
    assert scored.metric == pytest.approx(alone.metric)
    unlabelled = model.evaluate(X, None)
    assert unlabelled.metric is None and unlabelled.predictions == scored.predictions
    # one row at a time predicts what the whole batch does
    for i in (0, 1, 299):
        colour = {"color": [X.categorical["color"][i]]}
        one = Features(X.numeric[i : i + 1], X.numeric_names, colour)
        single = model.evaluate(one, [y[i]])
        assert single.num_labelled == 1
        if kind == "regression":
            assert single.predictions[0] == pytest.approx(scored.predictions[i], rel=1e-9)
        else:
            assert single.predictions == [scored.predictions[i]]
            np.testing.assert_allclose(single.probabilities[0], scored.probabilities[i], atol=1e-9)


def _counts_cell_by_cell(values):
    return Counter(category_key(v) for v in values)


@pytest.mark.parametrize("name", sorted(COLUMNS))
def test_category_counts_match_the_cell_by_cell_counts(name):
    """The strings-only shortcut (distinct strings are their own keys, "" is missing) counts
    what category_key of every cell counts."""
    values = _long(COLUMNS[name])
    assert category_counts(values) == _counts_cell_by_cell(values)


def test_top_categories_rank_as_a_full_sort():
    """Most frequent first, ties in key order, the first `limit`: the same list as sorting
    every (key, count), on columns of many distinct values and many ties at the cut."""
    rng = np.random.default_rng(0)
    for n_distinct, limit in ((50, 10), (5000, 1000), (60_000, 1000), (3000, 1000)):
        keys = [f"k{i}" for i in rng.permutation(n_distinct)]
        counts = Counter(dict(zip(keys, rng.integers(1, 4, n_distinct).tolist(), strict=True)))
        expected = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]]
        assert top_categories(counts, limit) == expected
    ones = Counter({f"v{i}": 1 for i in range(5000)} | {"z": 9, "y": 9, "a": 2})
    assert top_categories(ones, 5)[:3] == ["y", "z", "a"] and len(top_categories(ones, 5)) == 5


def test_many_distinct_strings_keep_the_most_frequent_categories():
    """Beyond ALL_CATEGORIES, the categories seen at least twice (most frequent first)."""
    rng = np.random.default_rng(1)
    values = [f"user{v}" for v in rng.zipf(1.2, 20_000) % 8000] + ["", None] * 10
    encoder = FeatureEncoder().fit(Features(np.zeros((len(values), 0)), [], {"c": values}))
    counts = _counts_cell_by_cell(values)
    del counts[None]
    expected = [k for k, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    twice = [k for k in expected[ALL_CATEGORIES:] if counts[k] >= 2]
    assert len(expected) > len(encoder.categories_["c"]) > ALL_CATEGORIES
    assert encoder.categories_["c"] == expected[:ALL_CATEGORIES] + twice


def test_categories_stop_at_the_cap_and_ids_keep_only_the_first_ones():
    ids = Counter({f"id{i}": 1 for i in range(3 * ALL_CATEGORIES)})
    assert kept_categories(ids) == top_categories(ids, ALL_CATEGORIES)
    pairs = Counter({f"p{i:06d}": 2 for i in range(MAX_CATEGORIES + 10)})
    assert kept_categories(pairs) == sorted(pairs)[:MAX_CATEGORIES]

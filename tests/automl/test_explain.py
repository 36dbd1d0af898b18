"""Per-row explanations: for every family and task, and for a blend, the base value plus a
row's contributions equals the raw score computed independently from the members' own
predictions; stacked ensembles and too many rows are refused; permutation importance."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import expit, softmax

from app.automl import Features
from app.automl.explain import (
    MAX_EXPLAIN_ROWS,
    ExplainRefused,
    check_explainable,
    explain,
    permutation_importance,
)
from app.automl.model import FittedModel, Member
from app.automl.models import CatBoostLearner, FitContext, LGBMLearner, LinearLearner
from app.automl.models.catboost import _pool
from app.automl.stacking import stack_features
from tests.automl.helpers import fit_members, make_data

LEARNERS = {
    "lgbm": LGBMLearner("lgbm", params={"num_leaves": 7}, max_rounds=30, early_stopping=None),
    "lgbm_rf": LGBMLearner("lgbm_rf", params={"boosting": "rf", "bagging_fraction": 0.6,
                                       "bagging_freq": 1, "feature_fraction": 0.8},
                           max_rounds=10, early_stopping=None),
    "catboost": CatBoostLearner("catboost", max_rounds=20, early_stopping=None),
    "linear": LinearLearner(),
}
TASKS = ("binary", "multiclass", "regression")


def fit_model(task: str, blend: dict[str, float], n: int = 240, bags: int = 1,
              X: Features | None = None, y=None) -> FittedModel:
    """A FittedModel of the given families and weights (a bag of `bags` fits on halves)."""
    if X is None:
        X, y = make_data(task, n=n)
    return fit_members(task, [(LEARNERS[name], weight) for name, weight in blend.items()],
                       X, y, bags)


def independent_raw(model: FittedModel, X: Features) -> np.ndarray:
    """The raw score from each member's own prediction path (not its contributions)."""
    M = model.encoder.transform(X)
    total = 0.0
    for member in model.members:
        if member.stacked:  # a regression's stacked member: its prediction is its raw score
            inputs = [model.members[i].predict(M) for i in model.stack_inputs]
            total = total + member.weight * member.predict(stack_features(M, inputs))
            continue
        for c in member.components:
            if c.family == "lgbm":
                raw = c._raw_score(M)
            elif c.family == "catboost":
                raw = np.asarray(c.model.predict(_pool(M, None, c.categorical),
                                                 prediction_type="RawFormulaVal"))
            else:
                logits = np.asarray(c.prep.transform(M) @ c.coef.T) + c.intercept
                raw = logits[:, 0] if c.n_classes in (0, 1) else (
                    logits[:, 1] - logits[:, 0] if c.n_classes == 2 else logits)
            total = total + member.weight / len(member.components) * raw
    return total


def check_sums(model: FittedModel, X: Features) -> None:
    e = explain(model, X)
    n, classes = X.n_rows, len(model.classes_)
    assert e.features == model.encoder.feature_names_
    if classes > 2:
        assert e.contributions.shape == (n, classes, len(e.features))
        assert len(e.base_value) == classes
    else:
        assert e.contributions.shape == (n, len(e.features))
        assert isinstance(e.base_value, float)
    np.testing.assert_allclose(e.raw_scores(), independent_raw(model, X), rtol=0, atol=1e-9)
    return e


@pytest.mark.parametrize("family", list(LEARNERS))
@pytest.mark.parametrize("task", TASKS)
def test_contributions_sum_to_the_raw_score(task, family):
    model = fit_model(task, {family: 1.0})
    X, _ = make_data(task, n=50, seed=1)
    e = check_sums(model, X)
    # One member: its link of the raw score is the prediction itself.
    raw = e.raw_scores()
    if task == "regression":
        np.testing.assert_allclose(raw, model.predict(X), atol=1e-9)
    elif task == "binary":
        np.testing.assert_allclose(expit(raw), model.predict_proba(X)[:, 1], atol=1e-9)
        assert e.space == "log_odds"
    else:
        np.testing.assert_allclose(softmax(raw, axis=1), model.predict_proba(X), atol=1e-9)
        assert e.space == "margin"
    # The features really carry the signal: x0 moves the score, the unused x5 much less.
    spread = np.abs(e.contributions).reshape(50, -1, len(e.features)).mean(axis=(0, 1))
    assert spread[e.features.index("x0")] > spread[e.features.index("x5")]


@pytest.mark.parametrize("task", TASKS)
def test_a_bagged_blend_of_every_family_sums_to_its_weighted_raw_score(task):
    model = fit_model(task, {"lgbm": 0.4, "catboost": 0.35, "linear": 0.25}, bags=2)
    X, _ = make_data(task, n=40, seed=2)
    e = check_sums(model, X)
    if task == "regression":  # a regression blend's raw score is its prediction
        np.testing.assert_allclose(e.raw_scores(), model.predict(X), atol=1e-9)


def test_categorical_one_hot_terms_fold_into_their_attribute():
    """The linear member's one-hot columns of 'color' become one number, and that number is
    the coefficient of the row's colour (0 for a colour left out of the one-hot levels)."""
    model = fit_model("regression", {"linear": 1.0})
    X, _ = make_data("regression", n=30, seed=3)
    e = explain(model, X)
    k = e.features.index("color")
    component = model.members[0].components[0]
    start = len(component.prep.numeric)
    levels = component.prep.levels[0]
    codes = model.encoder.transform(X)[:, model.encoder.categorical_indices_[0]]
    expected = [component.coef[0, start + levels.index(int(c))] if int(c) in levels else 0.0
                for c in codes]
    np.testing.assert_allclose(e.contributions[:, k], expected, atol=1e-12)


def test_sparse_input_is_explained():
    rng = np.random.default_rng(0)
    dense = rng.standard_normal((200, 5)) * (rng.random((200, 5)) < 0.5)
    y = (dense[:, 0] - dense[:, 1] > 0).astype(int).tolist()
    X = Features(sp.csr_matrix(dense), [f"v{j}" for j in range(5)])
    model = fit_model("binary", {"lgbm": 0.5, "linear": 0.5}, X=X, y=y)
    check_sums(model, Features(sp.csr_matrix(dense[:20]), [f"v{j}" for j in range(5)]))
    result = permutation_importance(model, X, model.labels.encode_truth(y))
    assert {r.feature for r in result.importances[:2]} == {"v0", "v1"}


def test_stacked_models_and_too_many_rows_are_refused():
    model = fit_model("binary", {"lgbm": 1.0})
    with pytest.raises(ExplainRefused, match=f"at most {MAX_EXPLAIN_ROWS} rows") as err:
        check_explainable(model, MAX_EXPLAIN_ROWS + 1)
    assert err.value.too_large
    check_explainable(model, MAX_EXPLAIN_ROWS)
    model.members.append(Member("stack_linear", 0.5, model.members[0].components, True))
    with pytest.raises(ExplainRefused, match="stacked classification ensemble") as err:
        check_explainable(model, 1)
    assert not err.value.too_large


def stacked_model(stacker: str) -> tuple[FittedModel, Features]:
    """A regression whose first level (LightGBM, CatBoost; weight 0 or not) feeds `stacker`."""
    X, y = make_data("regression", n=240)
    model = fit_model("regression", {"lgbm": 0.0, "catboost": 0.25}, X=X, y=y)
    model.stack_inputs = [0, 1]
    M = model.encoder.transform(X)
    Z = stack_features(M, [m.predict(M) for m in model.members])
    ctx = FitContext("regression", 0, tuple(model.encoder.categorical_indices_), 0, 1)
    codes = np.asarray(y, dtype=np.float64)
    bag = [LEARNERS[stacker].fit(ctx, Z[rows], codes[rows])
           for rows in (np.arange(0, 240, 2), np.arange(1, 240, 2))]
    model.members.append(Member("stack", 0.75, bag, stacked=True))
    return model, make_data("regression", n=40, seed=7)[0]


def test_a_linear_stack_of_a_regression_is_passed_back_to_the_features():
    model, X = stacked_model("linear")
    e = check_sums(model, X)
    np.testing.assert_allclose(e.raw_scores(), model.predict(X), atol=1e-9)


def test_a_tree_stack_is_refused():
    model, X = stacked_model("lgbm")
    with pytest.raises(ExplainRefused, match="tree model"):
        explain(model, X)


def test_zero_rows():
    model = fit_model("multiclass", {"lgbm": 1.0})
    e = explain(model, Features(np.zeros((0, 6)), [f"x{i}" for i in range(6)],
                                {"color": []}))
    assert e.contributions.shape == (0, 3, 7) and len(e.base_value) == 3


@pytest.mark.parametrize("task", TASKS)
def test_permutation_importance_finds_the_signal(task):
    model = fit_model(task, {"lgbm": 0.5, "linear": 0.5}, n=400)
    X, y = make_data(task, n=300, seed=4)
    result = permutation_importance(model, X, model.labels.encode_truth(y))
    names = [r.feature for r in result.importances]
    assert set(names) == set(model.encoder.feature_names_)
    assert names[0] in ("x0", "x1", "x2", "color")
    by_name = {r.feature: r for r in result.importances}
    assert by_name["x0"].importance > by_name["x5"].importance
    assert all(r.std >= 0 for r in result.importances)
    assert result.num_rows == 300 and result.n_repeats == 5
    again = permutation_importance(model, X, model.labels.encode_truth(y))
    assert again == result  # seeded


def test_permutation_importance_needs_labelled_rows():
    model = fit_model("binary", {"lgbm": 1.0})
    X, _ = make_data("binary", n=20, seed=5)
    with pytest.raises(ValueError, match="no labelled rows"):
        permutation_importance(model, X, model.labels.encode_truth([None] * 20))


@pytest.mark.parametrize("task", ["multiclass", "regression"])
def test_a_trained_ensemble_is_explained_exactly(task):
    """The model `train` returns (its members, bags and weights as chosen)."""
    from app.automl import train

    X, y = make_data(task, n=200)
    kind = "regression" if task == "regression" else "classification"
    model = train(X, y, task=kind, mode="balanced", time_budget=5).model
    check_sums(model, make_data(task, n=30, seed=6)[0])


def test_permutation_importance_uses_the_selection_metric():
    """The metric the model was chosen by; a threshold metric scores the model's own labels
    (its decision threshold), so a threshold that predicts one class for every row makes every
    feature worthless."""
    model = fit_model("binary", {"lgbm": 1.0}, n=300)
    X, y = make_data("binary", n=200, seed=8)
    truth = model.labels.encode_truth(y)
    result = permutation_importance(model, X, truth, "accuracy")
    assert result.metric == "accuracy"
    assert max(r.importance for r in result.importances) > 0.05
    model.threshold = 1.0  # never the positive class
    flat = permutation_importance(model, X, truth, "accuracy")
    assert all(r.importance == 0 and r.std == 0 for r in flat.importances)
    reg = fit_model("regression", {"linear": 1.0})
    Xr, yr = make_data("regression", n=100, seed=9)
    assert permutation_importance(reg, Xr, reg.labels.encode_truth(yr), "mae").metric == "mae"

"""Stacking in high_accuracy: the second level sees the first level's predictions, and the
saved model predicts exactly as the trained one.

The runs use the default budget (300 s) and fewer tuning trials, so they finish far inside it
however loaded the machine: a run cut short by its budget depends on the machine's speed, and
these tests must not."""

import numpy as np
import pytest

from app.automl import FittedModel, portfolio, train
from app.automl.stacking import prediction_columns, stack_features, stack_width

from .helpers import make_data


@pytest.fixture(autouse=True)
def few_trials(monkeypatch):
    monkeypatch.setattr(portfolio, "HIGH_ACCURACY_TRIALS", 8)


def test_stack_columns():
    M = np.zeros((4, 3))
    binary = np.tile([[0.3, 0.7]], (4, 1))
    multi = np.tile([[0.2, 0.3, 0.5]], (4, 1))
    values = np.arange(4.0)
    assert prediction_columns(binary).tolist() == [[0.7]] * 4
    Z = stack_features(M, [binary, multi, values])
    assert Z.shape == (4, 3 + 1 + 3 + 1)
    assert Z[:, 3:].tolist() == [[0.7, 0.2, 0.3, 0.5, v] for v in values]
    assert stack_width("classification", 3, 2) == 6
    assert stack_width("classification", 2, 2) == stack_width("regression", 0, 2) == 2


def test_high_accuracy_stacks_and_round_trips():
    X, y = make_data("regression", n=400, seed=21)
    Xt, yt = make_data("regression", n=200, seed=22)
    result = train(X, y, task="regression", mode="high_accuracy")
    names = {e["model"] for e in result.leaderboard}
    assert {"stack_lgbm", "stack_linear"} <= names
    model = result.model
    # On this linear target the stack over the linear model wins; its inputs are kept in
    # the model as bags of fold models (weight 0 when they only feed the stack).
    assert [m.name for m in model.members if m.stacked and m.weight > 0] == ["stack_linear"]
    assert model.stack_inputs
    assert all(not model.members[i].stacked for i in model.stack_inputs)
    assert all(len(model.members[i].components) % 5 == 0 for i in model.stack_inputs)  # bags
    loaded = FittedModel.from_bytes(model.to_bytes())
    np.testing.assert_array_equal(loaded.predict(Xt), model.predict(Xt))
    assert loaded.stack_inputs == model.stack_inputs
    assert np.mean((np.array(model.predict(Xt)) - yt) ** 2) < 0.3 * np.var(yt)
    importance = result.feature_importance
    assert abs(sum(e["importance"] for e in importance) - 1) < 1e-9
    assert {e["feature"] for e in importance} == {f"x{i}" for i in range(6)} | {"color"}


def test_a_chosen_stack_is_used_at_predict_time():
    """The stacked member's prediction goes through the first level's predictions: changing
    a stack input changes the model's output."""
    X, y = make_data("binary", n=300, seed=23)
    result = train(X, y, task="classification", mode="high_accuracy")
    model = result.model
    assert any(m.stacked and m.weight > 0 for m in model.members)
    before = model.predict_proba(X)
    for i in model.stack_inputs:
        model.members[i].components = model.members[i].components[:1]
    assert not np.allclose(before, model.predict_proba(X))

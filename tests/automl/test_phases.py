"""The trainer runs as named phases; the engine knows families only through what they
declare (search space, expected cost); plans are keyword-only data."""

import ast
import dataclasses
import time
from pathlib import Path

import pytest

from app.automl import engine, portfolio, train
from app.automl.engine import PHASES, Training
from app.automl.models import LGBMLearner
from app.automl.search import CandidateResult

from .helpers import make_data

ENGINE = Path(engine.__file__).parent
FAMILY_CLASSES = {"LGBMLearner", "CatBoostLearner", "LinearLearner", "FittedLGBM",
                  "FittedCatBoost", "FittedLinear"}


def test_phases_run_in_order_and_are_timed():
    X, y = make_data("binary", n=300, seed=1)
    began = time.monotonic()
    result = train(X, y, task="classification", mode="high_speed")
    wall = time.monotonic() - began
    assert PHASES == ("prepare", "search", "select", "finalise", "report")
    assert list(result.phase_seconds) == list(PHASES)
    assert all(s >= 0 for s in result.phase_seconds.values())
    assert sum(result.phase_seconds.values()) <= wall


def test_each_phase_is_a_method_of_the_training(monkeypatch):
    """Replacing a phase's method changes that phase: the run goes through them by name."""
    seen = []
    for phase in PHASES:
        original = getattr(Training, phase)

        def spy(self, _original=original, _phase=phase):
            seen.append(_phase)
            return _original(self)

        monkeypatch.setattr(Training, phase, spy)
    X, y = make_data("regression", n=200, seed=2)
    train(X, y, task="regression", mode="high_speed")
    assert seen == list(PHASES)


@pytest.mark.parametrize("module", ["engine.py", "selection.py", "search.py", "tuning.py"])
def test_the_engine_asks_families_instead_of_checking_their_class(module):
    tree = ast.parse((ENGINE / module).read_text())
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "isinstance"]
    assert calls == [], f"{module} checks a class with isinstance"
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert not names & FAMILY_CLASSES, f"{module} names a family's class"


def test_a_family_declares_its_cost():
    first = LGBMLearner("first", params={"learning_rate": 0.1, "num_leaves": 31})
    done = [CandidateResult(first, None, None, 0.0, [object()], [], 10.0)]
    slower = LGBMLearner("slow", params={"learning_rate": 0.02, "num_leaves": 124})
    assert slower.expected_seconds(done) == pytest.approx(10.0 * 5 * 2)
    rf = LGBMLearner("rf", params={"boosting": "rf"})
    assert rf.expected_seconds(done) is None  # not comparable: it runs
    assert first.expected_seconds([]) is None


def test_plans_and_learners_are_keyword_only():
    plan = portfolio.plan_for("balanced", 1000, 10, 2)
    with pytest.raises(TypeError):
        portfolio.ModePlan("balanced", plan.learners, 5, 1000, 0.2, True, False, 30.0)
    with pytest.raises(TypeError):
        LGBMLearner("x", {"num_leaves": 7}, 100, None)
    assert dataclasses.replace(plan, n_trials=2).n_trials == 2
    assert plan.search is not None and plan.search.prefix == "lgbm_tuned"

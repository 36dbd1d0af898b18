"""Stacking: a second level of learners that sees the first level's predictions.

A stacked learner is trained on the encoded features plus, as extra columns, the out-of-fold
predictions of the first-level ensemble's members (the idea of AutoGluon's multi-layer stack
ensembling). At predict time those columns come from the same members: in a bagged plan
(high_accuracy) their bags of fold models, so the second level sees at predict time what it
saw in training, predictions of models that were not fitted on the row; in a refitting plan,
their refits (as scikit-learn's stacking does). Stacking needs k-fold CV, not a holdout.
"""

from __future__ import annotations

from automl_runtime.pipeline import prediction_columns, stack_features

__all__ = [
    "STACK_INPUTS", "prediction_columns", "stack_features", "stack_input_count", "stack_width"]

# At most this many first-level members feed the stack (fewer with many classes).
STACK_INPUTS = 8


def stack_input_count(n_classes: int) -> int:
    """How many first-level members feed the stack: fewer with many classes, since each
    prediction then adds a column per class."""
    return STACK_INPUTS if n_classes <= 8 else max(2, 64 // n_classes)


def stack_width(task: str, n_classes: int, n_inputs: int) -> int:
    """How many columns `stack_features` appends for `n_inputs` predictions."""
    per_input = n_classes if task == "classification" and n_classes > 2 else 1
    return per_input * n_inputs

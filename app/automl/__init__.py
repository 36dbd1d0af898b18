"""AutoML engine: numpy/pandas features in, fitted model + metrics out.

Modes (see `portfolio.py`):

* ``high_speed``: one LightGBM with data-size-aware defaults and early stopping, validated
  by 5-fold CV (its 5 fold models are the model, a bag), or, on larger data (above 20,000
  rows counted once per class), a holdout and a refit on all rows; default budget 8.5 s,
  growing with rows x classes above 200,000 up to 30 s (on data too large for that, the
  refit is skipped and the fit cut short).
* ``balanced`` (also ``auto``): a small portfolio (LightGBM configurations, a LightGBM random
  forest, a linear model, CatBoost on smaller data) by 5-fold CV, then a seeded
  hyperparameter search of LightGBM (`tuning.py`, a fixed number of trials); the best single
  model or a greedy ensemble of them by out-of-fold score, each member the bag of its fold
  models (refit on all rows above 100,000 rows, where a holdout replaces CV).
* ``high_accuracy``: balanced's candidates first (same folds and trials), then CatBoost in
  three configurations (where it can finish: up to 10 classes, up to 500 columns), more
  LightGBM configurations and more trials; time left then buys up to 3 k-fold sets of the
  ensemble's members (repeated bagging) while they improve its out-of-fold score; then a
  second level (`stacking.py`: a small LightGBM and a linear model on the features plus the
  out-of-fold predictions of the first-level ensemble's members); greedy ensemble selection
  over both levels, never worse out-of-fold than balanced's choice. Members are then
  dropped, costliest to predict first, while the out-of-fold error grows by at most 0.2 %.
  (Above the k-fold size limit a holdout replaces CV: members are refit, nothing dropped.)

Before anything is fitted, `train` checks the caller's `Limits`: the number of classes, and the
memory the run will need (`resources.estimate_memory`, from the data's shape and the mode's
plan); past one, it refuses at once with `LimitExceeded`. Sparse input stays sparse and costs
nothing per declared column: the learners see only the columns that occur in the training
rows (the encoder maps them back at predict time).

Models are selected by the caller's `eval_metric` (`metrics.py`: accuracy, balanced_accuracy,
f1, log_loss, auc, pr_auc; rmse, mse, mae, r2, mape), by default the AMLB metrics: ROC AUC
(binary), log loss (multiclass), MSE (regression); with optional sample weights and
class_weight="balanced" in every fit and in that metric. A binary model chosen by a threshold
metric keeps the decision threshold tuned on its out-of-fold predictions. Every mode honours
`time_budget` (the first LightGBM always completes, cut short if need be, so a model is always
returned); candidates that cannot finish in the time left are skipped. A run that finishes
its trials inside the budget is deterministic for a given seed; one cut short by the budget
depends on the machine's speed. The validation metric is never computed on rows the scored
model was trained on.

`TrainResult.diagnostics` is chart data from the same predictions as the validation metric
(out-of-fold, or the validation set's): a confusion matrix and ROC curves, or a sample of
actual/predicted values, bounded in size (`diagnostics.py`). Each leaderboard entry has the
seconds per row its out-of-fold predictions took (`predict_seconds_per_row`).
"""

from .engine import TrainResult, train
from .errors import LimitExceeded, TrainingError
from .features import Features
from .metrics import classification_metrics, regression_metric
from .model import FittedModel, PredictionResult
from .resources import DataShape, Limits, MemoryEstimate, estimate_memory, format_bytes

__all__ = [
    "DataShape",
    "Features",
    "FittedModel",
    "LimitExceeded",
    "Limits",
    "MemoryEstimate",
    "PredictionResult",
    "TrainResult",
    "TrainingError",
    "classification_metrics",
    "estimate_memory",
    "format_bytes",
    "regression_metric",
    "train",
]

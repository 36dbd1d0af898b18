"""AutoML engine: numpy/pandas features in, fitted model + metrics out.

Modes (see `portfolio.py`):

* ``high_speed``: one LightGBM with data-size-aware defaults and early stopping, validated
  out-of-fold (5-fold CV, or a holdout above 10k rows), refit on all rows.
* ``balanced`` (also ``auto``): a small portfolio (LightGBM configurations, a LightGBM random
  forest, a linear model) by 5-fold CV; the best single model or a greedy ensemble of them by
  out-of-fold score, refit on all rows.
* ``high_accuracy``: more candidates; the k fold models of each selected candidate are kept
  (bagging) and combined by greedy ensemble selection.

Every mode honours `time_budget` between folds (the first LightGBM always completes, so a
model is always returned). The validation metric is never computed on rows the scored model
was trained on.
"""

from .engine import TrainResult, train
from .errors import TrainingError
from .features import Features
from .metrics import classification_metrics, regression_metric
from .model import FittedModel, PredictionResult

__all__ = [
    "Features",
    "FittedModel",
    "PredictionResult",
    "TrainResult",
    "TrainingError",
    "classification_metrics",
    "regression_metric",
    "train",
]

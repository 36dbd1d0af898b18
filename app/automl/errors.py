"""Errors raised by the AutoML engine."""


class TrainingError(ValueError):
    """The data cannot be trained on; ``str(error)`` is a message meant for the end user."""


class LimitExceeded(TrainingError):
    """The training would go past a limit set by the caller (memory, classes); raised before
    anything is fitted."""

"""Errors raised by the AutoML engine."""


class TrainingError(ValueError):
    """The data cannot be trained on; ``str(error)`` is a message meant for the end user."""

"""Label handling: raw label values <-> the integer codes / floats the learners train on."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .errors import LimitExceeded, TrainingError

MAX_CLASSES = 1000


def is_missing(value) -> bool:
    """True for None, NaN, empty strings and NaN-like objects (e.g. pandas.NA)."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, float | np.floating):
        return math.isnan(value)
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return True


def as_number(value) -> float | None:
    """The finite float a label stands for ("1", 1, 1.0 -> 1.0), or None if not a number."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer | float | np.floating):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _python_number(number: float) -> int | float:
    return int(number) if number.is_integer() else number


def _string_label(value) -> str:
    number = as_number(value) if not isinstance(value, str) else None
    if number is not None:
        return str(_python_number(number))
    return str(value)


class LabelCodec:
    """Learns the label space at fit time.

    Classification labels are numbers when every label parses as a number (int when
    integral, else float), otherwise strings; `classes_` is sorted and label k of the
    model is `classes_[k]`. Regression labels must all be finite numbers.
    """

    def __init__(self, task: str):
        self.task = task

    def fit_encode(
        self, y: Sequence, max_classes: int = MAX_CLASSES, limit_name: str = ""
    ) -> np.ndarray:
        """Codes of the labels; more than `max_classes` classes raise LimitExceeded (the
        message names the limit `limit_name`, when given)."""
        values = list(y)
        if self.task == "regression":
            numbers = np.empty(len(values), dtype=np.float64)
            for i, value in enumerate(values):
                number = as_number(value)
                if number is None:
                    raise TrainingError(
                        f"label {value!r} is not numeric; use task_type classification"
                    )
                numbers[i] = number
            self.classes_: list = []
            self.numeric_ = True
            return numbers
        numbers = [as_number(v) for v in values]
        self.numeric_ = all(n is not None for n in numbers)
        if self.numeric_:
            labels = [_python_number(n) for n in numbers]
        else:
            labels = [_string_label(v) for v in values]
        self.classes_ = sorted(set(labels))
        if len(self.classes_) < 2:
            only = self.classes_[0] if self.classes_ else None
            raise TrainingError(f"only one class ('{only}') among the labelled rows")
        if len(self.classes_) > max_classes:
            named = f" ({limit_name})" if limit_name else ""
            hint = "; is it a regression target?" if self.numeric_ else ""
            raise LimitExceeded(
                f"the label has {len(self.classes_):,} distinct values; at most "
                f"{max_classes:,} classes{named}{hint}"
            )
        self._index = {label: k for k, label in enumerate(self.classes_)}
        return np.array([self._index[label] for label in labels], dtype=np.int64)

    def normalise(self, value):
        """A raw label as comparable with `classes_`; None when missing."""
        if is_missing(value):
            return None
        if self.task == "regression":
            return as_number(value)
        if self.numeric_:
            number = as_number(value)
            return _python_number(number) if number is not None else _string_label(value)
        return _string_label(value)

    def decode(self, codes: np.ndarray) -> list:
        return [self.classes_[int(k)] for k in codes]

    def to_manifest(self) -> dict:
        return {"task": self.task, "classes": self.classes_, "numeric": self.numeric_}

    @classmethod
    def from_manifest(cls, manifest: dict) -> LabelCodec:
        codec = cls(manifest["task"])
        codec.classes_ = list(manifest["classes"])
        codec.numeric_ = bool(manifest["numeric"])
        codec._index = {label: k for k, label in enumerate(codec.classes_)}
        return codec

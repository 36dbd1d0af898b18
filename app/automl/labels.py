"""Label handling: raw label values <-> the integer codes / floats the learners train on."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from automl_runtime.pipeline import Labels

from .columns import factorize
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


def missing_mask(values: Sequence) -> np.ndarray:
    """`is_missing` of every value, as a boolean array (judged once per distinct value)."""
    found = factorize(values)
    if found is None:
        return np.fromiter((is_missing(v) for v in values), dtype=bool, count=len(values))
    codes, uniques = found
    per_unique = np.fromiter((is_missing(v) for v in uniques), dtype=bool, count=len(uniques))
    return np.append(per_unique, True)[codes]


def _parse_number(value) -> float | None:
    """The float a label reads as ("1", 1, 1.0 -> 1.0; "inf" -> inf), or None if none."""
    if isinstance(value, bool | np.bool_):
        return None
    if isinstance(value, int | np.integer | float | np.floating):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def as_number(value) -> float | None:
    """The finite float a label stands for ("1", 1, 1.0 -> 1.0), or None if not a number."""
    number = _parse_number(value)
    return number if number is not None and math.isfinite(number) else None


def _not_a_regression_label(value) -> str:
    """Why `value`, which `as_number` refused, is no regression label."""
    if _parse_number(value) is not None:  # a number, but inf or NaN
        return f"label {value!r} is not a finite number; regression labels must be finite"
    return f"label {value!r} is not numeric; use task_type classification"


def _python_number(number: float) -> int | float:
    return int(number) if number.is_integer() else number


# Integers from here on are not all floats: 2**53 + 1 read as a float is 2**53.
EXACT_FLOAT_INTEGERS = 2**53


def _number_label(value, number: float) -> int | float:
    """The class a numeric label stands for: an int when integral, a float otherwise. An
    integer a float cannot hold (|n| > 2**53, up to 64 bits) is read exactly from `value`, so
    that codes such as 9007199254740993 and 9007199254740992 stay two classes."""
    if number.is_integer() and abs(number) >= EXACT_FLOAT_INTEGERS:
        exact = None
        if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
            exact = int(value)
        elif isinstance(value, str) and value.strip().lstrip("+-").isdigit():
            exact = int(value.strip())
        if exact is not None and abs(exact) < 2**63:
            return exact
    return _python_number(number)


def _string_label(value) -> str:
    number = as_number(value) if not isinstance(value, str) else None
    if number is not None:
        return str(_number_label(value, number))
    return str(value)


# Larger regression labels square past the float range: every error and gain is inf.
MAX_REGRESSION_LABEL = 1e150


class LabelCodec(Labels):
    """Learns the label space at fit time.

    Classification labels are numbers when every label parses as a number (int when
    integral, else float), otherwise strings; `classes_` is sorted and label k of the
    model is `classes_[k]`. Regression labels must all be finite numbers. Decoding and
    reading back (`decode`, `from_manifest`) are the scoring code's (`automl_runtime`).
    """

    def fit_encode(
        self, y: Sequence, max_classes: int = MAX_CLASSES, limit_name: str = ""
    ) -> np.ndarray:
        """Codes of the labels; more than `max_classes` classes raise LimitExceeded (the
        message names the limit `limit_name`, when given)."""
        found = factorize(y)
        if found is not None and len(found[0]) and found[0].min() < 0:
            found = None  # missing labels: cell by cell, for the same errors as ever
        # Each distinct raw value is coded once (labels repeat: a few classes over many rows).
        codes, values = (found[0], found[1].tolist()) if found is not None else (None, list(y))
        if self.task == "regression":
            numbers = np.empty(len(values), dtype=np.float64)
            for i, value in enumerate(values):
                number = as_number(value)
                if number is None:
                    raise TrainingError(_not_a_regression_label(value))
                numbers[i] = number
            largest = float(numbers[np.abs(numbers).argmax()]) if len(numbers) else 0.0
            if abs(largest) > MAX_REGRESSION_LABEL:
                raise TrainingError(
                    f"regression label {largest:.3g} is too large: beyond "
                    f"{MAX_REGRESSION_LABEL:.0e} squared errors overflow 64-bit floats; divide "
                    "the labels by a power of ten (and multiply the predictions back)"
                )
            self.classes_: list = []
            self.numeric_ = True
            return numbers if codes is None else numbers[codes]
        numbers = [as_number(v) for v in values]
        self.numeric_ = all(n is not None for n in numbers)
        if self.numeric_:
            labels = [_number_label(v, n) for v, n in zip(values, numbers, strict=True)]
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
        encoded = np.array([self._index[label] for label in labels], dtype=np.int64)
        return encoded if codes is None else encoded[codes]

    def encode_truth(self, values: Sequence) -> np.ndarray:
        """True labels for scoring, as `normalise` judges them, one array entry per value.

        Classification: the class code; -1 where missing; for a label outside `classes_`,
        n_classes + j for the j-th such distinct label (a wrong prediction, and a class of its
        own in macro averages). Regression: the number; NaN where missing or not a number.
        """
        found = factorize(values)
        codes, distinct = (found[0], found[1].tolist()) if found is not None else (None, values)
        if self.task == "regression":
            out = np.array(
                [np.nan if (n := self.normalise(v)) is None else n for v in distinct],
                dtype=np.float64,
            )
            return out if codes is None else np.append(out, np.nan)[codes]
        index = dict(self._index)
        out = np.empty(len(distinct), dtype=np.int64)
        for i, value in enumerate(distinct):
            label = self.normalise(value)
            out[i] = -1 if label is None else index.setdefault(label, len(index))
        return out if codes is None else np.append(out, -1)[codes]

    def normalise(self, value):
        """A raw label as comparable with `classes_`; None when missing."""
        if is_missing(value):
            return None
        if self.task == "regression":
            return as_number(value)
        if self.numeric_:
            number = as_number(value)
            return _number_label(value, number) if number is not None else _string_label(value)
        return _string_label(value)

    def to_manifest(self) -> dict:
        return {"task": self.task, "classes": self.classes_, "numeric": self.numeric_}

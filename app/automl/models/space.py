"""What a model family declares to the engine besides fitting: its hyperparameter search
space (`SearchSpace`) and its expected cost (`Learner.expected_seconds`).

A search space maps a point of the unit cube, one coordinate per `Dim` (log scale where that
is natural), to a learner, and a learner of its family back to its point; the search
(`tuning.py`) works on points only, so it knows nothing of any family's parameters.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Dim:
    """One hyperparameter on the unit interval."""

    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = False

    def value(self, u: float):
        u = min(1.0, max(0.0, float(u)))
        if self.log:
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return int(round(x)) if self.integer else float(x)

    def unit(self, x) -> float:
        x = min(self.high, max(self.low, float(x)))
        if self.high <= self.low:
            return 0.0
        if self.log:
            return (math.log(x) - math.log(self.low)) / (math.log(self.high) - math.log(self.low))
        return (x - self.low) / (self.high - self.low)


class SearchSpace(Protocol):
    """A family's tunable configurations for one dataset."""

    dims: Sequence[Dim]
    prefix: str  # its learners are named <prefix>_<trial number>

    def learner(self, name: str, u: np.ndarray):
        """The learner at point `u` (one coordinate in [0, 1] per dim)."""
        ...

    def point(self, learner) -> np.ndarray | None:
        """`learner`'s point in this space, or None if the space cannot express it (another
        family, or a configuration outside it)."""
        ...

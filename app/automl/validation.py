"""Row splits for out-of-fold validation."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, train_test_split


@dataclass(frozen=True)
class Fold:
    train: np.ndarray
    valid: np.ndarray


def make_folds(
    y: np.ndarray, task: str, n_folds: int, holdout: float | None, seed: int
) -> list[Fold]:
    """k-fold splits, or a single holdout split when `holdout` (a fraction) is given.

    Classification splits are stratified when possible. Classes with fewer members than
    folds are fine (they just miss from some training folds); when no class has enough
    members to stratify, plain shuffled folds are used.
    """
    n_rows = len(y)
    counts = np.unique(y, return_counts=True)[1] if task == "classification" else None
    if holdout is not None:
        stratify = y if counts is not None and counts.min() >= 2 else None
        n_valid = max(1, int(round(n_rows * holdout)))
        if stratify is not None and n_valid < len(counts):
            stratify = None
        train, valid = train_test_split(
            np.arange(n_rows), test_size=n_valid, random_state=seed, shuffle=True, stratify=stratify
        )
        return [Fold(np.sort(train), np.sort(valid))]
    k = max(2, min(n_folds, n_rows))
    if counts is not None and counts.max() >= k:
        splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    else:
        splitter = KFold(n_splits=k, shuffle=True, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "least populated class has 1 member"
        return [Fold(train, valid) for train, valid in splitter.split(np.zeros(n_rows), y)]

"""Score automl-server models without the server.

    import automl_runtime
    model = automl_runtime.load("model.zip")     # a path, or the artifact's bytes
    model.predict(df)                            # pandas Series: labels or values
    model.predict_proba(df)                      # DataFrame, one column per class

The rows are a DataFrame whose columns are named as in training (numeric features by name,
categorical features as the text the server was given; other columns, such as the label, are
ignored), or for a model trained on unnamed vectors a 2-D array (or a DataFrame) of that
width. The predictions are the server's own: the server scores with this package's code.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .artifact import READABLE, VERSION, UnsupportedArtifact, describe, read
from .features import Features
from .pipeline import Pipeline

__version__ = "0.1.0"
__all__ = ["READABLE", "VERSION", "Model", "UnsupportedArtifact", "load"]


def load(source: str | os.PathLike | bytes, *, threads: int = 1) -> Model:
    """The model in an artifact file (`download_automl_model`'s `model_data`, decoded) or its
    bytes. `threads`: threads per prediction call (the results do not depend on it).
    Raises UnsupportedArtifact for what this version cannot score, e.g. a newer artifact."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
    else:
        with open(source, "rb") as handle:
            data = handle.read()
    manifest, files = read(data)
    return Model(Pipeline.from_manifest(manifest, files, max(1, int(threads))), manifest)


class Model:
    """A loaded model: `predict`, `predict_proba`, and what it expects (`features`)."""

    def __init__(self, pipeline: Pipeline, manifest: dict):
        self._pipeline = pipeline
        self._encoder = pipeline.encoder
        self.manifest = manifest
        self.task: str = pipeline.task
        self.classes_: list = list(pipeline.classes_)
        self.format_version: int = int(manifest["version"])

    def describe(self) -> dict:
        """The features, classes, task and members (as download_automl_model's manifest)."""
        return describe(self.manifest)

    @property
    def numeric_features(self) -> list[str] | None:
        """Names of the numeric input columns, in order; None for unnamed vectors."""
        names = self._encoder.names_
        return list(names) if names is not None else None

    @property
    def n_numeric(self) -> int:
        """How many numeric input columns the model reads."""
        return int(self._encoder.n_numeric_)

    @property
    def categorical_features(self) -> list[str]:
        """Names of the categorical input columns (text or numbers, matched as text)."""
        return list(self._encoder.categorical_names_)

    @property
    def features(self) -> list[str]:
        """The columns a DataFrame must have: the numeric names (f0, f1, ... for unnamed
        vectors) then the categorical ones. (Built on each call: for very wide unnamed
        vectors, `n_numeric` says the same at no cost.)"""
        return [*self._encoder.numeric_names_, *self.categorical_features]

    def predict(self, rows) -> pd.Series:
        """Predicted labels (classification) or values (regression), one per row."""
        features, index = self._features(rows)
        return pd.Series(self._pipeline.predict(features), index=index, name="prediction",
                         dtype=np.float64 if self.task == "regression" else object)

    def predict_proba(self, rows) -> pd.DataFrame:
        """Class probabilities: one column per class, in `classes_` order."""
        if self.task != "classification":
            raise ValueError("predict_proba is only available for classification models")
        features, index = self._features(rows)
        proba = self._pipeline.predict_proba(features)
        return pd.DataFrame(proba, index=index, columns=self.classes_)

    # ---- input ---------------------------------------------------------------------------

    def _features(self, rows) -> tuple[Features, Sequence]:
        encoder = self._encoder
        if isinstance(rows, pd.DataFrame):
            return self._frame_features(rows), rows.index
        if isinstance(rows, pd.Series):
            raise TypeError("give a DataFrame of rows (a Series is one column)")
        if encoder.kept_categorical_:
            raise TypeError(
                "this model has categorical features "
                f"{encoder.kept_categorical_}: give the rows as a pandas DataFrame")
        block = rows if sp.issparse(rows) else np.asarray(rows)
        if block.ndim != 2:
            raise ValueError(f"rows must be 2-dimensional, got shape {block.shape}")
        block = self._widen(block)
        if block.shape[1] != encoder.n_numeric_:
            raise ValueError(f"the rows have {block.shape[1]} columns but the model reads "
                             f"{encoder.n_numeric_}")
        return Features(numeric=block, numeric_names=[]), range(block.shape[0])

    def _widen(self, block):
        """Sparse rows reach only their highest index: the rest are implicit zeros."""
        width = self._encoder.n_numeric_
        if sp.issparse(block) and block.shape[1] < width:
            csr = sp.csr_matrix(block)
            return sp.csr_matrix((csr.data, csr.indices, csr.indptr), shape=(csr.shape[0], width))
        return block

    def _frame_features(self, frame: pd.DataFrame) -> Features:
        encoder = self._encoder
        columns = [str(c) for c in frame.columns]
        if len(set(columns)) != len(columns):
            raise ValueError("the DataFrame has repeated column names")
        by_name = dict(zip(columns, frame.columns, strict=True))
        lacking = [c for c in encoder.kept_categorical_ if c not in by_name]
        if lacking:
            raise ValueError(f"the rows lack the model's categorical columns {lacking}")
        categorical = {c: frame[by_name[c]].tolist() for c in encoder.categorical_names_
                       if c in by_name}
        if encoder.names_ is not None:
            names = encoder.names_
            lacking = [n for n in names if n not in by_name]
            if lacking:
                raise ValueError(f"the rows lack the model's numeric columns {lacking[:10]}")
            chosen = [by_name[n] for n in names]
        else:
            width = encoder.n_numeric_
            positional = [f"f{j}" for j in range(width)]
            if all(n in by_name for n in positional):
                chosen = [by_name[n] for n in positional]
            else:
                chosen = [by_name[c] for c in columns if c not in encoder.categorical_names_]
                if len(chosen) != width:
                    raise ValueError(
                        f"the model reads {width} unnamed numeric columns (f0..f{width - 1}); "
                        f"the rows have {len(chosen)} other than the categorical ones "
                        "(drop the label and any id column, or name the columns f0, f1, ...)")
        block = np.empty((len(frame), len(chosen)), dtype=np.float64)
        for j, column in enumerate(chosen):
            values = frame[column]
            if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
                try:
                    values = pd.to_numeric(values.replace("", np.nan), errors="raise")
                except (TypeError, ValueError) as exc:
                    raise ValueError(
                        f"column '{column}' is a numeric feature of the model but holds "
                        f"values that are not numbers ({exc})") from None
            block[:, j] = values.to_numpy(dtype=np.float64, na_value=np.nan)
        names = list(encoder.names_) if encoder.names_ is not None else []
        return Features(numeric=block, numeric_names=names, categorical=categorical)

"""DataFrames to the API's files: CSV with a header, gzip, base64; split by rows so that each
request stays under the size limit."""

from __future__ import annotations

import base64
import gzip
import os
from collections.abc import Iterator

import pandas as pd
from pandas.api import types as ptypes


def read_table(data: pd.DataFrame | str | os.PathLike[str]) -> pd.DataFrame:
    """A DataFrame as given, or a CSV file (path) read with pandas."""
    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, str | os.PathLike):
        return pd.read_csv(data)
    raise TypeError(f"expected a pandas DataFrame or a CSV path, not {type(data).__name__}")


def text_columns(df: pd.DataFrame, exclude: set[str | None]) -> list[str]:
    """Columns holding text (object, string, category or bool dtype): the server stores them
    as attributes, and the client declares them categorical features."""
    names = []
    for name, dtype in df.dtypes.items():
        if name in exclude:
            continue
        if (ptypes.is_object_dtype(dtype) or ptypes.is_string_dtype(dtype)
                or isinstance(dtype, pd.CategoricalDtype) or ptypes.is_bool_dtype(dtype)):
            names.append(str(name))
    return names


def encode(df: pd.DataFrame, compress: bool = True) -> str:
    """The rows as base64 of a CSV with a header row (no index), gzip-compressed first unless
    `compress` is false."""
    raw = df.to_csv(index=False).encode("utf-8")
    if compress:
        raw = gzip.compress(raw, compresslevel=6)
    return base64.b64encode(raw).decode("ascii")


def encoded_chunks(df: pd.DataFrame, max_bytes: int,
                   compress: bool = True) -> Iterator[tuple[pd.DataFrame, str]]:
    """(rows, encoded file) pairs covering the frame in order, each file at most `max_bytes`
    of base64 (a single row over it is sent alone, and the server judges it). The first chunk
    size is estimated from a sample; a chunk that comes out too large is halved."""
    if len(df) == 0:
        yield df, encode(df, compress)
        return
    sample = df.iloc[: min(len(df), 2000)]
    per_row = max(1.0, len(encode(sample, compress)) / len(sample))
    step = max(1, int(max_bytes * 0.8 / per_row))
    for start in range(0, len(df), step):
        yield from _fit(df.iloc[start:start + step], max_bytes, compress)


def _fit(part: pd.DataFrame, max_bytes: int,
         compress: bool) -> Iterator[tuple[pd.DataFrame, str]]:
    data = encode(part, compress)
    if len(data) <= max_bytes or len(part) <= 1:
        yield part, data
        return
    middle = len(part) // 2
    yield from _fit(part.iloc[:middle], max_bytes, compress)
    yield from _fit(part.iloc[middle:], max_bytes, compress)

"""Shared column logic for CSV files and flat JSON records.

Each input column is described by a :class:`Column`; :func:`assemble` decides which columns
hold ids, attributes and vector components and builds the :class:`Columns`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .errors import IngestError
from .ids import id_problem
from .limits import check_rows, check_width, layout_of, too_wide
from .stream import NeedsExactParse
from .types import Columns, ParseOptions
from .vectors import check_vector_dim, convert_vectors

Where = Callable[[int], str]
_FLOAT32_MAX = float(np.finfo(np.float32).max)
_EXACT_INT = float(2**53)
"""Below this, every whole float64 is an exact integer, and int() of it equals int() of the
decimal text it was read from."""


def exact_parse_needed(_row: int) -> str:
    """The ``where`` of a fast reader, which knows no line numbers: asking for one means there
    is an error to word, which is the exact reader's job."""
    raise NeedsExactParse


@dataclass
class Column:
    name: str
    """Header name / JSON key, or ``column_<position>`` when the input has no names."""
    position: int
    nums: np.ndarray
    """float64 value of each cell; NaN where the cell is missing or not a number."""
    missing: np.ndarray
    """bool: the cell is missing (empty, a missing marker, or JSON null)."""
    nonnumeric: np.ndarray
    """bool: the cell is present but not a number."""
    source: pd.Series | None = None
    """Where :meth:`values` comes from when ``raw`` is not given (converted only on demand)."""
    raw: list | None = None
    """Original cell values (str / int / float / bool; None when missing)."""
    make_raw: Callable[[], list] | None = None
    """Where :meth:`values` comes from when neither ``raw`` nor ``source`` is given."""

    def has_text(self) -> bool:
        return bool(self.nonnumeric.any())

    def values(self) -> list:
        if self.raw is None:
            if self.make_raw is not None:
                self.raw = self.make_raw()
            elif self.source is not None:
                series = self.source.astype(object)
                self.raw = series.where(series.notna(), None).tolist()
            else:
                self.raw = [None if np.isnan(v) else float(v) for v in self.nums]
        return self.raw


@dataclass
class BlockColumn:
    """A numeric column that a fast reader wrote straight into column ``index`` of a float32
    block: every cell a number or missing (NaN), every number a finite float32, as the reader
    checked. :func:`assemble` uses the block itself as the vectors when its columns are exactly
    the vector columns; anything else about such a column is left to the exact reader."""

    name: str
    position: int
    block: np.ndarray
    index: int

    def has_text(self) -> bool:
        return False

    @property
    def missing(self) -> np.ndarray:
        return np.isnan(self.block[:, self.index])

    def values(self) -> list:
        raise NeedsExactParse  # the cells' text is gone (an id, a label: read as text)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _as_int(value: object, number: float) -> int:
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip())  # exact for long integers such as account numbers
        except ValueError:
            pass
    return int(number)


def attribute_values(column: Column, keep_numbers: bool) -> list:
    """Cell values as attributes: numbers stay numbers for an explicitly listed column that is
    entirely numeric (ints when every value is whole), otherwise strings; missing -> None."""
    present = ~column.missing
    finite = np.isfinite(column.nums[present])
    if keep_numbers and not column.nonnumeric.any() and finite.all():
        numbers = column.nums
        if np.all(numbers[present] == np.round(numbers[present])):
            if not present.any() or np.abs(numbers[present]).max() < _EXACT_INT:
                # int() of the number is int() of its text: no Python step per cell
                values = np.where(present, numbers, 0).astype(np.int64).tolist()
                return _with_none(values, column.missing)
            return [
                None if m else _as_int(r, n)
                for r, n, m in zip(column.values(), numbers, column.missing, strict=True)
            ]
        return _with_none(numbers.tolist(), column.missing)
    raw = column.values()
    if set(map(type, raw)) <= {str, type(None)}:  # text as read: no Python step per cell
        return _with_none(raw, column.missing)  # the column's own list: it has one role
    return [None if m else _text(r) for r, m in zip(raw, column.missing, strict=True)]


def _with_none(values: list, missing: np.ndarray) -> list:
    """``values`` with None where ``missing``."""
    for i in np.flatnonzero(missing).tolist():
        values[i] = None
    return values


def _find(columns: list[Column], key: str | int, option: str, named: bool) -> Column:
    """Resolve a column option given as a name, or a 0-based position."""
    if isinstance(key, str) and named:
        for col in columns:
            if col.name == key:
                return col
        folded = [c for c in columns if c.name.casefold() == key.strip().casefold()]
        if len(folded) == 1:
            return folded[0]
    if isinstance(key, str) and key.strip().isdigit():
        key = int(key.strip())
    if isinstance(key, int) and not isinstance(key, bool):
        if 0 <= key < len(columns):
            return columns[key]
        raise IngestError(
            f"{option} {key} is out of range: the file has {len(columns)} columns "
            "(positions are 0-based)"
        )
    if not named:
        raise IngestError(
            f"{option} {key!r} names a column, but the file has no header row; "
            "give a 0-based column position instead, or add a header row"
        )
    names = ", ".join(repr(c.name) for c in columns[:20])
    more = ", ..." if len(columns) > 20 else ""
    raise IngestError(
        f"{option} {key!r} is not a column of the file; the columns are {names}{more}"
    )


def check_columns(n_columns: int, options: ParseOptions, subject: str) -> None:
    """Refuse a file with far more columns than a vector may have, before building them.
    ``subject`` is a template with ``{n}``. The id, label and attribute columns are allowed
    for; :func:`assemble` checks the exact number of vector columns."""
    if options.limits is None:
        return
    layout = layout_of(options.vector_type)
    named = [k for k in [options.label_column, *options.attribute_columns] if k]
    if n_columns > options.limits.max_dim(layout) + len(named) + 2:
        raise too_wide(layout, options.limits, subject.format(n=n_columns))


def _check_numeric(column: Column, required: bool, where: Where) -> None:
    """A column with a text cell becomes a text attribute, unless it must be numeric (a vector
    column of the collection or model the file is for) or is mostly numbers: then the text is
    a mistake, refused with its row."""
    numbers = int(np.count_nonzero(~column.missing & ~column.nonnumeric))
    texts = int(np.count_nonzero(column.nonnumeric))
    if required:
        reason = "the column is a numeric feature of the data this file is for"
    elif numbers > texts:
        reason = f"{numbers} of the column's {numbers + texts} values are numbers"
    else:
        return
    i = int(np.argmax(column.nonnumeric))
    raise IngestError(
        f"{where(i)}, column {column.name!r}: {column.values()[i]!r} is not a number, but "
        f"{reason}; make the column numeric (leave the cell empty for a missing value), or "
        "declare it categorical with categorical_features / attribute_columns to keep it as text"
    )


def _example(column: Column, where: Where) -> str:
    i = int(np.argmax(column.nonnumeric))
    return f"{column.name!r} (e.g. {column.values()[i]!r} at {where(i)})"


def _vector_block(vector_cols: list, where: Where, n_rows: int) -> np.ndarray:
    """The float32 (n_rows, len(vector_cols)) block of the vector columns: a fast reader's
    block itself when the columns are all of it, in order; else stacked and checked here."""
    if vector_cols and all(isinstance(c, BlockColumn) for c in vector_cols):
        block = vector_cols[0].block
        if block.shape == (n_rows, len(vector_cols)) and all(
            c.block is block and c.index == k for k, c in enumerate(vector_cols)
        ):
            return block  # the reader checked every value
    if any(isinstance(c, BlockColumn) for c in vector_cols):
        raise NeedsExactParse
    if vector_cols:
        values = np.column_stack([c.nums for c in vector_cols])
    else:
        values = np.zeros((n_rows, 0))
    bad = np.isinf(values) | (np.abs(np.nan_to_num(values)) > _FLOAT32_MAX)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise IngestError(
            f"{where(i)}, column {vector_cols[j].name!r}: {vector_cols[j].values()[i]!r} is not "
            "a finite float32 number (leave the cell empty for a missing value)"
        )
    return values.astype(np.float32)


def assemble(
    columns: list[Column | BlockColumn], *, named: bool, options: ParseOptions, where: Where,
    n_rows: int,
) -> Columns:
    """Build Columns from classified columns.

    ``named`` says whether column names came from the input (CSV header / JSON keys).
    """
    check_vector_dim(options.vector_dim)
    if n_rows == 0:
        raise IngestError("the file has no data rows")
    check_rows(n_rows, options.limits, "the file")
    if not columns:
        raise IngestError("the file has no columns")
    used: dict[int, str] = {}

    def claim(col: Column, option: str) -> Column:
        if used.get(col.position, option) != option:
            raise IngestError(
                f"column {col.name!r} cannot be both {used[col.position]} and {option}"
            )
        used[col.position] = option
        return col

    id_col = None
    if options.id_column is None:
        if named:
            listed = {
                str(k).strip().casefold()
                for k in [options.label_column, *options.attribute_columns]
                if k
            }
            for wanted in ("string_id", "id"):
                found = [
                    c
                    for c in columns
                    if c.name.strip().casefold() == wanted and wanted not in listed
                ]
                if found:
                    id_col = claim(found[0], "id_column")
                    break
    elif options.id_column != "":
        id_col = claim(_find(columns, options.id_column, "id_column", named), "id_column")

    def lookup(key: str | int, option: str) -> Column | None:
        if options.optional_columns and isinstance(key, str):
            if not named and not key.strip().isdigit():
                return None  # a name, and the file has no header row to find it in
            if named and not any(
                c.name.strip().casefold() == key.strip().casefold() for c in columns
            ):
                return None
        return _find(columns, key, option, named)

    label_col = None
    if options.label_column:
        label_col = lookup(options.label_column, "label_column")
        if label_col is not None:
            label_col = claim(label_col, "label_column")
    explicit: list[Column] = []
    for key in options.attribute_columns or []:
        col = lookup(key, "attribute column")
        if col is None or col is label_col or any(c is col for c in explicit):
            continue
        explicit.append(claim(col, "an attribute column"))

    vector_cols: list[Column] = []
    auto_attrs: list[Column] = []
    numeric = set(options.numeric_columns) if named else set()
    for col in columns:
        if col.position in used:
            continue
        if col.has_text():
            _check_numeric(col, col.name in numeric, where)
            auto_attrs.append(col)
        else:
            vector_cols.append(col)
    width = len(vector_cols)
    check_width(layout_of(options.vector_type), width, options.limits,
                f"the file has {width} vector columns")
    if options.feature_count is not None and width < options.feature_count and auto_attrs:
        col = auto_attrs[0]
        i = int(np.argmax(col.nonnumeric))
        raise IngestError(
            f"{where(i)}, column {col.name!r}: {col.values()[i]!r} is not a number, so the "
            f"column is not read as a feature, and the file has {width} numeric columns where "
            f"{options.feature_count} are needed; make the column numeric (leave the cell empty "
            "for a missing value)"
        )

    def hint() -> str:  # only for an error: it names rows
        if not auto_attrs:
            return ""
        shown = "; ".join(_example(c, where) for c in auto_attrs[:5])
        return f" (columns stored as attributes because they hold non-numeric values: {shown})"

    if not vector_cols and options.require_vectors:
        raise IngestError("the file has no numeric columns to use as vector components" + hint())
    if options.vector_dim is not None and len(vector_cols) != options.vector_dim:
        raise IngestError(
            f"the file has {len(vector_cols)} numeric vector columns but the collection has "
            f"vector_dim {options.vector_dim}{hint()}"
        )

    vectors = convert_vectors(_vector_block(vector_cols, where, n_rows), options.vector_type)

    ids = None
    if id_col is not None:
        ids = [_text(v) for v in id_col.values()]
        seen: dict[str, int] = {}
        for i, value in enumerate(ids):
            if value is None or not value.strip():
                raise IngestError(f"{where(i)}: the id column {id_col.name!r} is empty")
            value = value.strip()
            problem = id_problem(value)
            if problem:
                raise IngestError(f"{where(i)}: the id {value[:50]!r} {problem}")
            ids[i] = value
            if value in seen:
                raise IngestError(
                    f"id {value!r} appears twice ({where(seen[value])} and {where(i)}); "
                    "ids must be unique"
                )
            seen[value] = i

    attr_columns: list[tuple[str, list]] = []
    if label_col is not None:
        attr_columns.append(
            (label_col.name if named else "label", attribute_values(label_col, True))
        )
    for col in explicit:
        attr_columns.append((col.name, attribute_values(col, True)))
    for col in auto_attrs:
        attr_columns.append((col.name, attribute_values(col, False)))
    return Columns(
        ids=ids,
        vectors=vectors,
        attributes=dict(attr_columns),
        feature_names=[c.name for c in vector_cols] if named else None,
    )

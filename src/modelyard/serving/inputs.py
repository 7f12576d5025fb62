"""The one validation of input records, shared by ``modelyard predict`` and the HTTP server.

``serving.predict`` applies it to every batch, from a file or a request, with the same rules and
the same messages; only how rows are named and what the hint suggests depend on the origin
(``Origin``: a request's records ``[3]``, a file's lines).

* **Finite numbers.** A numeric input is a finite number or missing. Infinity, -infinity, NaN
  written as a number and a number too large for a double (``1e400`` reads as infinity) are
  refused, in a request (422, by the request schema while it parses JSON, with this module's
  ``not_finite`` sentence) and in a file (exit 2, naming the column, the lines and the values).
  In a file, the markers training read as missing (an empty cell, ``NA``, ``NaN``, ...) stay
  missing values, as they were in training; in JSON a missing value is ``null``.
* **Unseen categories.** A categorical value that no training row held is scored the way the
  model's encoding treats an unseen value (all zeros for one-hot, the prior for target encoding,
  missing for native categories). How a version treats them is recorded with it from the spec's
  ``predict.unseen_categories`` (the version tag ``unseen_categories``; ``warn`` for versions
  registered before the key existed):

  ========  ===============================================================================
  error     the batch is refused: 422 / exit 2, naming the column, the rows and the values
  warn      scored; counted per column in the answer (``unseen_categories`` of the HTTP
            response, the summary and ``--json`` of ``modelyard predict``)
  ignore    scored; not reported to the caller
  ========  ===============================================================================

  Whatever the policy, the server counts them in ``/metrics``
  (``modelyard_unseen_categories_total{model,version,column}``). A value that differs from a
  training category only in case, spaces or punctuation (``month-to-month`` for
  ``Month-to-month``) is unseen too, and the report names the category it nearly matches.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from modelyard.data.row_lines import row_label
from modelyard.data.schema import Schema
from modelyard.errors import SchemaMismatch
from modelyard.features.categorical import canonical
from modelyard.serving.errors import InvalidInput
from modelyard.spec.models import UNSEEN_CATEGORIES, UNSEEN_CATEGORIES_TAG

UNSEEN_POLICIES = UNSEEN_CATEGORIES  # the spec's choices (predict.unseen_categories)
DEFAULT_UNSEEN = "warn"  # also what versions registered before the spec key existed get
UNSEEN_TAG = UNSEEN_CATEGORIES_TAG  # the version tag the policy is recorded in
SHOWN = 5  # values and rows a message lists
FINITE_EXPECTED = (
    "expected a finite number, or a missing value (null in JSON, an empty cell in a file)"
)
TOO_LARGE = "a number beyond +-1.8e308, such as 1e400, reads as infinite"


def not_finite(received: str) -> str:
    """The finite-number rule's sentence for one received value (a request's field)."""
    return f"{received} is not a finite number; {FINITE_EXPECTED}"


def finite_number(value: float | int) -> float | None:
    """``value`` as a float when it is finite, else None (NaN, +-inf, an int beyond a double)."""
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def policy_of(tags: dict[str, str] | None) -> str:
    """The unseen-category policy recorded in a version's tags (``DEFAULT_UNSEEN`` if none)."""
    value = (tags or {}).get(UNSEEN_TAG, DEFAULT_UNSEEN)
    return value if value in UNSEEN_POLICIES else DEFAULT_UNSEEN


@dataclass(frozen=True)
class Origin:
    """Where a batch came from: how messages name its rows and what their hints suggest.

    ``kind`` is 'request' (records of a JSON body; ``listed`` when it was an array) or 'file'
    (``lines``, called only when a message needs it, gives the line each row starts on, or None
    to count data rows).
    """

    kind: Literal["request", "file"] = "request"
    listed: bool = True
    lines: Callable[[], Sequence[int] | None] | None = field(default=None, compare=False)

    @cached_property
    def _lines(self) -> Sequence[int] | None:
        return self.lines() if self.lines is not None else None

    def rows(self, positions: Sequence[int]) -> str:
        """'records [0] and [4]', 'the record', or 'lines 3 and 9' (or rows, counted from 1)."""
        if self.kind == "file":
            return row_label(positions, self._lines, SHOWN)
        if not self.listed:
            return "the record"
        shown = [f"[{int(p)}]" for p in positions[:SHOWN]]
        text = ", ".join(shown)
        if len(positions) > SHOWN:
            text += f" and {len(positions) - SHOWN} more"
        elif len(shown) > 1:
            head, _, last = text.rpartition(", ")
            text = f"{head} and {last}"
        return f"record{'s' if len(positions) > 1 else ''} {text}"

    def line_numbers(self, positions: Sequence[int]) -> list[int]:
        """The numbers the report lists: file lines (or data rows from 1), record indexes."""
        if self.kind == "file":
            lines = self._lines
            return [lines[p] if lines is not None else p + 1 for p in positions]
        return [int(p) for p in positions]


@dataclass(frozen=True)
class UnseenColumn:
    """The rows of one categorical column that hold a category training never saw."""

    column: str
    positions: tuple[int, ...]  # row positions in the batch, all of them
    values: tuple[str, ...]  # distinct unseen values, most frequent first
    near: dict[str, str]  # unseen value -> the training category it equals but for case,
    # spaces and punctuation
    categories: tuple[str, ...]  # the training categories
    first_rows: tuple[tuple[int, str], ...] = ()  # (position, value) of the first rows

    @property
    def count(self) -> int:
        return len(self.positions)

    def describe(self, origin: Origin) -> str:
        """"'Contract' in lines 4 and 9: 'month-to-month' (training has 'Month-to-month')"."""
        values = ", ".join(self._value(v) for v in self.values[:SHOWN])
        more = f" and {len(self.values) - SHOWN} more" if len(self.values) > SHOWN else ""
        return f"'{self.column}' in {origin.rows(self.positions)}: {values}{more}"

    def to_json(self, origin: Origin) -> dict[str, Any]:
        """What a caller gets per column: the count, the values, their near matches, the rows."""
        key = "lines" if origin.kind == "file" and origin._lines is not None else (
            "rows" if origin.kind == "file" else "records")
        return {
            "count": self.count,
            "values": list(self.values[:SHOWN]),
            "near": {v: c for v, c in self.near.items() if v in self.values[:SHOWN]},
            key: origin.line_numbers(self.positions[:SHOWN]),
        }

    def _value(self, value: str) -> str:
        near = self.near.get(value)
        shown = repr(value) if len(value) <= 60 else repr(value[:57] + "...")
        return f"{shown} (training has {near!r})" if near else shown


class UnseenCategories(InvalidInput):
    """A batch refused because it holds categories training never saw (policy ``error``)."""

    def __init__(self, unseen: list[UnseenColumn], origin: Origin) -> None:
        first = unseen[0]
        listed = ", ".join(repr(c) for c in first.categories[:20])
        more = " ..." if len(first.categories) > 20 else ""
        message = (
            "categories training never saw: "
            + "; ".join(u.describe(origin) for u in unseen[:SHOWN])
            + f"; expected for '{first.column}' one of: {listed}{more}"
        )
        if origin.kind == "request":
            hint = ("send one of the values the model was trained with (GET /v1/models/{name} "
                    "lists them per field), or null for a missing value")  # fmt: skip
        else:
            hint = ("fix those values in the file (an empty cell is a missing value), or score "
                    "them as unseen with --unseen-categories warn")  # fmt: skip
        if any(u.near for u in unseen):
            hint = "categories are compared exactly, case included; " + hint
        prefix = "[{}]." if origin.kind == "request" and origin.listed else ""
        details = [
            {"field": prefix.format(position) + u.column, "type": "unseen_category",
             "message": f"category {u._value(value)} was not in the training data"}
            for u in unseen for position, value in u.first_rows
        ]  # fmt: skip
        super().__init__(message, hint=hint, details=details[:20])
        self.unseen = unseen


def check_finite(frame: pd.DataFrame, schema: Schema, origin: Origin) -> None:
    """Refuse infinite (and too large) numbers in the numeric columns of raw input rows.

    Numbers held as text are parsed as the model's numeric columns parse them; text that is not
    a number is left to the schema check, which names it.
    """
    for column in schema.columns:
        if column.kind != "numeric" or column.name not in frame.columns:
            continue
        series = frame[column.name]
        if isinstance(series, pd.DataFrame):  # repeated labels: the schema check reports them
            continue
        if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
                series.dtype):
            numbers = series.to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            text = series.astype(object).where(series.notna(), None)
            numbers = pd.to_numeric(
                pd.Series([v.strip() if isinstance(v, str) else v for v in text], dtype=object),
                errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)  # fmt: skip
        bad = np.flatnonzero(np.isinf(numbers))
        if bad.size:
            raise _not_finite_error(column.name, bad, numbers[bad], origin)


def _not_finite_error(column: str, positions: np.ndarray, values: np.ndarray,
                      origin: Origin) -> SchemaMismatch:
    shown = ", ".join(dict.fromkeys("inf" if v > 0 else "-inf" for v in values))
    message = (f"column '{column}' holds {len(positions)} number(s) that are not finite, in "
               f"{origin.rows(positions.tolist())}: {shown}; {FINITE_EXPECTED}")  # fmt: skip
    if origin.kind == "request":
        hint = f"send finite numbers, or null for a missing value ({TOO_LARGE})"
    else:
        hint = (f"replace those values with finite numbers, or empty the cells to mark them "
                f"missing ({TOO_LARGE})")  # fmt: skip
    return SchemaMismatch(message, hint=hint)


def find_unseen(preprocessors: Sequence[Any], checked: pd.DataFrame) -> list[UnseenColumn]:
    """The categorical columns of ``checked`` rows holding categories no preprocessor saw.

    ``preprocessors``: the model's fitted preprocessing (one per ensemble member); a value is
    unseen when none of them saw it in training.
    """
    masks: dict[str, np.ndarray] = {}
    categories: dict[str, dict[str, None]] = {}
    for pre in preprocessors:
        for name, mask in pre.unseen_categories(checked).items():
            masks[name] = mask if name not in masks else masks[name] & mask
            categories.setdefault(name, {}).update(
                dict.fromkeys(pre.encoders_[name].categories_))
    found = []
    for name, mask in masks.items():
        positions = np.flatnonzero(mask)
        if positions.size:
            values = [str(v) for v in canonical(checked[name].iloc[positions])]
            found.append(_unseen_column(name, positions.tolist(), values, list(categories[name])))
    return found


def unseen_row_report(preprocessors: Sequence[Any], found: dict[str, str]) -> list[UnseenColumn]:
    """``find_unseen`` for one record, from the unseen values the model's compiled single-row
    path found (``RowPath.unseen``: column -> canonical value)."""
    out = []
    for name, value in found.items():
        known: dict[str, None] = {}
        for pre in preprocessors:
            known.update(dict.fromkeys(pre.encoders_[name].categories_))
        out.append(_unseen_column(name, [0], [str(value)], list(known)))
    return out


def _unseen_column(name: str, positions: list[int], values: list[str],
                   known: list[str]) -> UnseenColumn:  # fmt: skip
    """The report of one column's unseen values (``values``: one per position, in order)."""
    counts = pd.Series(values, dtype=object).value_counts(sort=True)
    distinct = [str(v) for v in counts.index]
    return UnseenColumn(
        column=name,
        positions=tuple(int(p) for p in positions),
        values=tuple(distinct),
        near=_near_matches(distinct, known),
        categories=tuple(known),
        first_rows=tuple(zip((int(p) for p in positions[:SHOWN]), values[:SHOWN], strict=False)),
    )


def _squash(text: str) -> str:
    """A category without case, spaces or punctuation: how 'near' matches are found."""
    return re.sub(r"[\W_]+", "", text.casefold())


def _near_matches(values: list[str], categories: list[str]) -> dict[str, str]:
    """Unseen value -> the one training category it equals but for case, spaces, punctuation."""
    squashed: dict[str, list[str]] = {}
    for category in categories:
        squashed.setdefault(_squash(category), []).append(category)
    out = {}
    for value in values:
        hits = squashed.get(_squash(value), [])
        if len(hits) == 1 and _squash(value):
            out[value] = hits[0]
    return out

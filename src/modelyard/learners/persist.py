"""Shared plumbing of the tabular learners: column layout and safe save/load of their metadata.

A tabular learner records the *column layout* of its training frame (names, numeric or category,
and for category columns the exact categories and their dtype) and restores it on every frame it
predicts on, so that a loaded model rebuilds identical pandas categoricals. ``save`` writes the
learner's native model file(s) plus ``learner.json`` (learner name, hyperparameters, task, classes,
feature names, layout); nothing is ever a pickle. Every file is written atomically (temp + rename).

The base class that uses this, :class:`~modelyard.learners.tabular.TabularLearner`, is in
``tabular.py``.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.atomic import atomic_write_text
from modelyard.errors import DataError, NotFound, SchemaMismatch, SpecError, TrainingError

FORMAT_VERSION = 1
META_FILE = "learner.json"
CLASSIFICATION = ("binary", "multiclass")


# -- JSON ----------------------------------------------------------------------------------------
def to_json_value(value: Any) -> Any:
    """A JSON-ready copy: non-str-keyed dicts become ``{"__items__": pairs}``, tuples
    ``{"__tuple__": list}``."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: to_json_value(v) for k, v in value.items()}
        return {"__items__": [[to_json_value(k), to_json_value(v)] for k, v in value.items()]}
    if isinstance(value, tuple):  # kept apart from lists so that parameters round-trip exactly
        return {"__tuple__": [to_json_value(v) for v in value]}
    if isinstance(value, list):
        return [to_json_value(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise TrainingError(
        f"value {value!r} of type {type(value).__name__} cannot be saved as JSON",
        hint="hyperparameters and categories must be None, numbers, strings, lists or dicts",
    )


def from_json_value(value: Any) -> Any:
    """Inverse of :func:`to_json_value`."""
    if isinstance(value, dict):
        if set(value) == {"__items__"}:
            return {from_json_value(k): from_json_value(v) for k, v in value["__items__"]}
        if set(value) == {"__tuple__"}:
            return tuple(from_json_value(v) for v in value["__tuple__"])
        return {k: from_json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_json_value(v) for v in value]
    return value


def write_meta(directory: str | Path, meta: dict[str, Any]) -> Path:
    """Write ``learner.json`` (strict JSON: no NaN or infinity) atomically."""
    text = json.dumps(to_json_value(meta), indent=2, allow_nan=False)
    return atomic_write_text(Path(directory) / META_FILE, text)


def read_meta(directory: str | Path, learner_name: str) -> dict[str, Any]:
    """Read ``learner.json`` and check that it describes a ``learner_name`` learner."""
    path = Path(directory) / META_FILE
    if not path.is_file():
        # hint: python-api: only code that calls modelyard directly meets it
        raise NotFound(
            f"no saved learner in {directory}: expected {META_FILE}, found none",
            hint="pass the directory that learner.save(directory) wrote",
        )
    meta = json.loads(path.read_text(encoding="utf-8"))
    version = meta.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise TrainingError(
            f"{path} has format_version {version!r}; this modelyard reads up to {FORMAT_VERSION}",
            hint="upgrade modelyard to load this model",
        )
    if meta.get("learner") != learner_name:
        # hint: python-api: only code that calls modelyard directly meets it
        raise SpecError(
            f"{directory} holds a '{meta.get('learner')}' learner, not '{learner_name}'",
            hint=f"load it with get_learner({meta.get('learner')!r}).load(directory)",
        )
    return meta


# -- column layout ------------------------------------------------------------------------------
def _as_frame(X: Any) -> pd.DataFrame:
    if not isinstance(X, pd.DataFrame):
        raise DataError(
            f"X must be a pandas DataFrame; got {type(X).__name__}",
            hint="pass the DataFrame the fitted preprocessing (features/) returns",
        )
    return X


def _numeric(col: pd.Series, name: str, learner: str, *, strict: bool) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(col.dtype) and not isinstance(col.dtype, pd.CategoricalDtype):
        return col.to_numpy(dtype=np.float64, na_value=np.nan)
    if not strict:  # predict time: numbers that arrived as text (JSON, CSV) are accepted
        with contextlib.suppress(ValueError, TypeError):
            return pd.to_numeric(col).to_numpy(dtype=np.float64, na_value=np.nan)
    error = DataError if strict else SchemaMismatch
    raise error(
        f"column '{name}' must be numeric for learner '{learner}'; got dtype {col.dtype}",
        hint="categorical columns need pandas 'category' dtype (learners with input_kind "
        "'categorical') or one-hot encoding (input_kind 'dense'); the features/ preprocessing "
        "does both",
    )


def capture_layout(X: Any, input_kind: str, learner: str) -> tuple[pd.DataFrame, list[dict]]:
    """Validate a training frame; return it with float numeric columns, and its layout."""
    frame = _as_frame(X)
    if frame.shape[0] == 0 or frame.shape[1] == 0:
        raise DataError(
            f"learner '{learner}' needs at least one row and one column; got shape {frame.shape}",
            hint="check the split and the feature selection",
        )
    names = list(frame.columns)
    if not all(isinstance(n, str) for n in names) or len(set(names)) != len(names):
        raise DataError(
            f"column names must be unique strings; got {names[:10]}",
            hint="rename the columns (frame.columns = [...]) before fitting",
        )
    layout: list[dict] = []
    out: dict[str, Any] = {}
    for name in names:
        col = frame[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            if input_kind != "categorical":
                raise DataError(
                    f"column '{name}' has category dtype but learner '{learner}' takes "
                    f"input_kind '{input_kind}' (all columns float)",
                    hint="one-hot encode categorical columns for dense learners "
                    "(the features/ preprocessing does it for input_kind 'dense')",
                )
            cats = col.dtype.categories
            layout.append(
                {
                    "name": name,
                    "kind": "category",
                    "categories": to_json_value(cats.tolist()),
                    "categories_dtype": str(cats.dtype),
                    "ordered": bool(col.dtype.ordered),
                }
            )
            out[name] = col
        else:
            layout.append({"name": name, "kind": "numeric"})
            out[name] = _numeric(col, name, learner, strict=True)
    return pd.DataFrame(out, index=frame.index), layout


def category_dtype(column: dict) -> pd.CategoricalDtype:
    """The exact pandas categorical dtype recorded for a category column of a layout."""
    values = pd.Index(column["categories"], dtype=column["categories_dtype"])
    return pd.CategoricalDtype(values, ordered=column["ordered"])


def restore_layout(X: Any, layout: list[dict], learner: str) -> pd.DataFrame:
    """Select and convert ``X``'s columns to the recorded layout; unseen categories become NaN."""
    frame = _as_frame(X)
    missing = [c["name"] for c in layout if c["name"] not in frame.columns]
    if missing:
        raise SchemaMismatch(
            f"learner '{learner}' was fitted on {len(layout)} columns; {len(missing)} are "
            f"missing: {missing[:10]}",
            hint="predict on frames produced by the same fitted preprocessing as training",
        )
    out: dict[str, Any] = {}
    for column in layout:
        name = column["name"]
        col = frame[name]
        if column["kind"] == "numeric":
            out[name] = _numeric(col, name, learner, strict=False)
            continue
        dtype = category_dtype(column)
        if col.dtype == dtype:
            out[name] = col
            continue
        values = col.astype(object)
        values = values.where(values.isin(dtype.categories))  # unseen -> missing
        out[name] = pd.Series(pd.Categorical(values, dtype=dtype), index=frame.index)
    return pd.DataFrame(out, index=frame.index)

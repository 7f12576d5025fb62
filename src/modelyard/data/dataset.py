"""Assemble a dataset from the data section of a spec: read, map labels, infer schema, check target.

This is the one place that turns a ``DataSpec`` into a typed table ready for splitting. When the
data ships already split (``path: {train: ..., test: ...}``), the parts are read separately,
concatenated, and the part of each row is kept in ``PART_COLUMN`` for the splitter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from modelyard.data.convert import LARGEST_FLOAT32
from modelyard.data.fingerprint import fingerprint_frame
from modelyard.data.infer import infer_schema, infer_task
from modelyard.data.readers_base import ReadLog
from modelyard.data.schema import Schema
from modelyard.data.sources import open_source
from modelyard.data.split import Split, make_split
from modelyard.errors import DataError, SpecError, did_you_mean
from modelyard.spec.models import DATAFRAME, SPLIT_PARTS, DataSpec, SourceSpec, SplitSpec

PART_COLUMN = "__part__"


@dataclass(frozen=True)
class Dataset:
    """A typed table with its schema, task and content fingerprint."""

    frame: pd.DataFrame  # converted columns; the target included; dropped columns removed
    schema: Schema
    task: str  # binary, multiclass or regression (None-free once a target is known)
    fingerprint: str
    source: str  # human description of where the rows came from
    has_parts: bool = False  # True when PART_COLUMN holds predefined split parts
    notes: tuple[str, ...] = ()
    skipped_rows: int = 0  # rows left out for having another number of fields (on_bad_lines)

    @property
    def features(self) -> list[str]:
        return self.schema.names

    @property
    def target(self) -> str | None:
        return self.schema.target


def read_table(source: SourceSpec) -> tuple[pd.DataFrame, str, bool, ReadLog]:
    """Read the rows of a source: (frame, description, has_parts, what the read left out)."""
    log = ReadLog()
    if isinstance(source.path, dict):
        frames, names = [], []
        for part in SPLIT_PARTS:
            if part not in source.path:
                continue
            part_source = open_source(source.model_copy(update={"path": source.path[part]}))
            frame = part_source.read()
            _merge_log(log, part_source)
            frame[PART_COLUMN] = part
            frames.append(frame)
            names.append(f"{part}: {part_source.describe()}")
        _check_same_columns(frames, list(source.path))
        return pd.concat(frames, ignore_index=True), "; ".join(names), True, log
    opened = open_source(source)
    frame = opened.read()
    _merge_log(log, opened)
    return frame, opened.describe(), False, log


def in_memory(frame: pd.DataFrame | None) -> tuple[pd.DataFrame, str, bool, ReadLog]:
    """An in-memory DataFrame as a source: a copy, described by its size."""
    if frame is None:
        raise SpecError(
            "data.source.format 'dataframe' needs the DataFrame itself",
            hint="give the table as a file path in data.source.path, or train from Python "
            "with the frame as the data argument",
        )
    if not isinstance(frame, pd.DataFrame):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(f"expected a pandas DataFrame, received {type(frame).__name__}",
                        hint="pass a pandas DataFrame, or a path to a file")
    if frame.empty or not len(frame.columns):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(f"the DataFrame is empty ({len(frame)} rows, {len(frame.columns)} "
                        "columns)", hint="pass a DataFrame with rows and columns")
    if not frame.columns.is_unique:
        repeated = sorted({str(c) for c in frame.columns[frame.columns.duplicated()]})
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(f"the DataFrame has repeated column names: {', '.join(repeated)}",
                        hint="rename the columns so each name appears once")
    copy = frame.copy()
    copy.columns = [str(c) for c in copy.columns]
    copy = copy.reset_index(drop=True)
    description = f"in-memory DataFrame ({len(copy):,} rows, {len(copy.columns)} columns)"
    return copy, description, False, ReadLog()


def _merge_log(log: ReadLog, source: object) -> None:
    read = getattr(source, "log", None)  # sources that cannot skip anything keep no log
    if read is not None:
        log.notes.extend(read.notes)
        log.skipped_rows += read.skipped_rows


def _check_same_columns(frames: list[pd.DataFrame], parts: list[str]) -> None:
    first = list(frames[0].columns)
    for part, frame in zip(parts[1:], frames[1:], strict=False):
        if list(frame.columns) != first:
            missing = sorted(set(first) - set(frame.columns))
            extra = sorted(set(frame.columns) - set(first))
            raise DataError(
                f"the '{part}' file has different columns from the 'train' file "
                f"(missing: {missing or 'none'}, extra: {extra or 'none'})",
                hint="give every part the same columns, or set 'columns:' for headerless files",
            )


def split_dataset(dataset: Dataset, split: SplitSpec, seed: int) -> Split:
    """Split ``dataset`` as ``split`` says; data that shipped in parts (train/test files) and
    asks for the ``auto`` method is split by its files."""
    if dataset.has_parts and split.method == "auto":
        split = split.model_copy(update={"method": "column", "column": PART_COLUMN})
    return make_split(dataset.frame, split, target=dataset.target, task=dataset.task, seed=seed)


def split_columns(split: SplitSpec | None) -> tuple[str, ...]:
    """The columns ``split`` reads (its group, time or label column), which the dataset keeps
    beside the features even when they are not features (an identifier, a dropped date)."""
    if split is None:
        return ()
    named = {"group": split.group_column, "time": split.time_column, "column": split.column}
    return tuple(c for method, c in named.items() if c and split.method == method)


def load_dataset(data: DataSpec, *, task: str = "auto", frame: pd.DataFrame | None = None,
                 split: SplitSpec | None = None) -> Dataset:
    """Read and type the data described by ``data``; check the target is usable for ``task``.

    ``frame``: the rows themselves, for a source of format 'dataframe' (a copy is typed; the
    caller's frame is left as it was). ``split``: the split that will be made, whose group,
    time or label column stays in the frame even when it is no feature (a customer id that
    groups rows, a timestamp in ``data.drop``); it never reaches the learners, and the
    fingerprint is of the features and target alone, as without it.
    """
    if data.source.format == DATAFRAME or frame is not None:
        frame, description, has_parts, log = in_memory(frame)
    else:
        frame, description, has_parts, log = read_table(data.source)
    notes: list[str] = list(log.notes)
    target = data.target
    if target is not None:
        if target not in frame.columns:
            columns = [c for c in frame.columns if c != PART_COLUMN]
            raise DataError(
                f"target column '{target}' not found in {description}",
                hint=did_you_mean(target, columns) + f" (the table has {len(columns)} columns)",
            )
        if data.target_map:
            frame[target] = _map_labels(frame[target], data.target_map)
    drop = list(data.drop) + ([PART_COLUMN] if has_parts else [])
    original_target = frame[target].copy() if target is not None else None
    frame, schema = infer_schema(frame, target=target, types=dict(data.types), drop=drop)
    if target is not None and schema.target_kind == "boolean":
        # Keep the labels people wrote ('Yes'/'No', 0/1): predictions come back in them.
        frame[target] = _clean_labels(original_target)
    if has_parts:
        frame[PART_COLUMN] = frame[PART_COLUMN].astype(str)
    resolved = "regression" if target is None else task
    if target is not None:
        frame, dropped_rows = _drop_missing_target(frame, target)
        if dropped_rows:
            notes.append(f"{dropped_rows} rows with a missing target were left out")
        if task == "auto":
            resolved = infer_task(frame[target], schema.target_kind or "categorical")
        _check_target_fits_task(frame[target], resolved)
    if target is not None and not schema.names:
        notes.append("no feature columns besides the target: training needs at least one")
    modelled = [c for c in frame.columns if c in schema.names or c == target]
    carried = [c for c in split_columns(split) if c in frame.columns and c not in modelled]
    frame = frame[modelled + carried + ([PART_COLUMN] if PART_COLUMN in frame.columns else [])]
    return Dataset(
        frame=frame,
        schema=schema,
        task=resolved,
        fingerprint=fingerprint_frame(frame[modelled], schema),
        source=description,
        has_parts=has_parts,
        notes=tuple(notes) + tuple(schema.notes),
        skipped_rows=log.skipped_rows,
    )


def require_features(dataset: Dataset) -> None:
    """Raise ``DataError`` when nothing is left to learn from: no column besides the target
    (and the split column), or every other column dropped (by the spec, as empty or as an
    identifier), saying which and why."""
    if dataset.features:
        return
    dropped = {k: v for k, v in dataset.schema.dropped.items() if k != PART_COLUMN}
    if not dropped:
        raise DataError(
            f"no feature columns: {dataset.source} has only the target column "
            f"'{dataset.target}'; a model needs at least one column to learn from",
            hint="point data.source at the table that holds the features as well as the target",
        )
    reasons = "; ".join(f"'{name}' ({why})" for name, why in list(dropped.items())[:10])
    by_spec = [n for n, why in dropped.items() if why.startswith("dropped by the spec")]
    guessed = [n for n, why in dropped.items() if why.startswith("identifier-like")]
    fixes = ["keep columns out of data.drop (flag --drop)"] if by_spec else []
    if guessed:
        fixes.append(f"keep a column taken for an identifier by giving its kind, e.g. "
                     f"data.types: {{{guessed[0]}: categorical}} (flag --type "
                     f"{guessed[0]}=categorical)")
    if not fixes:
        fixes.append("point data.source at a table whose columns hold values to learn from")
    raise DataError(
        f"no feature columns left in {dataset.source}: besides the target '{dataset.target}', "
        f"every column was dropped: {reasons}",
        hint="; ".join(fixes),
    )


def _clean_labels(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series
    stripped = series.astype("string").str.strip()
    return stripped.astype(object).where(stripped.notna() & (stripped != ""), None)


def _map_labels(series: pd.Series, mapping: dict[str, str]) -> pd.Series:
    as_text = series.astype("string").str.strip()
    mapped = as_text.map(lambda v: mapping.get(v, v) if isinstance(v, str) else v)
    return mapped.astype(object).where(series.notna(), None)


def _drop_missing_target(frame: pd.DataFrame, target: str) -> tuple[pd.DataFrame, int]:
    missing = frame[target].isna()
    if missing.all():
        raise DataError(
            f"the target column '{target}' is missing in all {len(frame)} rows",
            hint="check the target name and the missing-value markers (data.source.missing_values)",
        )
    if missing.any():
        return frame.loc[~missing].reset_index(drop=True), int(missing.sum())
    return frame, 0


def _check_target_fits_task(target: pd.Series, task: str) -> None:
    n_classes = target.nunique(dropna=True)
    if task in ("binary", "multiclass") and n_classes < 2:
        only = target.dropna().iloc[0]
        raise DataError(
            f"the target '{target.name}' has only one class ({only!r}); "
            "a classifier needs two or more",
            hint="check the target column and any filter on the rows, or use another target",
        )
    if task == "binary" and n_classes > 2:
        raise DataError(
            f"task 'binary' needs 2 classes but target '{target.name}' has {n_classes}",
            hint="set task: multiclass, or map the labels with data.target_map",
        )
    if task == "regression" and not pd.api.types.is_numeric_dtype(target):
        raise DataError(
            f"task 'regression' needs a numeric target but '{target.name}' holds text",
            hint="set task: binary or multiclass, or set data.types for the target to numeric",
        )
    if task == "regression":
        _check_target_range(target)


def _check_target_range(target: pd.Series) -> None:
    """A regression target beyond +-3.4e38 (or infinite) cannot be learnt: the boosters hold
    labels in single precision, and the metrics square errors that would overflow a double."""
    values = target.to_numpy(dtype="float64", na_value=float("nan"))
    with np.errstate(invalid="ignore"):
        beyond = np.abs(values) > LARGEST_FLOAT32
    if beyond.any():
        largest = values[beyond][np.argmax(np.abs(values[beyond]))]
        raise DataError(
            f"the target '{target.name}' holds {int(beyond.sum())} value(s) beyond +-3.4e38 or "
            f"infinite (the largest: {largest:g}); a regression target must be a finite number "
            "within +-3.4e38, the range single-precision learners hold and whose squared errors "
            "a metric can sum",
            hint="fix or remove those rows (an empty target cell leaves its row out), or "
            "rescale the target (e.g. in thousands)",
        )

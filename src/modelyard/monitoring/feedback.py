"""Ground truth fed back: labels joined to logged predictions and stored as Parquet.

``add_feedback`` takes a table of labels addressed by request id (and row) or by a key column
(see ``monitoring.labelled`` for both forms), finds the predictions they belong to in the
prediction log, checks each label against the model's classes (or, for regression, that it is a
finite number), and appends the usable ones as one new Parquet file under
``MODELYARD_HOME/feedback/<model>/`` (written to a temporary name, then renamed; never rewritten).
Labels that address no logged prediction, address it ambiguously, or have the wrong type are
counted and skipped, with the first few shown; a label for a prediction that already has one
replaces it (the later one counts) and is counted as replaced. Only when no label at all is
usable is it an error, and then nothing is written.
"""

from __future__ import annotations

import math
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from modelyard.errors import DataError, did_you_mean
from modelyard.monitoring.labelled import (
    FEEDBACK_DIR,
    FEEDBACK_SCHEMA,
    INPUT_PREFIX,
    PROBA_PREFIX,
    feedback_glob,
    has_files,
    key_match,
    latest_labels_sql,
    log_columns,
    log_glob,
    scan,
)
from modelyard.registry.registry import Registry

SHOWN = 5  # skipped labels listed by value in a summary, at most
ID_COLUMN, ROW_COLUMN, LABEL_COLUMN = "request_id", "row", "label"


@dataclass(frozen=True)
class FeedbackSummary:
    """What one ``add_feedback`` call did with its labels."""

    model: str
    received: int  # labels given
    stored: int  # labels written (each addresses at least one logged prediction)
    predictions: int  # logged predictions those labels address
    replaced: int  # labels that replace one stored before (or one earlier in the same input)
    unknown: int  # labels whose request id / row / key matches no logged prediction
    ambiguous: int  # request ids logged by several requests, or several rows and no row given
    wrong_type: int  # labels that are not a class of the model (or not a number, regression)
    examples: dict[str, list[Any]] = field(default_factory=dict)  # first few of each skip
    file: str | None = None  # the Parquet file written

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def add_feedback(
    home: Path,
    registry: Registry,
    name: str,
    frame: pd.DataFrame,
    *,
    key_column: str | None = None,
    id_column: str = ID_COLUMN,
    row_column: str = ROW_COLUMN,
    label_column: str | None = None,
    now: datetime | None = None,
) -> FeedbackSummary:
    """Join the labels in ``frame`` to ``name``'s logged predictions and store the usable ones.

    ``key_column``: address predictions by this input column (the frame holds it under the same
    name) instead of by ``id_column`` (+ ``row_column`` when present). ``label_column``: default
    ``label``, else the model's target column when the frame has it. Returns the counts; raises
    ``DataError`` when a named column is missing or no label is usable, ``NotFound`` for an unknown
    model.
    """
    version = registry.store.resolve(name)  # NotFound for an unknown model
    name = version.model
    label_column = label_column or _default_label(frame, version.schema.get("target"))
    address = key_column or id_column
    _require(frame, [address, label_column], "label" if label_column == LABEL_COLUMN else None)
    rows = _incoming(frame, address, label_column, row_column if not key_column else None)
    con = duckdb.connect()
    logs = log_glob(home, name)
    columns = log_columns(con, logs)
    if key_column and columns and INPUT_PREFIX + key_column not in columns:
        inputs = [c[len(INPUT_PREFIX):] for c in columns if c.startswith(INPUT_PREFIX)]
        raise DataError(
            f"the prediction log of {name!r} has no input column {key_column!r}; it logs: "
            + ", ".join(inputs),
            hint="key labels by a column the model takes as input ("
            + did_you_mean(key_column, inputs) + "), or by request id (--id-column)",
        )
    matches = _match(con, rows, logs, columns, key_column)
    rows = rows.merge(matches, on="idx", how="left")
    rows["n"] = rows["n"].fillna(0).astype("int64")
    examples: dict[str, list[Any]] = {}
    unknown = rows["n"] == 0
    ambiguous = pd.Series(False, index=rows.index)
    if not key_column:  # a reused request id, or a request of several rows and no row given
        ambiguous = ~unknown & ((rows["requests"] > 1) | (rows["row"].isna() & (rows["n"] > 1)))
        beyond = (rows["row"] >= rows["n"]).fillna(False).astype(bool)
        unknown |= ~ambiguous & beyond
        rows.loc[~unknown & ~ambiguous, "row"] = rows["row"].fillna(0)
    _note(examples, "unknown", rows.loc[unknown, "address"])
    _note(examples, "ambiguous", rows.loc[ambiguous, "address"])
    usable = rows[~unknown & ~ambiguous].copy()
    valid = _valid_labels(con, home, name, usable["versions"])
    usable["label"] = [_label_text(v, valid) for v in usable["given"]]
    wrong = usable["label"].isna()
    _note(examples, "wrong_type", usable.loc[wrong, "given"])
    usable = usable[~wrong]
    if usable.empty:
        raise _nothing_usable(name, len(rows), examples, int(unknown.sum()),
                              int(ambiguous.sum()), int(wrong.sum()), valid)  # fmt: skip
    keep = ["row"] if not key_column else []
    deduped = usable.drop_duplicates(["address", *keep], keep="last")
    table = _table(deduped, key_column, now or datetime.now(UTC))
    replaced = len(usable) - len(deduped) + _already_stored(con, home, name, table)
    path = _write(Path(home) / FEEDBACK_DIR / name, table)
    return FeedbackSummary(
        model=name, received=len(rows), stored=table.num_rows,
        predictions=int(deduped["n"].sum()) if key_column else len(deduped),
        replaced=replaced, unknown=int(unknown.sum()), ambiguous=int(ambiguous.sum()),
        wrong_type=int(wrong.sum()), examples=examples, file=str(path),
    )  # fmt: skip


def _default_label(frame: pd.DataFrame, target: str | None) -> str:
    if LABEL_COLUMN not in frame.columns and target and target in frame.columns:
        return target
    return LABEL_COLUMN


def _require(frame: pd.DataFrame, names: list[str], label: str | None) -> None:
    if frame.empty:
        raise DataError("the feedback has no rows", hint="give at least one label")
    for column in names:
        if column not in frame.columns:
            extra = " (or the model's target column)" if label and column == label else ""
            raise DataError(
                f"the feedback has no column {column!r}{extra}; it has: "
                + ", ".join(map(str, frame.columns)),
                hint=did_you_mean(column, map(str, frame.columns))
                + " (choose with --id-column, --key or --label-column)",
            )


def _incoming(frame: pd.DataFrame, address: str, label: str, row: str | None) -> pd.DataFrame:
    """idx, address (text), row (nullable int), given label, one row per label."""
    rows = pd.DataFrame({
        "idx": range(len(frame)),
        "address": [_text(v) for v in frame[address]],
        "given": frame[label].to_list(),
    })  # fmt: skip
    rows["row"] = pd.array([None] * len(frame), dtype="Int64")
    if row and row in frame.columns:
        numbers = pd.to_numeric(frame[row], errors="coerce")
        whole = numbers.notna() & (numbers >= 0) & (numbers % 1 == 0)
        rows.loc[whole.to_numpy(), "row"] = numbers[whole].astype("int64").to_numpy()
        rows.loc[(~whole & frame[row].notna()).to_numpy(), "address"] = None  # a bad row number
    return rows


def _text(value: Any) -> str | None:
    """A key, id or label as the text stored (1.0 -> '1'); None for a missing one."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "item"):  # numpy scalars
        return _text(value.item())
    return str(value).strip() or None


def _match(con: duckdb.DuckDBPyConnection, rows: pd.DataFrame, logs: str,
           columns: dict[str, str], key_column: str | None) -> pd.DataFrame:
    """Per label idx: n logged rows addressed, distinct requests, and the versions logged."""
    empty = pd.DataFrame({"idx": pd.Series(dtype="int64"), "n": pd.Series(dtype="int64"),
                          "requests": pd.Series(dtype="int64"), "versions": []})  # fmt: skip
    if not columns:
        return empty
    incoming = pa.table({"idx": rows["idx"].to_numpy(), "address": rows["address"].to_list()})
    con.register("incoming", incoming)
    if key_column:
        on = key_match(key_column, columns[INPUT_PREFIX + key_column], "i.address")
        sql = (f"SELECT i.idx, count(*) AS n, 1 AS requests, list(DISTINCT l.version) AS versions "
               f"FROM incoming i JOIN {scan(logs)} l ON {on} GROUP BY i.idx")
    else:
        sql = (f"SELECT i.idx, count(*) AS n, count(DISTINCT l.timestamp) AS requests, "
               f"list(DISTINCT l.version) AS versions FROM incoming i JOIN {scan(logs)} l "
               f"ON l.request_id = i.address GROUP BY i.idx")
    return con.execute(sql).df()


def _valid_labels(con: duckdb.DuckDBPyConnection, home: Path, name: str,
                  versions: pd.Series) -> set[str] | None:
    """The class labels (as text) of the logged versions addressed; None for regression."""
    seen = sorted({int(v) for listed in versions for v in listed})
    classes: set[str] = set()
    for version in seen:
        columns = log_columns(con, log_glob(home, name, version))
        classes |= {c[len(PROBA_PREFIX):] for c in columns if c.startswith(PROBA_PREFIX)}
    return classes or None


def _label_text(value: Any, classes: set[str] | None) -> str | None:
    """The label as stored, or None when it is not a class (not a finite number, regression)."""
    if classes is None:
        if isinstance(value, bool):
            return None
        try:
            number = float(value)
        except (TypeError, ValueError):
            return None
        return repr(number) if math.isfinite(number) else None
    text = _text(value)
    return text if text in classes else None


def _note(examples: dict[str, list[Any]], what: str, values: pd.Series) -> None:
    if len(values):
        examples[what] = [_text(v) for v in values.iloc[:SHOWN]]


def _nothing_usable(name: str, total: int, examples: dict[str, list[Any]], unknown: int,
                    ambiguous: int, wrong: int, valid: set[str] | None) -> DataError:
    reasons = []
    if unknown:
        reasons.append(f"{unknown} address no logged prediction (e.g. {examples['unknown']})")
    if ambiguous:
        reasons.append(f"{ambiguous} are ambiguous (e.g. {examples['ambiguous']}: a request id "
                       "logged by several requests, or a request of several rows and no row)")
    if wrong:
        expected = "a number" if valid is None else "one of " + ", ".join(sorted(valid))
        reasons.append(f"{wrong} have the wrong type (expected {expected}; got e.g. "
                       f"{examples['wrong_type']})")
    return DataError(
        f"none of the {total} labels for {name!r} is usable: " + "; ".join(reasons),
        hint="address predictions by the request_id the server answered with (plus 'row' for a "
        "request of several records) or by a logged input column (--key), with labels of the "
        "model's classes; predictions reach the log within the server's log flush interval",
    )


def _table(rows: pd.DataFrame, key_column: str | None, now: datetime) -> pa.Table:
    n = len(rows)
    by_key = key_column is not None
    return pa.table({
        "received_at": [now] * n,
        "request_id": [None] * n if by_key else rows["address"].to_list(),
        "row": [None] * n if by_key else rows["row"].astype("int64").to_list(),
        "key_column": [key_column] * n,
        "key": rows["address"].to_list() if by_key else [None] * n,
        "label": rows["label"].to_list(),
    }, schema=FEEDBACK_SCHEMA)  # fmt: skip


def _already_stored(con: duckdb.DuckDBPyConnection, home: Path, name: str,
                    table: pa.Table) -> int:
    """How many of the new labels address a prediction that has a stored label already."""
    pattern = feedback_glob(home, name)
    if not has_files(pattern):
        return 0
    con.register("fresh", table)
    return con.execute(
        f"SELECT count(*) FROM fresh n JOIN ({latest_labels_sql(pattern)}) s "
        "ON n.request_id IS NOT DISTINCT FROM s.request_id AND n.\"row\" IS NOT DISTINCT FROM "
        "s.\"row\" AND n.key_column IS NOT DISTINCT FROM s.key_column AND n.key IS NOT "
        "DISTINCT FROM s.key"
    ).fetchone()[0]


def _write(folder: Path, table: pa.Table) -> Path:
    """Write ``table`` as a new file in ``folder`` (temporary name, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = folder / f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:8]}.parquet"
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    return path


__all__ = ["FeedbackSummary", "add_feedback"]

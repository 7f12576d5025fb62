"""Logged predictions joined to the labels fed back for them, in DuckDB over the Parquet files.

Two folders under ``MODELYARD_HOME``, both append-only Parquet:

* ``predictions/<model>/v<version>/*.parquet``: the server's prediction log (``serving.predlog``);
* ``feedback/<model>/*.parquet``: labels, one file per ``add_feedback`` call (``monitoring.
  feedback``), columns ``received_at``, ``request_id``, ``row``, ``key_column``, ``key``, ``label``.

A label addresses a prediction in one of two ways:

* by request: ``request_id`` plus ``row``, the record's position (from 0) in that request's body.
  The log writes a request's rows together in one file, in order, all with one timestamp, so the
  row number is the rank of the logged row among the rows with that id and timestamp;
* by key: ``key_column`` names an input column the log holds as ``input.<column>`` (customerID)
  and ``key`` its value; the label applies to every prediction with that value logged no later
  than the label arrived.

A prediction labelled more than once keeps the label that arrived last (the others are
"replaced"). The join reads only the columns it needs and never loads a whole log into memory.
"""

from __future__ import annotations

import glob
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

PREDICTIONS_DIR = "predictions"  # as serving.app names it
FEEDBACK_DIR = "feedback"
INPUT_PREFIX, PREDICTION, PROBA_PREFIX = "input.", "output.prediction", "output.proba_"

FEEDBACK_SCHEMA = pa.schema([
    ("received_at", pa.timestamp("us", tz="UTC")),
    ("request_id", pa.string()),
    ("row", pa.int64()),
    ("key_column", pa.string()),
    ("key", pa.string()),
    ("label", pa.string()),
])  # fmt: skip


def log_glob(home: Path, model: str, version: int | None = None) -> str:
    folder = f"v{version}" if version is not None else "v*"
    return str(Path(home) / PREDICTIONS_DIR / model / folder / "*.parquet")


def feedback_glob(home: Path, model: str) -> str:
    return str(Path(home) / FEEDBACK_DIR / model / "*.parquet")


def has_files(pattern: str) -> bool:
    return bool(glob.glob(pattern))


def quote(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def scan(pattern: str, *, positions: bool = False) -> str:
    """The SQL that reads every Parquet file matching ``pattern`` (columns united by name)."""
    extra = ", filename = true, file_row_number = true" if positions else ""
    return f"read_parquet('{pattern.replace(chr(39), chr(39) * 2)}', union_by_name = true{extra})"


def log_columns(con: duckdb.DuckDBPyConnection, pattern: str) -> dict[str, str]:
    """Column name -> DuckDB type of the logged rows matching ``pattern`` ({} without files)."""
    if not has_files(pattern):
        return {}
    rows = con.execute(f"DESCRIBE SELECT * FROM {scan(pattern)}").fetchall()
    return {row[0]: row[1] for row in rows}


def key_match(column: str, column_type: str, key: str) -> str:
    """SQL comparing the logged input ``column`` with the text ``key`` (numbers as numbers, so
    the key '42' finds the logged 42.0)."""
    logged = quote(INPUT_PREFIX + column)
    if any(t in column_type for t in ("INT", "DOUBLE", "FLOAT", "DECIMAL")):
        return f"TRY_CAST({key} AS DOUBLE) = CAST({logged} AS DOUBLE)"
    return f"{key} = CAST({logged} AS VARCHAR)"


def latest_labels_sql(pattern: str) -> str:
    """The stored labels, the last to arrive for each addressed prediction."""
    return (
        "SELECT request_id, \"row\", key_column, key, label, received_at "
        f"FROM {scan(pattern, positions=True)} QUALIFY row_number() OVER ("
        "PARTITION BY request_id, \"row\", key_column, key "
        "ORDER BY received_at DESC, filename DESC, file_row_number DESC) = 1"
    )


def joined(
    home: Path,
    model: str,
    *,
    version: int | None = None,
    since: datetime | None = None,
    outputs: list[str] | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
) -> pd.DataFrame:
    """Logged predictions of ``model`` (one ``version``, or all) made at or after ``since`` that
    have a label: columns ``timestamp``, ``version``, the ``outputs`` (default: every
    ``output.*`` column), ``label``, ``received_at``. One row per labelled prediction."""
    con = con or duckdb.connect()
    logs, labels = log_glob(home, model, version), feedback_glob(home, model)
    columns = log_columns(con, logs)
    if not columns or not has_files(labels):
        return pd.DataFrame(columns=["timestamp", "version", *(outputs or []), "label",
                                     "received_at"])  # fmt: skip
    outputs = outputs if outputs is not None else [c for c in columns if c.startswith("output.")]
    picked = ", ".join(f"l.{quote(c)}" for c in ["timestamp", "version", *outputs])
    where = "TRUE" if since is None else "l.timestamp >= $since"
    params = {} if since is None else {"since": since}
    keyed = [r[0] for r in con.execute(
        f"SELECT DISTINCT key_column FROM {scan(labels)} WHERE key_column IS NOT NULL").fetchall()]
    parts = [
        # by request: number the rows of each request (one id, one timestamp) in file order
        f"SELECT {picked}, f.label, f.received_at, l.filename, l.file_row_number FROM ("
        f"  SELECT *, row_number() OVER (PARTITION BY request_id, timestamp "
        f"    ORDER BY filename, file_row_number) - 1 AS \"row\" FROM {scan(logs, positions=True)}"
        f"  WHERE request_id IN (SELECT request_id FROM latest WHERE request_id IS NOT NULL)) l "
        f"JOIN latest f ON f.request_id = l.request_id AND f.\"row\" = l.\"row\" WHERE {where}"
    ]
    for column in keyed:
        if INPUT_PREFIX + column not in columns:
            continue  # labels keyed by a column this version does not log
        match = key_match(column, columns[INPUT_PREFIX + column], "f.key")
        parts.append(
            f"SELECT {picked}, f.label, f.received_at, l.filename, l.file_row_number "
            f"FROM {scan(logs, positions=True)} l JOIN latest f ON f.key_column = "
            f"'{column.replace(chr(39), chr(39) * 2)}' AND {match} "
            f"AND l.timestamp <= f.received_at WHERE {where}"
        )
    sql = (
        f"WITH latest AS ({latest_labels_sql(labels)}) "
        f"SELECT * EXCLUDE (filename, file_row_number) FROM ({' UNION ALL '.join(parts)}) "
        "QUALIFY row_number() OVER (PARTITION BY filename, file_row_number "
        "ORDER BY received_at DESC) = 1 ORDER BY timestamp"
    )
    return con.execute(sql, params).df()

"""Content fingerprint of a table: the same rows and schema give the same hash, however stored.

The hash covers, in order: the number of rows; for each column its name and a canonical encoding
of its values in row order; then, when given, the schema's kinds. It does not depend on the file
path or format, nor on the storage dtype:

- numbers and booleans: float64 bytes (little-endian), so ``3``, ``3.0`` and ``np.int8(3)`` agree,
  and ``True``/``False`` hash as ``1``/``0``; ``-0.0`` is written as ``0.0``. Integers beyond 2**53,
  which float64 cannot hold exactly, are written as int64 bytes instead.
- datetimes: int64 nanoseconds since the epoch (UTC for time-zone aware columns).
- anything else: UTF-8 text, each value prefixed by its length.
- missing values (NaN, None, NA, NaT) of every kind: one null marker, kept in a per-row mask.

Each column's encoding starts with a tag for its family (number, date, text), so ``'1'`` and ``1``
differ. Everything is vectorised with numpy apart from encoding strings; 50k rows take milliseconds.
"""

from __future__ import annotations

import hashlib
import json
import struct

import numpy as np
import pandas as pd

from modelyard.data.schema import Schema

VERSION = b"modelyard-fingerprint-v1"
_EXACT = 2**53  # float64 holds every integer up to this exactly


def fingerprint_frame(frame: pd.DataFrame, schema: Schema | None = None) -> str:
    """``'sha256:<hex>'`` of the table's column names, values (in row order) and schema kinds."""
    digest = hashlib.sha256(VERSION)
    digest.update(struct.pack("<qq", len(frame), frame.shape[1]))
    for label in frame.columns:
        _update_text(digest, str(label))
        tag, mask, payload = _encode(frame[label])
        digest.update(tag)
        digest.update(np.packbits(mask).tobytes())
        digest.update(payload)
    if schema is not None:
        digest.update(b"schema")
        _update_text(digest, json.dumps(_schema_part(schema), sort_keys=True))
    return "sha256:" + digest.hexdigest()


def _schema_part(schema: Schema) -> dict:
    """What of the schema enters the hash: kinds, target, dropped columns (not counts or dtypes)."""
    return {
        "columns": [[c.name, c.kind] for c in schema.columns],
        "target": schema.target,
        "target_kind": schema.target_kind,
        "dropped": sorted(schema.dropped),
    }


def _update_text(digest: hashlib._Hash, text: str) -> None:
    """Feed one length-prefixed UTF-8 string."""
    raw = text.encode("utf-8")
    digest.update(struct.pack("<q", len(raw)))
    digest.update(raw)


def _encode(series: pd.Series) -> tuple[bytes, np.ndarray, bytes]:
    """(family tag, missing mask, value bytes) of one column, independent of its storage dtype."""
    mask = series.isna().to_numpy(dtype=bool)
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return _encode(series.astype(object))
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return b"D", mask, _datetime_bytes(series, mask)
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return b"N", mask, _number_bytes(series, mask)
    if pd.api.types.is_object_dtype(dtype):
        inferred = pd.api.types.infer_dtype(series, skipna=True)
        if inferred in ("integer", "floating", "mixed-integer-float", "boolean", "decimal"):
            return b"N", mask, _number_bytes(series.astype("float64"), mask)
        if inferred in ("datetime64", "datetime"):
            return b"D", mask, _datetime_bytes(pd.to_datetime(series), mask)
    return b"T", mask, _text_bytes(series, mask)


def _number_bytes(series: pd.Series, mask: np.ndarray) -> bytes:
    """float64 bytes with -0.0 and the missing slots set to 0.0; int64 for huge integers."""
    if pd.api.types.is_integer_dtype(series.dtype):
        ints = series.to_numpy(dtype="int64", na_value=0)
        if ints.size and np.abs(ints).max() > _EXACT:
            return b"i" + ints.astype("<i8").tobytes()
        numbers = ints.astype("float64")
    else:
        numbers = series.to_numpy(dtype="float64", na_value=np.nan)
    numbers = np.where(mask, 0.0, numbers) + 0.0  # + 0.0 turns -0.0 into 0.0
    return b"f" + numbers.astype("<f8").tobytes()


def _datetime_bytes(series: pd.Series, mask: np.ndarray) -> bytes:
    """int64 nanoseconds since the epoch (UTC), missing slots as 0."""
    if series.dt.tz is not None:
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    nanos = series.astype("datetime64[ns]").to_numpy().view("int64")
    return np.where(mask, 0, nanos).astype("<i8").tobytes()


def _text_bytes(series: pd.Series, mask: np.ndarray) -> bytes:
    """Length-prefixed UTF-8 of each present value (missing slots contribute nothing)."""
    encoded = [str(v).encode("utf-8") for v in series.to_numpy(dtype=object)[~mask]]
    lengths = np.fromiter((len(b) for b in encoded), dtype="<i8", count=len(encoded))
    return lengths.tobytes() + b"".join(encoded)

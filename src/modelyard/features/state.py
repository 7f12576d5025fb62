"""Saving and loading fitted preprocessing: one JSON manifest plus one ``.npz`` of arrays.

Layout of a saved directory::

    preprocessor.json   format, version, parameters, schema, fit facts, per-encoder params
                        and state, and the SHA-256 of arrays.npz
    arrays.npz          numeric arrays (idf vectors, frequency and target tables), keyed
                        '<encoder position>.<name>', read back with allow_pickle=False

Nothing is pickled. Files are written to a temporary name and renamed, so a crash never leaves a
half-written artifact, and the arrays file is checked against its recorded hash when loaded.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.atomic import atomic_write_bytes, atomic_write_text
from modelyard.errors import DataError, IntegrityError, did_you_mean
from modelyard.features.base import ColumnEncoder
from modelyard.features.boolean import BooleanEncoder
from modelyard.features.categorical import CategoricalEncoder
from modelyard.features.datetime import DatetimeEncoder
from modelyard.features.numeric import NumericEncoder
from modelyard.features.text import TextEncoder
from modelyard.hashing import sha256_file

FORMAT = "modelyard.preprocessor"
VERSION = 1
MANIFEST = "preprocessor.json"
ARRAYS = "arrays.npz"

# schema kind -> encoder class; identifier columns have no encoder (they are never features)
ENCODERS: dict[str, type[ColumnEncoder]] = {
    "numeric": NumericEncoder,
    "categorical": CategoricalEncoder,
    "boolean": BooleanEncoder,
    "datetime": DatetimeEncoder,
    "text": TextEncoder,
}


def rows_digest(index: pd.Index) -> str:
    """SHA-256 (hex) of a frame's index values, in order.

    Each value is hashed with pandas' stable ``hash_pandas_object`` (a fixed-key SipHash), and the
    digest is taken over those 64-bit hashes; two indexes have the same digest exactly when they
    hold the same values in the same order (up to hash collisions).
    """
    hashed = pd.util.hash_pandas_object(pd.Index(index), categorize=False).to_numpy()
    return hashlib.sha256(hashed.astype("<u8").tobytes()).hexdigest()


def encoder_entry(
    position: int, encoder: ColumnEncoder
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """The manifest entry of one fitted encoder and its arrays, keyed for the shared ``.npz``."""
    state, arrays = encoder.get_state()
    entry = {"kind": encoder.kind, "params": encoder.get_params(), "state": state}
    return entry, {f"{position}.{name}": value for name, value in arrays.items()}


def encoder_from_entry(
    position: int, entry: dict[str, Any], arrays: dict[str, np.ndarray]
) -> ColumnEncoder:
    """Rebuild the fitted encoder saved at ``position``."""
    kind = entry.get("kind")
    if kind not in ENCODERS:
        raise DataError(
            f"saved preprocessing has an encoder of unknown kind {kind!r}",
            hint=did_you_mean(str(kind), ENCODERS),
        )
    prefix = f"{position}."
    own = {key[len(prefix) :]: value for key, value in arrays.items() if key.startswith(prefix)}
    return ENCODERS[kind].from_state(entry["params"], entry["state"], own)


def write(directory: str | Path, manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    """Write ``arrays.npz`` then ``preprocessor.json`` (with the arrays' hash) atomically."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    arrays_path = directory / ARRAYS
    buffer = io.BytesIO()
    np.savez(buffer, **{key: np.ascontiguousarray(value) for key, value in arrays.items()})
    atomic_write_bytes(arrays_path, buffer.getvalue())
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        **manifest,
        "arrays_sha256": sha256_file(arrays_path),
    }
    text = json.dumps(manifest, indent=1, allow_nan=False, ensure_ascii=False)
    atomic_write_text(directory / MANIFEST, text)


def read(directory: str | Path) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read and verify a saved preprocessing directory: ``(manifest, arrays)``."""
    directory = Path(directory)
    manifest_path, arrays_path = directory / MANIFEST, directory / ARRAYS
    for path in (manifest_path, arrays_path):
        if not path.is_file():
            # hint: python-api: only code that calls modelyard directly meets it
            raise DataError(
                f"no saved preprocessing at {directory}: {path.name} is missing",
                hint="pass the directory given to Preprocessor.save()",
            )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise DataError(
            f"{manifest_path} is not valid JSON ({err.msg} at line {err.lineno})",
            hint="the artifact is damaged; save the preprocessing again",
        ) from err
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise DataError(
            f"{manifest_path} is not a modelyard preprocessor of version {VERSION}: "
            f"format {manifest.get('format')!r}, version {manifest.get('version')!r}",
            hint="load it with the modelyard version that saved it, or refit",
        )
    actual = sha256_file(arrays_path)
    if actual != manifest.get("arrays_sha256"):
        raise IntegrityError(
            f"{arrays_path} has SHA-256 {actual}, expected {manifest.get('arrays_sha256')}",
            hint="the arrays file was changed or damaged after saving; save the preprocessing "
            "again",
        )
    with np.load(arrays_path, allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    return manifest, arrays


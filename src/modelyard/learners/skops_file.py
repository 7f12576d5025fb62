"""skops files with the same bytes for the same estimator: :func:`dumps` and :func:`loads`.

``skops.io.dumps`` is not reproducible: it names every array it stores after the Python object id
of that array (``140234221.npy``), stamps each zip entry with the current time, records the object
ids as ``__id__`` in ``schema.json``, and copies the padding bytes of structured arrays as they lie
in memory. :func:`dumps` rewrites skops' output so that only the estimator's content is left:

* every ``__id__`` becomes 1, 2, ... in the order ``schema.json`` first mentions it (skops only
  compares ids for equality, to restore shared references, and ignores a falsy id, so 0 is
  never used);
* every stored file referenced by a ``"file"`` key becomes ``<n><ext>`` in the same way;
* the padding bytes of a structured array (a tree's ``nodes`` records: 57 bytes of fields in 64)
  are zeroed: they are whatever the allocator left in that memory, and ``np.save`` copies them;
* every zip entry gets the same timestamp (1980-01-01, the zip format's earliest), the same
  permissions and no compression, data files first in that order, then ``schema.json`` (written
  compactly: Python's JSON encoder is ten times slower with indentation, and skops does not care).

The result is still an ordinary skops file: :func:`loads` reads it (and any file older modelyard
versions wrote) with ``skops.io.loads`` and the caller's allow-list.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

import numpy as np
import skops.io

SCHEMA = "schema.json"  # skops' description of the object; every other entry is data it names
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip entry can carry
ENTRY_MODE = 0o644 << 16  # rw-r--r-- in the external attributes, whoever saved the file


def dumps(estimator: Any) -> bytes:
    """skops bytes of ``estimator`` that depend only on its content (see the module docstring)."""
    return normalise(skops.io.dumps(estimator))


def loads(data: bytes, trusted: Sequence[str]) -> Any:
    """The estimator in skops ``data``, rebuilt only from the types skops trusts and ``trusted``."""
    return skops.io.loads(data, trusted=list(trusted))


def normalise(data: bytes) -> bytes:
    """``data`` (a skops file) with ids, data file names, timestamps and entry order made fixed."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        members = {info.filename: archive.read(info) for info in archive.infolist()}
    schema = json.loads(members.pop(SCHEMA))
    ids: dict[int, int] = {}
    names: dict[str, str] = {}
    schema = _renumber(schema, ids, names, members)
    unnamed = sorted(set(members) - set(names))  # entries schema.json does not name: kept as is
    if set(names.values()) & set(unnamed):
        return data  # a layout this module does not know: skops' own bytes are still loadable
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as archive:
        for old, new in [*names.items(), *((name, name) for name in unnamed)]:
            _write(archive, new, _zero_padding(members[old]) if new.endswith(".npy") else
                   members[old])
        _write(archive, SCHEMA, json.dumps(schema, separators=(",", ":")).encode("utf-8"))
    return out.getvalue()


def _renumber(
    node: Any, ids: dict[int, int], names: dict[str, str], members: dict[str, bytes]
) -> Any:
    """A copy of a schema node with ``__id__`` values and data file names renumbered."""
    if isinstance(node, list):
        return [_renumber(item, ids, names, members) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "__id__" and isinstance(value, int) and not isinstance(value, bool):
            out[key] = ids.setdefault(value, len(ids) + 1)
        elif key == "file" and isinstance(value, str) and value in members:
            suffix = PurePosixPath(value).suffix
            out[key] = names.setdefault(value, f"{len(names) + 1}{suffix}")
        else:
            out[key] = _renumber(value, ids, names, members)
    return out


def _zero_padding(payload: bytes) -> bytes:
    """An ``.npy`` file's bytes with the padding between a structured array's fields zeroed."""
    header = io.BytesIO(payload)
    version = np.lib.format.read_magic(header)
    read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                   (2, 0): np.lib.format.read_array_header_2_0}.get(version)
    if read_header is not None and read_header(header)[2].names is None:
        return payload  # no fields, no padding: most arrays, told apart by the header alone
    array = np.load(io.BytesIO(payload), allow_pickle=False)
    if array.dtype.names is None:
        return payload
    clean = np.zeros(array.shape, dtype=array.dtype, order="F" if np.isfortran(array) else "C")
    for name in array.dtype.names:  # field by field: the padding is never copied
        clean[name] = array[name]
    buffer = io.BytesIO()
    np.save(buffer, clean, allow_pickle=False)
    return buffer.getvalue()


def _write(archive: zipfile.ZipFile, name: str, payload: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
    info.compress_type = zipfile.ZIP_STORED
    info.create_system = 3  # Unix, so that the attributes below mean the same everywhere
    info.external_attr = ENTRY_MODE
    archive.writestr(info, payload)

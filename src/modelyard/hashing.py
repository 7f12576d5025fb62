"""SHA-256 of a file, read in blocks: the one hash every artifact check uses."""

from __future__ import annotations

import hashlib
import os

BLOCK = 1 << 20  # bytes read at a time


def sha256_file(path: str | os.PathLike[str]) -> str:
    """The hex SHA-256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(BLOCK), b""):
            digest.update(block)
    return digest.hexdigest()

"""The manifest of a saved model: the SHA-256 of every file in its directory.

Every saved model (a bundle, an ensemble and each of its members) ends with ``manifest.json``;
loading verifies every recorded file before reading any of them, so a changed or missing file is
an ``IntegrityError`` naming it, never a model that predicts something else.
"""

from __future__ import annotations

import json
from pathlib import Path

from modelyard.atomic import atomic_write_text
from modelyard.errors import IntegrityError
from modelyard.hashing import sha256_file

MANIFEST = "manifest.json"


def write_manifest(directory: Path) -> dict[str, str]:
    """Record the SHA-256 of every file under ``directory`` in ``manifest.json`` (atomically)."""
    files = {
        str(p.relative_to(directory)): sha256_file(p)
        for p in sorted(directory.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }
    atomic_write_text(directory / MANIFEST, json.dumps({"sha256": files}, indent=2))
    return files


def verify_manifest(directory: Path) -> None:
    """Raise IntegrityError when any file differs from, or is missing from, the manifest."""
    manifest = directory / MANIFEST
    if not manifest.is_file():
        raise IntegrityError(
            f"{directory} has no {MANIFEST}; its files cannot be verified",
            hint="re-save the model with modelyard; never edit a saved model by hand",
        )
    recorded = json.loads(manifest.read_text(encoding="utf-8"))["sha256"]
    for name, expected in recorded.items():
        path = directory / name
        if not path.is_file():
            raise IntegrityError(f"model file {path} is missing", hint="restore it or retrain")
        actual = sha256_file(path)
        if actual != expected:
            raise IntegrityError(
                f"model file {path} was changed: sha256 {actual[:12]}... "
                f"but {expected[:12]}... was recorded",
                hint="the artifact is corrupt or was edited; restore it or retrain the model",
            )

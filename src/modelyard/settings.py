"""Runtime environment: where the store lives.

The only module that reads ``MODELYARD_*`` environment variables.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    """Where modelyard keeps its store and artifacts."""

    home: Path
    db_url: str | None = None

    @property
    def artifact_root(self) -> Path:
        return self.home / "artifacts"

    @property
    def runs_root(self) -> Path:
        return self.home / "runs"


def load_settings(
    home: str | os.PathLike[str] | None = None, db_url: str | None = None
) -> Settings:
    """Settings from arguments first, then ``MODELYARD_HOME`` / ``MODELYARD_DB``, then defaults."""
    root = home or os.environ.get("MODELYARD_HOME") or "./.modelyard"
    return Settings(home=Path(root), db_url=db_url or os.environ.get("MODELYARD_DB") or None)


def debug_enabled() -> bool:
    """Whether ``MODELYARD_DEBUG`` asks for tracebacks."""
    return os.environ.get("MODELYARD_DEBUG", "").lower() in {"1", "true", "yes"}

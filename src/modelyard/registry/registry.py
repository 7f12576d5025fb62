"""One handle on the registry: the metadata store and the artifact store opened together.

``Registry.open(settings)`` is what front ends use; ``load(ref)`` resolves a reference
('churn', 'churn@production', 'churn:3'), fetches the version's artifact (verified by hash) and
loads it through the format table (``modelyard.formats``), so this module never imports the
model layer or learners: whoever loads registers the formats first (``import modelyard.model``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from modelyard.errors import RegistryError
from modelyard.formats import load_artifact
from modelyard.registry.artifacts import ArtifactStore
from modelyard.registry.records import VersionInfo
from modelyard.registry.store import MetadataStore
from modelyard.registry.urls import store_url_for
from modelyard.settings import Settings

DEFAULT_FORMAT = "modelyard.bundle"  # registered by modelyard.model


@dataclass(frozen=True)
class LoadedModel:
    """A model version and the object its artifact loaded into."""

    version: VersionInfo
    model: Any
    path: Path


class Registry:
    """The metadata store and the artifact store of one ``MODELYARD_HOME`` (or database)."""

    def __init__(self, store: MetadataStore, artifacts: ArtifactStore) -> None:
        self.store = store
        self.artifacts = artifacts

    @classmethod
    def open(cls, settings: Settings) -> Registry:
        url = settings.db_url or store_url_for(settings.home)
        return cls(MetadataStore(url).open(), ArtifactStore(settings.artifact_root))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def load(self, ref: str) -> LoadedModel:
        """Resolve ``ref`` and load the version's artifact through the format table."""
        version = self.store.resolve(ref)
        try:
            path = self.artifacts.get_dir(version.artifact_uri)
        except RegistryError as err:  # a missing or corrupt object: say which model it breaks
            raise type(err)(f"cannot load {version.ref}: {err.message}", hint=err.hint) from err
        fmt = version.tags.get("format", DEFAULT_FORMAT)
        return LoadedModel(version, load_artifact(fmt, path), path)

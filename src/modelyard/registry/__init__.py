"""The model registry: a SQL metadata store (runs, models, versions, aliases, audit log) and a
content-addressed artifact store.

Metadata and bytes are separate: the metadata store records an artifact's ``sha256:`` uri, the
artifact store holds and verifies the bytes. A model is bytes plus metadata here: nothing in this
package imports ``learners`` or ``model``; a stored version is read back through the format table
of ``modelyard.formats``, where the model layer registers its loaders.
"""

from modelyard.registry.artifacts import ArtifactStore, parse_uri
from modelyard.registry.records import (
    AliasChange,
    MetricPoint,
    ModelInfo,
    Page,
    RunInfo,
    VersionInfo,
    diff_versions,
)
from modelyard.registry.store import MetadataStore
from modelyard.registry.urls import SCHEMES, redact, store_url_for

__all__ = [
    "SCHEMES",
    "AliasChange",
    "ArtifactStore",
    "MetadataStore",
    "MetricPoint",
    "ModelInfo",
    "Page",
    "RunInfo",
    "VersionInfo",
    "diff_versions",
    "parse_uri",
    "redact",
    "store_url_for",
]

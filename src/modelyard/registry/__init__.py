"""The model registry: a SQL metadata store (runs, models, versions, aliases, audit log), a
content-addressed artifact store, and the table of model formats.

Metadata and bytes are separate: the metadata store records an artifact's ``sha256:`` uri, the
artifact store holds and verifies the bytes. Nothing here imports learners.
"""

from modelyard.registry.artifacts import ArtifactStore, parse_uri
from modelyard.registry.formats import (
    load_artifact,
    register_format,
    registered_formats,
    unregister_format,
)
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
    "load_artifact",
    "parse_uri",
    "redact",
    "register_format",
    "registered_formats",
    "store_url_for",
    "unregister_format",
]

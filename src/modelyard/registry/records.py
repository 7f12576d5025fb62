"""What the metadata store hands out: small frozen dataclasses, plain data only.

The dict fields are fresh copies on every call; changing them changes nothing in the store.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a listing: ``items`` plus the ``total`` that matched the query."""

    items: tuple[T, ...]
    total: int
    limit: int
    offset: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)


@dataclass(frozen=True)
class RunInfo:
    """Everything recorded about one run."""

    run_id: str
    name: str | None
    status: str  # 'running', 'finished', 'failed' or 'killed'
    start_time: datetime
    end_time: datetime | None
    seed: int
    spec: dict[str, Any]
    params: dict[str, Any]
    metrics: dict[str, float]  # final metrics (NaN where NaN was logged)
    tags: dict[str, str]
    host: str
    pid: int
    python_version: str
    library_versions: dict[str, str]
    git_commit: str | None
    cpu_seconds: float | None
    error: str | None
    data_fingerprint: str | None
    data: dict[str, Any] = field(default_factory=dict)  # schema, split, result, ...

    @property
    def duration(self) -> float | None:
        """Wall-clock seconds from start to end, or None while the run has not ended."""
        if self.end_time is None:
            return None
        return (self.end_time - self.start_time).total_seconds()

    @property
    def schema(self) -> dict[str, Any] | None:
        return self.data.get("schema")


@dataclass(frozen=True)
class MetricPoint:
    """One point of a metric series (an epoch, an iteration)."""

    step: int
    value: float
    timestamp: datetime


@dataclass(frozen=True)
class ModelInfo:
    """A registered model: a name under which versions accumulate."""

    name: str
    description: str | None
    tags: dict[str, str]
    created_at: datetime
    updated_at: datetime
    latest_version: int | None  # highest version that still exists
    aliases: dict[str, int]  # alias -> version


@dataclass(frozen=True)
class VersionInfo:
    """One immutable model version, with the params of the run that produced it."""

    model: str
    version: int
    run_id: str
    artifact_uri: str
    schema: dict[str, Any]
    metrics: dict[str, Any]
    params: dict[str, Any]
    parent_version: int | None
    description: str | None
    tags: dict[str, str]
    created_at: datetime
    aliases: tuple[str, ...] = ()

    @property
    def ref(self) -> str:
        """The reference that resolves to exactly this version: ``name:version``."""
        return f"{self.model}:{self.version}"


@dataclass(frozen=True)
class AliasChange:
    """One audit-log row: who moved which alias from where to where, and when."""

    at: datetime
    model: str
    alias: str
    from_version: int | None  # None: the alias was created
    to_version: int | None  # None: the alias was deleted
    actor: str


def diff_versions(a: VersionInfo, b: VersionInfo) -> dict[str, dict[str, dict[str, Any]]]:
    """The params and metrics that differ between two versions.

    Returns ``{"params": {key: {"a": ..., "b": ...}}, "metrics": {key: {"a", "b", "delta"}}}``;
    a key missing on one side shows as None there, and ``delta`` is ``b - a`` when both are numbers.
    """
    params = {
        key: {"a": a.params.get(key), "b": b.params.get(key)}
        for key in sorted(set(a.params) | set(b.params))
        if not _same(a.params.get(key, _MISSING), b.params.get(key, _MISSING))
    }
    metrics: dict[str, dict[str, Any]] = {}
    for key in sorted(set(a.metrics) | set(b.metrics)):
        left, right = a.metrics.get(key, _MISSING), b.metrics.get(key, _MISSING)
        if _same(left, right):
            continue
        entry: dict[str, Any] = {
            "a": None if left is _MISSING else left,
            "b": None if right is _MISSING else right,
        }
        if _number(left) and _number(right):
            entry["delta"] = right - left
        metrics[key] = entry
    return {"params": params, "metrics": metrics}


_MISSING = object()


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(left: Any, right: Any) -> bool:
    if _number(left) and _number(right) and math.isnan(left) and math.isnan(right):
        return True
    return left == right and type(left) is type(right)

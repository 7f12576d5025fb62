"""Typed values for what an evaluation measured: metrics of one part, metrics per part, KPIs.

``Metrics`` is a read-only mapping (metric name -> float) that also reads as attributes
(``metrics.f1``) and knows which of its metrics is the primary one. ``PartMetrics`` maps a part
(train, validation, cv, cv_std, test) to its ``Metrics``. ``Kpi`` is one row of the KPI table.
Each has ``to_dict()`` giving the plain JSON shape the CLI and the run record use.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import Any


class Metrics(Mapping[str, float]):
    """Metric name -> value for one part of the data (read-only).

    ``metrics["f1"]`` and ``metrics.f1`` both work; ``primary`` names the metric the run is
    judged by (None when it is not known), ``value`` is its value.
    """

    __slots__ = ("_values", "primary")

    def __init__(self, values: Mapping[str, float] | None = None, *,
                 primary: str | None = None) -> None:
        object.__setattr__(self, "_values", {str(k): float(v) for k, v in (values or {}).items()})
        object.__setattr__(self, "primary", primary)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __getattr__(self, name: str) -> float:
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"no metric {name!r}; this part has: {', '.join(values) or 'none'}")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Metrics are read-only")

    @property
    def value(self) -> float | None:
        """The primary metric's value (None when there is no primary or this part lacks it)."""
        return self._values.get(self.primary) if self.primary else None

    def to_dict(self) -> dict[str, float]:
        return dict(self._values)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v:.4g}" for k, v in self._values.items())
        return f"Metrics({inner})"


class PartMetrics(Mapping[str, Metrics]):
    """Part name -> ``Metrics`` (read-only); ``metrics["test"]["f1"]`` or ``metrics["test"].f1``.
    """

    __slots__ = ("_parts", "primary")

    def __init__(self, parts: Mapping[str, Mapping[str, float]] | None = None, *,
                 primary: str | None = None) -> None:
        object.__setattr__(self, "_parts", {
            name: Metrics(values, primary=primary) for name, values in (parts or {}).items()})
        object.__setattr__(self, "primary", primary)

    def __getitem__(self, part: str) -> Metrics:
        try:
            return self._parts[part]
        except KeyError:
            raise KeyError(f"no metrics for part {part!r}; there are: "
                           f"{', '.join(self._parts) or 'none'}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._parts)

    def __len__(self) -> int:
        return len(self._parts)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("PartMetrics are read-only")

    @property
    def headline(self) -> Metrics:
        """The metrics a version is listed with: the test part's, else validation's, else none."""
        return self._parts.get("test") or self._parts.get("validation") or Metrics(
            primary=self.primary)

    def to_dict(self) -> dict[str, dict[str, float]]:
        return {part: values.to_dict() for part, values in self._parts.items()}

    def __repr__(self) -> str:
        return f"PartMetrics({', '.join(f'{k}: {v!r}' for k, v in self._parts.items())})"


@dataclass(frozen=True)
class Kpi:
    """One key figure of the test evaluation: ``value`` in ``unit`` (None: not measured)."""

    key: str
    label: str
    value: float | None
    unit: str = ""

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Kpi:
        """A row of the report's ``kpis`` list."""
        return cls(str(record["key"]), str(record["label"]), record.get("value"),
                   str(record.get("unit") or ""))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

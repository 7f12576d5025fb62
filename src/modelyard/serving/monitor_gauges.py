"""The monitoring gauges on the server's ``/metrics``: the latest values ``modelyard watch`` (and
``modelyard retrain``) stored in the metadata store, read when Prometheus scrapes and cached for a
few seconds, so a scrape every second costs one query every ``TTL`` seconds.

- ``modelyard_drift_score{model, column}``: the drift check's overall score (column ``""``) and
  each column's;
- ``modelyard_live_metric{model, metric}``: the latest window of live performance;
- ``modelyard_last_retrain_timestamp_seconds{model}``: when the model was last retrained.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

log = logging.getLogger("modelyard.serving")

TTL = 5.0  # seconds a read of the store is reused

FAMILIES = {  # stored gauge -> (Prometheus name, help, label name or None)
    "drift_score": ("modelyard_drift_score",
                    "Latest drift score per model (column '' overall) from modelyard watch",
                    "column"),
    "live_metric": ("modelyard_live_metric",
                    "Latest live-performance value per model and metric from modelyard watch",
                    "metric"),
    "last_retrain_timestamp": ("modelyard_last_retrain_timestamp_seconds",
                               "Unix time of the model's last retrain", None),
}


class StoreGauges(Collector):
    """A collector over ``WatchState.gauges()``; does nothing until ``attach``ed to a store."""

    def __init__(self, ttl: float = TTL) -> None:
        self.ttl = ttl
        self._store: Any = None
        self._lock = threading.Lock()
        self._cached: list[Any] = []
        self._read_at = -float("inf")

    def attach(self, store: Any) -> None:
        self._store, self._read_at = store, -float("inf")

    def detach(self) -> None:
        self._store = None

    def describe(self) -> list[Any]:
        return []  # registering must not read the store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        families: dict[str, GaugeMetricFamily] = {}
        for value in self._values():
            spec = FAMILIES.get(value.gauge)
            if spec is None:
                continue
            name, help_, label = spec
            labels = ["model", label] if label else ["model"]
            family = families.setdefault(value.gauge, GaugeMetricFamily(name, help_,
                                                                        labels=labels))
            family.add_metric([value.model, value.label] if label else [value.model],
                              value.value)
        yield from families.values()

    def _values(self) -> list[Any]:
        store = self._store
        if store is None:
            return []
        with self._lock:
            if time.monotonic() - self._read_at >= self.ttl:
                from modelyard.registry.watch_state import WatchState

                try:
                    self._cached = WatchState(store).gauges()
                except Exception as err:  # noqa: BLE001 - a scrape never fails for these
                    log.warning("could not read the monitoring gauges: %s", err)
                self._read_at = time.monotonic()
            return self._cached

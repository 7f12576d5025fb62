"""What a fit did, epoch by epoch, and why it stopped."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# keys of a record that measure how fast the epoch ran, not what it learnt: they differ from one
# run to the next, so they belong to the run's record (its metric series), never to a saved model
TIMING_KEYS = ("epoch_seconds", "samples_per_sec")


@dataclass
class History:
    """Per-epoch records plus the loop's verdict.

    Each record is a dict with ``epoch`` (1-based), ``train_loss``, ``val_loss`` and
    ``val_<metric>`` when there is validation data, ``lr`` (at the start of the epoch),
    ``epoch_seconds`` and ``samples_per_sec`` (training rows per second of the training phase;
    these two are :data:`TIMING_KEYS`).
    ``stop_reason`` is set by the loop alone: 'max_epochs', 'early_stopping: ...', 'budget: ...',
    or the reason another callback gave. ``best_epoch`` is the epoch whose weights the model ends
    with when the best weights were restored, else None.
    """

    records: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    best_epoch: int | None = None

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.records)

    def __getitem__(self, index: int) -> dict[str, Any]:
        return self.records[index]

    def append(self, record: Mapping[str, Any]) -> None:
        self.records.append(dict(record))

    def column(self, key: str) -> list[Any]:
        """One metric across epochs (None where an epoch lacks it)."""
        return [r.get(key) for r in self.records]

    @property
    def last(self) -> dict[str, Any]:
        return self.records[-1] if self.records else {}

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": [dict(r) for r in self.records],
            "stop_reason": self.stop_reason,
            "best_epoch": self.best_epoch,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> History:
        return cls(
            records=[dict(r) for r in data.get("records", [])],
            stop_reason=data.get("stop_reason"),
            best_epoch=data.get("best_epoch"),
        )

"""The leaderboard: every trial of a search, in the order it was started, plus the ensemble.

A row holds the learner, its parameters (as the learner takes them, and as the search sampled
them: ``config``), where the configuration came
from (portfolio or optuna), the status (ok, pruned, timeout, failed), the validation score
(out-of-fold), fit seconds, predict seconds per 1,000 rows, the single-row p99 in ms (one fold
model's ``predict_row``: what one refit member costs), the ensemble weight and a note.
``to_records()`` is JSON-ready; ``table()`` is the typed ``evaluation.leaderboard.Leaderboard``
of those records, whose ranking and cell format the CLI, the report, ``modelyard.train``'s result
and the scikit-learn estimators all use.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from modelyard.evaluation import leaderboard as ranked
from modelyard.search.space import plain
from modelyard.search.trial import TrialResult


@dataclass
class Entry:
    """One trial on the leaderboard."""

    trial: int
    learner: str
    params: dict[str, Any]  # constructor parameters: model: {learner, params} retrains it
    config: dict[str, Any]  # the point of the search space they came from
    source: str
    status: str
    score: float | None
    fit_seconds: float
    predict_seconds_per_1k: float | None
    seconds: float
    folds_done: int
    latency_p99_ms: float | None = None  # one row through one fold model (a refit member)
    note: str | None = None
    weight: float = 0.0  # share of this trial in the final ensemble

    def to_record(self) -> dict[str, Any]:
        out = asdict(self)
        out["params"], out["config"] = plain(self.params), plain(self.config)
        for key in ("score", "predict_seconds_per_1k", "latency_p99_ms"):
            if out[key] is not None and not math.isfinite(out[key]):
                out[key] = None
        return out


@dataclass
class Leaderboard:
    """Every trial of one search, for ``metric`` (greater is better when ``greater_is_better``)."""

    metric: str
    greater_is_better: bool
    entries: list[Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, result: TrialResult) -> Entry:
        """Record a finished trial; returns its row."""
        spec = result.spec
        entry = Entry(
            trial=spec.number, learner=spec.learner, params=dict(spec.params),
            config=dict(spec.config), source=spec.source, status=result.status, score=result.score,
            fit_seconds=round(result.fit_seconds, 4),
            predict_seconds_per_1k=None if result.predict_seconds_per_1k is None
            else round(result.predict_seconds_per_1k, 5),
            seconds=round(result.seconds, 4), folds_done=result.folds_done, note=result.note,
            latency_p99_ms=None if result.latency_p99_ms is None
            else round(result.latency_p99_ms, 4),
        )
        self.entries.append(entry)
        return entry

    def set_weights(self, weights: dict[int, float]) -> None:
        """The ensemble's weight of each trial (trials not named get 0)."""
        for entry in self.entries:
            entry.weight = float(weights.get(entry.trial, 0.0))

    def to_records(self) -> list[dict[str, Any]]:
        """Every trial as a JSON-ready dict, in the order the trials were started."""
        return [e.to_record() for e in sorted(self.entries, key=lambda e: e.trial)]

    def table(self) -> ranked.Leaderboard:
        """The trials as the typed leaderboard: ranked best first by the metric's direction."""
        return ranked.Leaderboard(self.metric, self.greater_is_better, tuple(self.to_records()))

    def __len__(self) -> int:
        return len(self.entries)

"""The leaderboard: every trial of a search, in the order it was started, plus the ensemble.

A row holds the learner, its parameters (as the learner takes them, and as the search sampled
them: ``config``), where the configuration came
from (portfolio or optuna), the status (ok, pruned, timeout, failed), the validation score
(out-of-fold), fit seconds, predict seconds per 1,000 rows, the ensemble weight and a note.
``to_records()`` is JSON-ready; ``render_leaderboard`` draws it as a Rich table, best first.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from rich.table import Table

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
    note: str | None = None
    weight: float = 0.0  # share of this trial in the final ensemble

    def to_record(self) -> dict[str, Any]:
        out = asdict(self)
        out["params"], out["config"] = plain(self.params), plain(self.config)
        for key in ("score", "predict_seconds_per_1k"):
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
        )
        self.entries.append(entry)
        return entry

    def set_weights(self, weights: dict[int, float]) -> None:
        """The ensemble's weight of each trial (trials not named get 0)."""
        for entry in self.entries:
            entry.weight = float(weights.get(entry.trial, 0.0))

    def ranked(self) -> list[Entry]:
        """Trials with a score, best first (ties: the earlier trial), then the others in order."""
        sign = 1.0 if self.greater_is_better else -1.0
        scored = [e for e in self.entries if e.status == "ok" and e.score is not None]
        scored.sort(key=lambda e: (-sign * e.score, e.trial))
        rest = [e for e in self.entries if e not in scored]
        return scored + rest

    def best(self) -> Entry | None:
        ranked = self.ranked()
        return ranked[0] if ranked and ranked[0].status == "ok" else None

    def to_records(self) -> list[dict[str, Any]]:
        """Every trial as a JSON-ready dict, in the order the trials were started."""
        return [e.to_record() for e in sorted(self.entries, key=lambda e: e.trial)]

    def __len__(self) -> int:
        return len(self.entries)


def _fmt(value: float | None, digits: int = 4) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{value:.{digits}g}"


def _params_text(params: dict[str, Any], limit: int = 90) -> str:
    text = ", ".join(f"{k}={_fmt(v, 3) if isinstance(v, float) else v}" for k, v in params.items())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def render_leaderboard(board: Leaderboard, *, limit: int | None = 20,
                       title: str | None = None) -> Table:
    """A Rich table of the best ``limit`` trials (all when None), then a count of the rest."""
    table = Table(title=title or f"search leaderboard ({board.metric}, "
                  f"{'higher' if board.greater_is_better else 'lower'} is better)")
    for name, justify in (("#", "right"), ("learner", "left"), ("status", "left"),
                          (board.metric, "right"), ("fit s", "right"), ("pred s/1k", "right"),
                          ("weight", "right"), ("parameters / note", "left")):
        table.add_column(name, justify=justify, overflow="fold")
    rows = board.ranked()
    shown = rows if limit is None else rows[:limit]
    for entry in shown:
        style = "bold" if entry.weight > 0 else ("dim" if entry.status != "ok" else None)
        detail = entry.note if entry.status != "ok" and entry.note else _params_text(entry.params)
        table.add_row(str(entry.trial), entry.learner, entry.status, _fmt(entry.score),
                      _fmt(entry.fit_seconds, 3), _fmt(entry.predict_seconds_per_1k, 3),
                      _fmt(entry.weight, 3) if entry.weight else "", detail, style=style)
    if len(rows) > len(shown):
        table.caption = f"{len(rows) - len(shown)} more trial(s) not shown"
    return table

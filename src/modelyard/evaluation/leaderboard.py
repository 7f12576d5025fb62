"""``Leaderboard``: the trials of a search (or the one learner of a plain run) with the metric
they were scored by and its direction, ranked and formatted in one place.

The CLI's table, the HTML report's table and ``to_frame()`` all go through ``ranked()`` and
``cells()`` here, so a lower-is-better metric (rmse) sorts best first everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

# the table's columns: (heading, record key); the score's heading names the metric
COLUMNS: tuple[tuple[str, str], ...] = (
    ("trial", "trial"), ("learner", "learner"), ("status", "status"), ("score", "score"),
    ("fit s", "fit_seconds"), ("predict s / 1k rows", "predict_seconds_per_1k"),
    ("row ms p99", "latency_p99_ms"), ("ensemble weight", "weight"),
)
FRAME_COLUMNS = ("trial", "learner", "status", "score", "fit_seconds", "predict_seconds_per_1k",
                 "latency_p99_ms", "weight", "source", "params", "note")


def _number(value: Any) -> str:
    """A table cell for a number: 4 significant digits, '' when missing or not finite."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@dataclass(frozen=True)
class Leaderboard:
    """Trial records (``trial``, ``learner``, ``status``, ``score``, ``fit_seconds``,
    ``predict_seconds_per_1k``, ``weight``, ``params``...) scored by ``metric``.

    ``searched`` is False for a run that trained one named learner: its one row is that learner
    with its validation score. Calling the leaderboard (``result.leaderboard()``) gives
    ``to_frame()``.
    """

    metric: str | None
    greater_is_better: bool = True
    rows: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)
    searched: bool = True

    @classmethod
    def from_report(cls, report: Mapping[str, Any]) -> Leaderboard:
        """The leaderboard a report holds (its metric and direction when the report has them)."""
        about = report.get("leaderboard_metric") or {}
        return cls(about.get("name"), bool(about.get("greater_is_better", True)),
                   tuple(report.get("leaderboard") or ()))

    def ranked(self) -> list[Mapping[str, Any]]:
        """Scored trials best first (ties: the earlier trial), then the others in trial order."""
        sign = 1.0 if self.greater_is_better else -1.0

        def scored(row: Mapping[str, Any]) -> bool:
            score = row.get("score")
            return row.get("status", "ok") == "ok" and score is not None and math.isfinite(score)

        best = sorted((r for r in self.rows if scored(r)),
                      key=lambda r: (-sign * r["score"], r.get("trial", 0)))
        rest = sorted((r for r in self.rows if not scored(r)), key=lambda r: r.get("trial", 0))
        return best + rest

    @property
    def best(self) -> Mapping[str, Any] | None:
        """The best scored row (None when no trial has a score)."""
        ranked = self.ranked()
        return ranked[0] if ranked and ranked[0].get("score") is not None else None

    def headings(self) -> list[str]:
        """Column headings of the table; the score's names the metric and its direction."""
        score = "score"
        if self.metric:
            score = f"{self.metric} ({'higher' if self.greater_is_better else 'lower'} is better)"
        return [score if key == "score" else head for head, key in COLUMNS]

    def cells(self, limit: int | None = None) -> list[list[str]]:
        """The table's rows as text, best first (``limit``: at most that many)."""
        rows = self.ranked()
        shown = rows if limit is None else rows[:limit]
        out = []
        for row in shown:
            cells = []
            for _, key in COLUMNS:
                value = row.get(key)
                if key == "weight" and not value:
                    cells.append("")
                elif key in ("learner", "status"):
                    cells.append(str(value or ""))
                else:
                    cells.append(_number(value))
            out.append(cells)
        return out

    def to_records(self) -> list[dict[str, Any]]:
        """Every row as a plain dict, in the order the trials were started."""
        return [dict(r) for r in sorted(self.rows, key=lambda r: r.get("trial", 0))]

    def to_frame(self) -> Any:
        """A pandas DataFrame, best first; ``attrs`` holds the metric and its direction."""
        import pandas as pd

        records = [{k: row.get(k) for k in FRAME_COLUMNS} for row in self.ranked()]
        frame = pd.DataFrame.from_records(records, columns=list(FRAME_COLUMNS))
        frame.attrs.update(metric=self.metric, greater_is_better=self.greater_is_better)
        return frame

    def __call__(self) -> Any:
        return self.to_frame()

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.to_records())

    def about(self) -> dict[str, Any] | None:
        """The report's ``leaderboard_metric``: the metric's name and direction."""
        if not self.metric:
            return None
        return {"name": self.metric, "greater_is_better": self.greater_is_better}


def single_learner(learner: str, metric: str | None, greater_is_better: bool,
                   validation: Mapping[str, float], fit_seconds: float) -> Leaderboard:
    """The one-row leaderboard of a run that trained one named learner."""
    row = {"trial": 0, "learner": learner, "status": "ok",
           "score": validation.get(metric) if metric else None,
           "fit_seconds": round(fit_seconds, 4), "predict_seconds_per_1k": None, "weight": 1.0,
           "source": "named", "params": {}, "note": None}
    return Leaderboard(metric, greater_is_better, (row,), searched=False)

"""Champion against challenger on the same rows: both scores on the primary metric, the
difference in the metric's direction, and a paired bootstrap of that difference.

Paired means each resample draws the same rows for both models (one weight matrix, the
vectorised metrics of ``evaluation.bootstrap``), so the interval reflects how much the two models
differ on these rows, not how much each score alone would move. The challenger wins when the
difference is above the margin and so is the interval's lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from modelyard.evaluation.bootstrap import weighted_metric_values
from modelyard.evaluation.metrics import get_metric
from modelyard.spec.retrain import PairedTest

CELLS_PER_CHUNK = 4_000_000  # resamples x rows of weights held at once (32 MB of float64)


@dataclass(frozen=True)
class Predictions:
    """One model's class codes (or values) and probabilities on the compared rows."""

    pred: np.ndarray
    proba: np.ndarray | None


@dataclass(frozen=True)
class Comparison:
    """The evidence a retrain decision rests on."""

    metric: str
    greater_is_better: bool
    champion: float
    challenger: float
    difference: float  # challenger better by this much (sign set by the metric's direction)
    low: float  # the interval of the difference at `confidence`
    high: float
    p_value: float  # share of resamples where the difference is not above the margin
    confidence: float
    resamples: int
    margin: float
    rows: int

    @property
    def challenger_wins(self) -> bool:
        return self.difference > self.margin and self.low > self.margin

    def reason(self, champion: int | None, challenger: int) -> str:
        """One sentence saying why the alias moves or stays."""
        level = f"{self.confidence:.0%} interval {self.low:+.4f}..{self.high:+.4f}"
        said = (f"challenger v{challenger} vs champion v{champion} on {self.metric} over "
                f"{self.rows} fresh test rows: {self.challenger:.4f} vs {self.champion:.4f}, "
                f"difference {self.difference:+.4f} ({level}, p={self.p_value:.3f})")
        if self.challenger_wins:
            return f"promoted: {said}, above the margin {self.margin:+.4f}"
        if self.difference <= self.margin:
            return f"kept the champion: {said}; the difference is not above the margin " \
                   f"{self.margin:+.4f}"
        return f"kept the champion: {said}; the interval reaches below the margin " \
               f"{self.margin:+.4f}, so the gain may be noise"

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "greater_is_better": self.greater_is_better,
            "champion_score": self.champion,
            "challenger_score": self.challenger,
            "difference": self.difference,
            "interval": [self.low, self.high],
            "p_value": self.p_value,
            "confidence": self.confidence,
            "resamples": self.resamples,
            "margin": self.margin,
            "rows": self.rows,
            "test": "paired_bootstrap",
        }


def predictions(bundle: Any, rows: pd.DataFrame) -> Predictions:
    """A fitted model's codes and probabilities on raw ``rows`` (as the final evaluation does)."""
    return Predictions(*bundle.codes_and_proba(bundle.transform(rows)))


def compare(task: str, metric: str, y: np.ndarray, champion: Predictions,
            challenger: Predictions, *, test: PairedTest, margin: float,
            seed: int) -> Comparison:
    """Score both on the rows ``y`` and bootstrap the difference with shared resamples."""
    greater = get_metric(metric, task).greater_is_better
    sign = 1.0 if greater else -1.0
    n = len(y)

    def scores(W: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ch = weighted_metric_values(task, y, champion.pred, champion.proba, [metric], W)[metric]
        cl = weighted_metric_values(task, y, challenger.pred, challenger.proba, [metric],
                                    W)[metric]
        return ch, cl

    point_champion, point_challenger = (float(s[0]) for s in scores(np.ones((1, n))))
    rng = np.random.default_rng(seed)
    chunk = max(1, min(test.resamples, CELLS_PER_CHUNK // max(n, 1)))
    diffs: list[np.ndarray] = []
    done = 0
    while done < test.resamples:
        m = min(chunk, test.resamples - done)
        draws = rng.integers(0, n, size=(m, n)) + (np.arange(m) * n)[:, None]
        W = np.bincount(draws.ravel(), minlength=m * n).reshape(m, n).astype(np.float64)
        ch, cl = scores(W)
        diffs.append(sign * (cl - ch))
        done += m
    d = np.concatenate(diffs)
    d = d[np.isfinite(d)]  # a resample with one class leaves AUC-type metrics undefined
    tail = (1 - test.confidence) / 2
    low, high = (np.quantile(d, [tail, 1 - tail]) if len(d) else (np.nan, np.nan))
    return Comparison(
        metric=metric,
        greater_is_better=greater,
        champion=point_champion,
        challenger=point_challenger,
        difference=sign * (point_challenger - point_champion),
        low=float(low),
        high=float(high),
        p_value=float(np.mean(d <= margin)) if len(d) else 1.0,
        confidence=test.confidence,
        resamples=int(len(d)),
        margin=margin,
        rows=n,
    )

"""Greedy ensemble selection with replacement (Caruana et al., 2004).

Start from an empty ensemble; in each round add the candidate (possibly one already in) whose
addition gives the best metric for the averaged out-of-fold predictions. After ``rounds`` rounds
keep the best prefix seen, so the ensemble is never worse on these rows than the best single
candidate (round one picks exactly that). The weights are the selection counts divided by their
total. Ties go to the earlier candidate, so the result is reproducible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from modelyard.errors import SpecError
from modelyard.evaluation.metrics import Metric
from modelyard.search.scoring import score_predictions, utility

DEFAULT_ROUNDS = 25
SCORE_TIMINGS = 3  # metric calls timed (the fastest counts) to estimate a selection's seconds


@dataclass(frozen=True)
class Selection:
    """Weights (one per candidate, summing to 1), the ensemble's score and each round's score."""

    weights: np.ndarray
    score: float
    history: tuple[float, ...]

    @property
    def members(self) -> list[int]:
        """Indices of the candidates with a positive weight."""
        return [int(i) for i in np.flatnonzero(self.weights > 0)]


def select_ensemble(predictions: list[np.ndarray], y: np.ndarray, *, metric: Metric, task: str,
                    rounds: int = DEFAULT_ROUNDS, costs: np.ndarray | None = None,
                    limit: float | None = None) -> Selection:
    """Caruana selection over ``predictions`` (one array per candidate, rows aligned with ``y``).

    ``costs`` (one per candidate) and ``limit``: the costs of the distinct candidates chosen add
    up to at most ``limit`` (picking a candidate again adds nothing); a candidate that would go
    past it is not picked in that round. The single-row latency limit of the search uses it.
    """
    if not predictions:
        raise SpecError("ensemble selection needs at least one candidate; got none",
                        hint="run at least one successful trial before building the ensemble")
    if rounds < 1:
        raise SpecError(f"rounds must be >= 1, got {rounds}", hint="use e.g. 25 rounds")
    stacked = np.stack([np.asarray(p, dtype=np.float64) for p in predictions])
    counts = np.zeros(len(predictions), dtype=np.int64)
    total = np.zeros_like(stacked[0])
    best_counts, best_utility, history = counts.copy(), -np.inf, []
    for size in range(1, rounds + 1):
        allowed = _within(counts, costs, limit)
        if not allowed.any():
            raise SpecError(f"no candidate fits the limit {limit}: the cheapest costs "
                            f"{float(np.min(costs)):.4g}", hint="raise the limit")
        trial_utilities = [
            utility(metric, score_predictions(metric, task, y, (total + stacked[i]) / size))
            if allowed[i] else -np.inf
            for i in range(len(predictions))
        ]
        pick = int(np.argmax(trial_utilities))  # first of equals: the better-ranked candidate
        counts[pick] += 1
        total += stacked[pick]
        history.append(trial_utilities[pick])
        if trial_utilities[pick] > best_utility:
            best_utility, best_counts = trial_utilities[pick], counts.copy()
    weights = best_counts / best_counts.sum()
    sign = 1.0 if metric.greater_is_better else -1.0
    return Selection(weights, sign * best_utility, tuple(sign * u for u in history))


def _within(counts: np.ndarray, costs: np.ndarray | None, limit: float | None) -> np.ndarray:
    """Which candidates may be picked next: all without a limit; else those chosen already and
    those whose cost fits in what the chosen ones leave."""
    if costs is None or limit is None:
        return np.ones(len(counts), dtype=bool)
    used = float(np.sum(costs[counts > 0]))
    return (counts > 0) | (used + costs <= limit)


def score_seconds(prediction: np.ndarray, y: np.ndarray, *, metric: Metric, task: str) -> float:
    """Seconds of one metric call on ``prediction``: a selection makes rounds x candidates of
    them, and a ranking metric on many rows costs far more than an error rate."""
    timings = []
    for _ in range(SCORE_TIMINGS):
        started = time.perf_counter()
        score_predictions(metric, task, y, prediction)
        timings.append(time.perf_counter() - started)
    return min(timings)


def selection_seconds(candidates: int, call_seconds: float, rounds: int = DEFAULT_ROUNDS) -> float:
    """Seconds ``select_ensemble`` takes over ``candidates``: one metric call of
    ``call_seconds`` (``score_seconds``) per candidate and round."""
    return rounds * candidates * call_seconds


def blend(predictions: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """The weighted average of ``predictions`` (probabilities or values)."""
    out = np.zeros_like(np.asarray(predictions[0], dtype=np.float64))
    for prediction, weight in zip(predictions, weights, strict=True):
        if weight > 0:
            out += weight * np.asarray(prediction, dtype=np.float64)
    return out

"""Forecast search: candidates compared by rolling-origin backtesting under the run's budget, a
greedy ensemble of the best, and conformal prediction intervals from the backtest errors.

The panel given here holds no test point (the caller cut the sealed last ``horizon`` points of
every series off). Window ``w`` of ``windows`` (oldest first) fits each candidate on every point
before its origin and forecasts the ``horizon`` points after it; the windows' origins are
``horizon`` apart and the last window ends where the panel ends. A candidate is scored by the
mean of its windows' metric (MASE scaled by each series' history before the window).

Candidates run cheapest first; one whose estimated cost (its first window's time times the
windows left) no longer fits the budget is skipped with a note. A LightGBM candidate finds its
boosting rounds by early stopping in its first window and keeps them for the others (and the
final fit).

Ensemble: Caruana's greedy selection with replacement over the candidates' backtest forecasts
(25 rounds), minimising the same metric. Intervals: for each step of the horizon, the empirical
quantiles of the ensemble's backtest errors divided by each series' scale (its in-sample
seasonal naive MAE), pooled over every step when there are fewer than ``MIN_PER_STEP`` errors per
step (split conformal; ``interval_quantiles``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from modelyard.data.series import Panel
from modelyard.errors import TrainingError
from modelyard.evaluation.forecast_metrics import aggregate, seasonal_scale
from modelyard.learners.forecast import Forecaster, get_forecaster
from modelyard.search.budget import Budget

DEFAULT_CANDIDATES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("seasonal_naive", {}),
    ("theta", {}),
    ("ets", {}),
    ("lightgbm", {}),
    ("lightgbm", {"num_leaves": 255, "min_child_samples": 50, "learning_rate": 0.03}),
)
ENSEMBLE_ROUNDS = 25
MIN_PER_STEP = 50  # backtest errors per horizon step below which the steps are pooled


@dataclass
class Candidate:
    name: str
    params: dict[str, Any]
    scores: list[float] = field(default_factory=list)  # metric per window
    forecasts: list[list[np.ndarray]] = field(default_factory=list)  # per window, per series
    seconds: float = 0.0
    error: str | None = None

    @property
    def score(self) -> float:
        return float(np.mean(self.scores)) if self.scores else float("inf")

    def label(self) -> str:
        return self.name + (f" {self.params}" if self.params else "")


@dataclass
class Windows:
    """The backtest windows of a panel: each window's history and actuals."""

    histories: list[Panel]
    actuals: list[list[np.ndarray]]
    futures: list[dict[str, tuple[np.ndarray, ...]]]  # known covariates over each horizon


@dataclass
class ForecastSearch:
    candidates: list[Candidate]
    members: list[tuple[int, float]]  # (candidate index, weight)
    ensemble_score: float
    lower: list[float]  # scaled error quantile per horizon step
    upper: list[float]
    coverage: float  # measured on the backtest windows, by construction near the target
    notes: list[str]


def window_panels(panel: Panel, horizon: int, windows: int) -> Windows:
    histories, actuals, futures = [], [], []
    for w in range(windows, 0, -1):
        history = panel.cut(w * horizon)
        target = panel.cut((w - 1) * horizon).tail(horizon)
        histories.append(history)
        actuals.append(list(target.values))
        futures.append(target.known)
    return Windows(histories, actuals, futures)


def window_score(windows: Windows, w: int, forecasts: list[np.ndarray], season: int,
                 metric: str) -> float:
    return aggregate(windows.actuals[w], forecasts, windows.histories[w].values, season)[metric]


def run_candidate(name: str, params: dict[str, Any], season: int, windows: Windows,
                  horizon: int, metric: str, budget: Budget) -> Candidate:
    candidate = Candidate(name, dict(params))
    started = time.monotonic()
    forecaster_params = dict(params)
    for w, history in enumerate(windows.histories):
        if w and budget.limited:
            per_window = (time.monotonic() - started) / w
            if per_window * (len(windows.histories) - w) > budget.remaining():
                candidate.error = (f"skipped: its {len(windows.histories)} windows need about "
                                   f"{per_window * len(windows.histories):.0f} s")
                break
        try:
            forecaster = get_forecaster(name)(season, **forecaster_params).fit(history, horizon)
            forecasts = forecaster.predict(history, horizon, windows.futures[w])
        except (ValueError, np.linalg.LinAlgError) as err:
            candidate.error = f"failed: {type(err).__name__}: {err}"
            break
        if getattr(forecaster, "rounds_", None) is not None and forecaster_params.get(
                "rounds") is None:
            forecaster_params["rounds"] = forecaster.rounds_  # the later windows keep them
            candidate.params["rounds"] = forecaster.rounds_
        candidate.forecasts.append(forecasts)
        candidate.scores.append(window_score(windows, w, forecasts, season, metric))
    candidate.seconds = time.monotonic() - started
    budget.charge(candidate.seconds)
    if candidate.error is None and len(candidate.scores) < len(windows.histories):
        candidate.error = "incomplete"
    return candidate


def search_forecasters(
    panel: Panel,
    *,
    horizon: int,
    season: int,
    windows: int,
    metric: str,
    budget: Budget,
    interval: float,
    candidates: list[tuple[str, dict[str, Any]]] | None = None,
    ensemble: bool = True,
    max_trials: int | None = None,
    on_step: Any = None,
) -> ForecastSearch:
    """Backtest every candidate (cheapest first) within ``budget``; ensemble and intervals."""
    wins = window_panels(panel, horizon, windows)
    listed = list(candidates or DEFAULT_CANDIDATES)
    listed.sort(key=lambda c: get_forecaster(c[0]).cost_hint)
    done: list[Candidate] = []
    notes: list[str] = []
    for name, params in listed[: max_trials or len(listed)]:
        if budget.exhausted and done:
            notes.append(f"forecaster {name} not tried: the time budget was spent")
            continue
        if on_step:
            on_step(f"backtesting {name} on {windows} windows")
        candidate = run_candidate(name, params, season, wins, horizon, metric, budget)
        if candidate.error:
            notes.append(f"forecaster {candidate.label()}: {candidate.error}")
        done.append(candidate)
    usable = [i for i, c in enumerate(done) if c.error is None]
    if not usable:
        raise TrainingError("no forecaster finished its backtest windows: "
                            + "; ".join(notes or ["none ran"]),
                            hint="raise search.time_budget or lower forecast.backtest_windows")
    members = _ensemble(done, usable, wins, season, metric) if ensemble else \
        [(min(usable, key=lambda i: done[i].score), 1.0)]
    blended = _blend(done, members)
    ensemble_score = float(np.mean([window_score(wins, w, f, season, metric)
                                    for w, f in enumerate(blended)]))  # fmt: skip
    lower, upper, coverage = interval_quantiles(wins, blended, season, interval)
    return ForecastSearch(done, members, ensemble_score, lower, upper, coverage, notes)


def _blend(done: list[Candidate], members: list[tuple[int, float]]) -> list[list[np.ndarray]]:
    windows = len(done[members[0][0]].forecasts)
    out = []
    for w in range(windows):
        series = len(done[members[0][0]].forecasts[w])
        out.append([sum(weight * done[i].forecasts[w][s] for i, weight in members)
                    for s in range(series)])  # fmt: skip
    return out


def _ensemble(done: list[Candidate], usable: list[int], wins: Windows, season: int,
              metric: str) -> list[tuple[int, float]]:
    counts = dict.fromkeys(usable, 0)
    best, best_score = None, float("inf")
    for _ in range(ENSEMBLE_ROUNDS):
        trials = []
        for i in usable:
            trial = {**counts, i: counts[i] + 1}
            members = [(j, n / sum(trial.values())) for j, n in trial.items() if n]
            blended = _blend(done, members)
            trials.append((float(np.mean([window_score(wins, w, f, season, metric)
                                          for w, f in enumerate(blended)])), i))  # fmt: skip
        score, pick = min(trials)
        counts[pick] += 1
        if score < best_score - 1e-12:
            best_score, best = score, dict(counts)
    assert best is not None
    total = sum(best.values())
    return [(i, n / total) for i, n in best.items() if n]


def interval_quantiles(wins: Windows, blended: list[list[np.ndarray]], season: int,
                       interval: float) -> tuple[list[float], list[float], float]:
    """Per-step quantiles of the scaled backtest errors (actual − forecast) / scale, and the
    share of backtest actuals the resulting intervals cover."""
    errors = []  # rows: (window, series); columns: horizon steps
    scales = []
    for w, forecasts in enumerate(blended):
        for s, forecast in enumerate(forecasts):
            scale = seasonal_scale(wins.histories[w].values[s], season)
            errors.append((wins.actuals[w][s] - forecast) / scale)
            scales.append(scale)
    matrix = np.vstack(errors)
    lo_q, hi_q = (1 - interval) / 2, (1 + interval) / 2
    if matrix.shape[0] >= MIN_PER_STEP:
        lower = np.quantile(matrix, lo_q, axis=0)
        upper = np.quantile(matrix, hi_q, axis=0)
    else:
        lower = np.full(matrix.shape[1], np.quantile(matrix, lo_q))
        upper = np.full(matrix.shape[1], np.quantile(matrix, hi_q))
    inside = (matrix >= lower) & (matrix <= upper)
    return [float(v) for v in lower], [float(v) for v in upper], float(inside.mean())


def fit_members(search: ForecastSearch, panel: Panel, horizon: int,
                season: int) -> list[tuple[Forecaster, float]]:
    """The ensemble's forecasters fitted on the whole panel (no test point in it)."""
    out = []
    for index, weight in search.members:
        candidate = search.candidates[index]
        forecaster = get_forecaster(candidate.name)(season, **candidate.params)
        out.append((forecaster.fit(panel, horizon), weight))
    return out

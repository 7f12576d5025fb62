"""Lag, rolling-window and calendar features of a series, for the global boosting forecaster.

Everything here reads a series' values strictly before the point being predicted (or before the
forecast origin, for the direct strategy): a feature row never sees its own target.

- ``default_lags(season, longest)``: the lags a forecaster looks back at: every step of the last
  season, then two and three seasons back, and a week back for hourly data.
- ``lag_block(values, ends, lags)``: for each position ``e`` in ``ends``, ``values[e - lag]``.
- ``rolling_block``: the mean and standard deviation of the last ``w`` values before ``e``.
- ``row_scale``: the mean absolute value of the last season before ``e``, by which a row of
  the boosting forecaster is divided.
- ``calendar(times, frequency)``: hour, day of week, day of month, month, week of year, as
  far as the frequency makes them vary.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WEEK_HOURS = 168


def default_lags(season: int, longest: int) -> list[int]:
    """Lags 1..season (at most 48 of them), then 2 and 3 seasons back, and a week back for
    hourly data, as far as the longest series reaches."""
    lags = set(range(1, min(season, 48) + 1)) | {season, 2 * season, 3 * season}
    if season == 24:
        lags.add(WEEK_HOURS)
    return sorted(lag for lag in lags if lag < max(longest - 1, 2))


def rolling_windows(season: int) -> list[int]:
    return sorted({w for w in (max(season, 3), 3 * max(season, 3)) if w >= 2})


def lag_block(values: np.ndarray, ends: np.ndarray, lags: list[int]) -> np.ndarray:
    """``values[ends - lag]`` for every lag (NaN before the series starts)."""
    out = np.full((len(ends), len(lags)), np.nan)
    for j, lag in enumerate(lags):
        at = ends - lag
        ok = at >= 0
        out[ok, j] = values[at[ok]]
    return out


def rolling_block(values: np.ndarray, ends: np.ndarray, windows: list[int]) -> np.ndarray:
    """Mean and standard deviation of ``values[e - w : e]`` for each end ``e`` and window ``w``
    (through cumulative sums; NaN where fewer than ``w`` values precede ``e``)."""
    c1 = np.concatenate([[0.0], np.cumsum(values)])
    c2 = np.concatenate([[0.0], np.cumsum(values * values)])
    out = np.full((len(ends), 2 * len(windows)), np.nan)
    for j, w in enumerate(windows):
        ok = ends - w >= 0
        e = ends[ok]
        mean = (c1[e] - c1[e - w]) / w
        var = np.maximum((c2[e] - c2[e - w]) / w - mean * mean, 0.0)
        out[ok, 2 * j] = mean
        out[ok, 2 * j + 1] = np.sqrt(var)
    return out


def row_scale(values: np.ndarray, ends: np.ndarray, season: int) -> np.ndarray:
    """For each end ``e``: the mean absolute value of the last season before ``e`` (of what
    there is, near the start), else of the whole series, else 1: what a row's lags and target
    are divided by."""
    c = np.concatenate([[0.0], np.cumsum(np.abs(values))])
    start = np.maximum(ends - max(season, 1), 0)
    count = ends - start
    scale = np.divide(c[ends] - c[start], count, out=np.zeros(len(ends)), where=count > 0)
    whole = float(np.mean(np.abs(values))) if len(values) else 0.0
    scale = np.where(scale > 0, scale, whole if whole > 0 else 1.0)
    return scale


def calendar_names(frequency: str) -> list[str]:
    """The calendar features that vary at ``frequency``."""
    step = pd.tseries.frequencies.to_offset(frequency)
    nanos = pd.Timedelta(step.nanos) if _fixed(step) else None
    if nanos is not None and nanos < pd.Timedelta(days=1):
        return ["hour", "dayofweek", "month"]
    if nanos is not None and nanos == pd.Timedelta(days=1):
        return ["dayofweek", "dayofmonth", "month", "weekofyear"]
    base = step.name.split("-")[0].upper()
    if base.startswith("W") or nanos is not None:
        return ["weekofyear", "month"]
    return ["month"]


def calendar(times: pd.DatetimeIndex, names: list[str]) -> np.ndarray:
    columns = {
        "hour": lambda t: t.hour,
        "dayofweek": lambda t: t.day_of_week,
        "dayofmonth": lambda t: t.day,
        "month": lambda t: t.month,
        "weekofyear": lambda t: t.isocalendar().week.to_numpy(),
    }
    if not names:
        return np.empty((len(times), 0))
    return np.column_stack([np.asarray(columns[n](times), dtype="float64") for n in names])


def _fixed(offset: pd.DateOffset) -> bool:
    try:
        offset.nanos  # noqa: B018 - raises for calendar offsets (months, anchored weeks)
    except (ValueError, AttributeError):
        return False
    return True

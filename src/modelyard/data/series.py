"""Observations as a panel of regular time series (``task: forecast``).

``build_panel(frame, ...)`` turns rows of (series, time, target, covariates) into a ``Panel``:
one regular series per id, sorted in time, on one frequency. What cannot be a series is a
``DataError`` that names the series and time stamps: duplicated time stamps, a frequency that
cannot be inferred, gaps inside a series (unless ``fill_gaps`` says how to fill them), a static
covariate that changes within a series, a series too short to forecast from.

A ``Panel`` keeps plain arrays per series (values, time stamps, known covariates) plus the
static covariates; ``cut(k)`` drops the last ``k`` points of every series (how backtest windows
and the sealed test window are made), ``tail(k)`` keeps them.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from modelyard.errors import DataError

SINGLE_SERIES = "series"  # the id of the one series of a frame without a series column
MAX_LISTED = 5  # series or time stamps named in one error message


@dataclass(frozen=True)
class Panel:
    """Regular series on one frequency. ``values[i]`` (float64) and ``times[i]`` belong to
    ``ids[i]``; ``known[name][i]`` are covariate values at those times; ``static`` maps a
    static covariate to one value per series (in ``ids`` order)."""

    ids: tuple[str, ...]
    times: tuple[pd.DatetimeIndex, ...]
    values: tuple[np.ndarray, ...]
    frequency: str
    known: dict[str, tuple[np.ndarray, ...]] = field(default_factory=dict)
    static: dict[str, tuple[object, ...]] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> np.ndarray:
        return np.array([len(v) for v in self.values])

    def cut(self, k: int) -> Panel:
        """Every series without its last ``k`` points."""
        if k == 0:
            return self
        return replace(
            self,
            times=tuple(t[:-k] for t in self.times),
            values=tuple(v[:-k] for v in self.values),
            known={n: tuple(a[:-k] for a in arrays) for n, arrays in self.known.items()},
        )

    def tail(self, k: int) -> Panel:
        """Only the last ``k`` points of every series."""
        return replace(
            self,
            times=tuple(t[-k:] for t in self.times),
            values=tuple(v[-k:] for v in self.values),
            known={n: tuple(a[-k:] for a in arrays) for n, arrays in self.known.items()},
        )

    def select(self, ids: list[str]) -> Panel:
        """The named series, in that order."""
        index = {s: i for i, s in enumerate(self.ids)}
        missing = [s for s in ids if s not in index]
        if missing:
            raise DataError(f"unknown series {missing[:MAX_LISTED]}",
                            hint=f"known series include {list(self.ids[:MAX_LISTED])}")
        pick = [index[s] for s in ids]
        return Panel(
            tuple(ids), tuple(self.times[i] for i in pick), tuple(self.values[i] for i in pick),
            self.frequency,
            {n: tuple(a[i] for i in pick) for n, a in self.known.items()},
            {n: tuple(v[i] for i in pick) for n, v in self.static.items()},
        )

    def future_times(self, horizon: int) -> tuple[pd.DatetimeIndex, ...]:
        """The ``horizon`` time stamps after the end of every series."""
        return tuple(
            pd.date_range(t[-1], periods=horizon + 1, freq=self.frequency)[1:] for t in self.times
        )


def build_panel(
    frame: pd.DataFrame,
    *,
    time_column: str,
    target: str,
    series_column: str | None = None,
    frequency: str | None = None,
    date_format: str | None = None,
    known: list[str] | tuple[str, ...] = (),
    static: list[str] | tuple[str, ...] = (),
    fill_gaps: str = "error",
    min_length: int = 1,
) -> Panel:
    """``frame``'s rows as a ``Panel`` (see the module docstring for what is refused)."""
    needed = [time_column, target, *([series_column] if series_column else []), *known, *static]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(f"column(s) {missing} are not in the data",
                        hint=f"the data has {list(frame.columns)[:20]}; fix the forecast section")
    if frame.empty:
        raise DataError("the data has no rows", hint="point the spec at a table with observations")
    data = frame[needed].copy()
    data[time_column] = _times(data[time_column], time_column, date_format)
    data["__id"] = data[series_column].astype(str) if series_column else SINGLE_SERIES
    data["__y"] = _numeric(data[target], target)
    for name in known:
        data[name] = _numeric(data[name], name)
    _no_duplicates(data, time_column)
    data = data.sort_values(["__id", time_column], kind="stable")
    frequency = frequency or _infer_frequency(data, time_column)
    ids, times, values = [], [], []
    covariates: dict[str, list[np.ndarray]] = {n: [] for n in known}
    statics: dict[str, list[object]] = {n: [] for n in static}
    gaps: list[str] = []
    for sid, rows in data.groupby("__id", sort=True):
        rows = rows.set_index(time_column)
        full = pd.date_range(rows.index[0], rows.index[-1], freq=frequency)
        if len(full) != len(rows) or not rows.index.equals(full):
            off = rows.index.difference(full)
            if len(off):
                raise DataError(
                    f"series {sid!r} has time stamps off its frequency {frequency!r}: "
                    f"{[str(t) for t in off[:MAX_LISTED]]}",
                    hint="set forecast.frequency to the series' real frequency, or fix the stamps",
                )
            first = full.difference(rows.index)[0]
            gaps.append(f"{sid} ({len(full) - len(rows)} missing, first {first})")
            rows = rows.reindex(full)
        for name in static:
            distinct = rows[name].dropna().unique()
            if len(distinct) > 1:
                raise DataError(f"static covariate {name!r} changes within series {sid!r}: "
                                f"{list(distinct[:MAX_LISTED])}",
                                hint="move it to forecast.known_covariates, or fix the data")
            statics[name].append(distinct[0] if len(distinct) else None)
        y = rows["__y"].to_numpy(dtype="float64")
        if np.isnan(y).any() and fill_gaps == "error" and not gaps:
            at = rows.index[np.isnan(y)][:MAX_LISTED]
            raise DataError(f"series {sid!r} has missing target values at {[str(t) for t in at]}",
                            hint="set forecast.fill_gaps to zero, interpolate or forward")
        ids.append(str(sid))
        times.append(pd.DatetimeIndex(rows.index, freq=None))
        values.append(_filled(y, fill_gaps))
        for name in known:
            covariates[name].append(_filled(rows[name].to_numpy(dtype="float64"), "forward"))
    if gaps and fill_gaps == "error":
        raise DataError(
            f"{len(gaps)} series have missing time stamps on frequency {frequency!r}: "
            + "; ".join(gaps[:MAX_LISTED]),
            hint="set forecast.fill_gaps to zero (counts), interpolate or forward, or set "
            "forecast.frequency if it was inferred wrong",
        )
    short = [(s, len(v)) for s, v in zip(ids, values, strict=True) if len(v) < min_length]
    if short:
        raise DataError(
            f"{len(short)} series are shorter than the {min_length} points a forecast needs "
            f"here: {short[:MAX_LISTED]}",
            hint="lower forecast.horizon or forecast.backtest_windows, or drop the short series",
        )
    return Panel(tuple(ids), tuple(times), tuple(values), frequency,
                 {n: tuple(a) for n, a in covariates.items()},
                 {n: tuple(v) for n, v in statics.items()})  # fmt: skip


def _times(column: pd.Series, name: str, date_format: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = column
    else:
        try:
            parsed = pd.to_datetime(column, format=date_format)
        except (ValueError, TypeError) as err:
            raise DataError(
                f"time column {name!r} holds values that are not dates: {err}",
                hint="set forecast.date_format, e.g. '%d/%m/%y'",
            ) from err
    if parsed.isna().any():
        raise DataError(f"time column {name!r} has {int(parsed.isna().sum())} empty value(s)",
                        hint="remove the rows without a time stamp")
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert("UTC").dt.tz_localize(None)
    return parsed.astype("datetime64[ns]")


def _numeric(column: pd.Series, name: str) -> pd.Series:
    values = pd.to_numeric(column, errors="coerce")
    bad = column.notna() & values.isna()
    if bad.any():
        raise DataError(f"column {name!r} must be numeric; it holds {column[bad].iloc[0]!r}",
                        hint="clean the column, or leave it out of the forecast section")
    return values.astype("float64")


def _no_duplicates(data: pd.DataFrame, time_column: str) -> None:
    doubled = data.duplicated(["__id", time_column], keep=False)
    if doubled.any():
        first = data[doubled].head(MAX_LISTED)
        pairs = [f"{s} @ {t}" for s, t in zip(first["__id"], first[time_column], strict=True)]
        raise DataError(
            f"{int(doubled.sum())} rows share a series and time stamp with another row: {pairs}",
            hint="aggregate them first (e.g. sum sales per day), or name the series_column",
        )


def _infer_frequency(data: pd.DataFrame, time_column: str) -> str:
    """The frequency of the longest series (pandas' inference on its stamps)."""
    sizes = data.groupby("__id").size()
    longest = data[data["__id"] == sizes.idxmax()][time_column]
    if len(longest) < 3:
        raise DataError("cannot infer the frequency from fewer than 3 time stamps",
                        hint="set forecast.frequency, e.g. 'h', 'D' or 'W-FRI'")
    stamps = pd.DatetimeIndex(longest)
    with warnings.catch_warnings():  # pandas 3 announces an offset instead of text; take both
        warnings.simplefilter("ignore")
        frequency = pd.infer_freq(stamps[: min(len(stamps), 200)])
    frequency = getattr(frequency, "freqstr", frequency)
    if frequency is None:  # gaps: the most common step, when it is a whole calendar unit
        step = pd.Series(np.diff(stamps.asi8)).mode().iloc[0]
        frequency = pd.tseries.frequencies.to_offset(pd.Timedelta(int(step))).freqstr
        if stamps[0].day_of_week == stamps[1].day_of_week and step % (7 * 86400 * 10**9) == 0:
            frequency = f"W-{stamps[0].day_name()[:3].upper()}"
    return frequency


def _filled(values: np.ndarray, how: str) -> np.ndarray:
    if not np.isnan(values).any() or how == "error":
        return values
    if how == "zero":
        return np.nan_to_num(values, nan=0.0)
    series = pd.Series(values)
    series = series.interpolate(limit_direction="both") if how == "interpolate" else series.ffill()
    return series.bfill().to_numpy(dtype="float64")

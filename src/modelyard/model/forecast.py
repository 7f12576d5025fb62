"""A fitted forecaster as one object (``task: forecast``): the weighted members the search chose,
the history they forecast from, the interval calibration, and how the rows are laid out.

``ForecastModel.forecast(series=None, horizon=None, future=None, history=None)`` answers a
frame with one row per series and step: the series id, the time stamp, ``forecast`` (the
weighted mean of the members) and ``lower``/``upper`` (the conformal interval of
``coverage``). ``history`` (rows in the training layout) appends newer observations to the
stored history first; ``future`` (rows with the series, time and known covariates) gives the
known covariates of the forecast's own time stamps.

Saved as JSON (``forecast.json``), the history as Parquet and each member in its own folder
(``learners.forecast``), under one ``manifest.json`` checked on load. Importing the module
registers the format ``modelyard.forecast``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.atomic import atomic_write_text
from modelyard.data.schema import Column, Schema
from modelyard.data.series import Panel, build_panel
from modelyard.errors import DataError
from modelyard.evaluation.forecast_metrics import seasonal_scale
from modelyard.formats import register_format
from modelyard.learners.forecast import Forecaster, load_forecaster
from modelyard.model.manifest import verify_manifest, write_manifest

FORMAT = "modelyard.forecast"
CONFIG = "forecast.json"
HISTORY = "history.parquet"
OUTPUTS = ("forecast", "lower", "upper")


@dataclass(frozen=True)
class Layout:
    """How the rows are laid out (from the spec's forecast section)."""

    target: str
    time_column: str
    series_column: str | None
    horizon: int
    frequency: str
    season: int
    known: tuple[str, ...] = ()
    static: tuple[str, ...] = ()
    date_format: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "known": list(self.known), "static": list(self.static)}


class ForecastModel:
    task = "forecast"
    classes = None

    def __init__(self, members: list[tuple[Forecaster, float]], layout: Layout, history: Panel,
                 lower: list[float], upper: list[float], coverage: float) -> None:
        self.members = members
        self.layout = layout
        self.history = history
        self.lower, self.upper, self.coverage = list(lower), list(upper), float(coverage)

    # -- what it is -------------------------------------------------------------------------
    @property
    def learner_name(self) -> str:
        if len(self.members) == 1:
            return self.members[0][0].name
        return "ensemble(" + ", ".join(m.name for m, _ in self.members) + ")"

    @property
    def series(self) -> tuple[str, ...]:
        return self.history.ids

    @property
    def schema(self) -> Schema:
        """The columns a forecast request's future rows carry: the series (when there are
        several) and the known covariates."""
        columns = [Column(c, "numeric", "float64") for c in self.layout.known]
        if self.layout.series_column:
            columns.insert(0, Column(self.layout.series_column, "categorical", "object"))
        return Schema(tuple(columns), target=self.layout.target, target_kind="numeric")

    def output_columns(self) -> list[str]:
        return list(OUTPUTS)

    # -- forecasting ------------------------------------------------------------------------
    def forecast(self, series: list[str] | None = None, horizon: int | None = None,
                 future: pd.DataFrame | None = None,
                 history: pd.DataFrame | None = None) -> pd.DataFrame:
        layout = self.layout
        horizon = layout.horizon if horizon is None else int(horizon)
        if not 1 <= horizon <= layout.horizon:
            raise DataError(f"horizon must be between 1 and {layout.horizon} (what this model "
                            f"was trained and calibrated for), received {horizon}",
                            hint=f"ask for at most {layout.horizon} steps")
        panel = self.history if history is None else self._extended(history)
        if series is not None:
            panel = panel.select([str(s) for s in series])
        known = self._future_known(panel, horizon, future)
        total = np.zeros((len(panel), horizon))
        for member, weight in self.members:
            total += weight * np.vstack(member.predict(panel, horizon, known))
        times = panel.future_times(horizon)
        lower, upper = np.asarray(self.lower[:horizon]), np.asarray(self.upper[:horizon])
        frames = []
        for i, sid in enumerate(panel.ids):
            scale = seasonal_scale(panel.values[i], layout.season)
            frames.append(pd.DataFrame({
                "series": sid, layout.time_column: times[i], "forecast": total[i],
                "lower": total[i] + lower * scale, "upper": total[i] + upper * scale,
            }))  # fmt: skip
        out = pd.concat(frames, ignore_index=True)
        return out.rename(columns={"series": layout.series_column or "series"})

    def _extended(self, rows: pd.DataFrame) -> Panel:
        """The stored history with ``rows`` (newer observations) appended."""
        stored = history_frame(self.history, self.layout)
        for column in stored.columns:
            if column not in rows.columns:
                raise DataError(f"the new history rows lack column {column!r}",
                                hint=f"send rows with {list(stored.columns)}")
        newer = self._with_times(rows[stored.columns], "history")
        merged = pd.concat([stored, newer], ignore_index=True)
        keys = [c for c in (self.layout.series_column, self.layout.time_column) if c]
        merged = merged.drop_duplicates(keys, keep="last")
        return build_panel(merged, time_column=self.layout.time_column, target=self.layout.target,
                           series_column=self.layout.series_column,
                           frequency=self.layout.frequency, known=list(self.layout.known),
                           static=list(self.layout.static))  # fmt: skip

    def _future_known(self, panel: Panel, horizon: int,
                      future: pd.DataFrame | None) -> dict[str, tuple[np.ndarray, ...]]:
        known = list(self.layout.known)
        if not known:
            return {}
        if future is None:
            raise DataError(f"this model needs the future values of {known} for every "
                            f"forecast step", hint="send them as future rows")
        frame = self._with_times(future, "future")
        sid = self.layout.series_column
        out: dict[str, list[np.ndarray]] = {n: [] for n in known}
        for i, times in enumerate(panel.future_times(horizon)):
            rows = frame if sid is None else frame[frame[sid].astype(str) == panel.ids[i]]
            rows = rows.set_index(self.layout.time_column).reindex(times)
            for name in known:
                values = pd.to_numeric(rows[name], errors="coerce").to_numpy(dtype="float64")
                if np.isnan(values).any():
                    missing = times[np.isnan(values)][:3]
                    raise DataError(f"future value of {name!r} missing for series "
                                    f"{panel.ids[i]!r} at {[str(t) for t in missing]}",
                                    hint="send every known covariate for every forecast step")
                out[name].append(values)
        return {n: tuple(v) for n, v in out.items()}

    def _with_times(self, rows: pd.DataFrame, what: str) -> pd.DataFrame:
        """``rows`` with the time column parsed (the spec's date_format) and the series ids as
        text, or a DataError saying what is missing or unreadable."""
        layout = self.layout
        needed = [c for c in (layout.time_column, layout.series_column) if c]
        missing = [c for c in needed if c not in rows.columns]
        if missing:
            raise DataError(f"the {what} rows lack column(s) {missing}",
                            hint=f"every {what} row needs {needed}")
        out = rows.copy()
        try:
            out[layout.time_column] = pd.to_datetime(out[layout.time_column],
                                                     format=layout.date_format)
        except (ValueError, TypeError) as err:
            form = f"in format {layout.date_format!r} " if layout.date_format else ""
            raise DataError(f"the {what} rows' {layout.time_column!r} values are not dates "
                            f"{form}({err})",
                            hint="send them as the training data wrote them") from err
        if layout.series_column:
            out[layout.series_column] = out[layout.series_column].astype(str)
        return out

    # -- saving -----------------------------------------------------------------------------
    def save(self, directory: Path | str) -> Path:
        directory = Path(directory)
        if directory.exists():
            shutil.rmtree(directory)
        directory.mkdir(parents=True)
        members = []
        for k, (member, weight) in enumerate(self.members):
            member.save(directory / f"member_{k}")
            members.append({"folder": f"member_{k}", "weight": weight})
        history_frame(self.history, self.layout).to_parquet(directory / HISTORY, index=False)
        config = {"format": FORMAT, "layout": self.layout.to_dict(), "members": members,
                  "interval": {"lower": self.lower, "upper": self.upper,
                               "coverage": self.coverage}}  # fmt: skip
        atomic_write_text(directory / CONFIG, json.dumps(config, indent=2))
        write_manifest(directory)
        return directory

    @classmethod
    def load(cls, directory: Path | str) -> ForecastModel:
        directory = Path(directory)
        verify_manifest(directory)
        config = json.loads((directory / CONFIG).read_text(encoding="utf-8"))
        raw = config["layout"]
        layout = Layout(**{**raw, "known": tuple(raw["known"]), "static": tuple(raw["static"])})
        members = [(load_forecaster(directory / m["folder"]), float(m["weight"]))
                   for m in config["members"]]
        history = build_panel(pd.read_parquet(directory / HISTORY),
                              time_column=layout.time_column, target=layout.target,
                              series_column=layout.series_column, frequency=layout.frequency,
                              known=list(layout.known), static=list(layout.static))
        interval = config["interval"]
        return cls(members, layout, history, interval["lower"], interval["upper"],
                   interval["coverage"])


def history_frame(panel: Panel, layout: Layout) -> pd.DataFrame:
    """A panel back as rows in the training layout."""
    frames = []
    for i, sid in enumerate(panel.ids):
        data: dict[str, Any] = {layout.time_column: panel.times[i],
                                layout.target: panel.values[i]}
        if layout.series_column:
            data = {layout.series_column: sid, **data}
        for name in layout.known:
            data[name] = panel.known[name][i]
        for name in layout.static:
            data[name] = panel.static[name][i]
        frames.append(pd.DataFrame(data))
    return pd.concat(frames, ignore_index=True)


register_format(FORMAT, ForecastModel.load)

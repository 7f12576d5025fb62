"""A global LightGBM forecaster: one model over every series, from lag, rolling-window,
calendar and covariate features (``features.lags``). Each row is scaled by the mean absolute
value of the last season before the point it predicts from (``features.lags.row_scale``), its
target and lags alike, so that series of different sizes and levels share one model.

Two multi-step strategies (``strategy``):

- ``recursive``: the model predicts one step ahead; a forecast feeds each prediction back as
  the next step's lag. Rows: every point of every series (the latest ``max_rows`` at most).
- ``direct``: the model predicts step ``h`` of the horizon from what was known at the origin,
  with ``h`` as a feature (one model for all steps). Rows: origins spaced so that there are at
  most ``max_rows``, each with its ``horizon`` targets.

Threads: ``n_jobs`` (1 by default, 0 for every usable core).

Boosting rounds: with ``rounds`` unset, the last ``horizon`` points of every series are held
out for early stopping, then the model is refit on every row with the rounds found
(``rounds_``). The search passes the rounds of its first window on to the later ones.

Saved as LightGBM's text model plus JSON (lags, windows, category maps, rounds).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import lightgbm as lgb
import numpy as np

from modelyard.data.series import Panel
from modelyard.errors import DataError
from modelyard.features.lags import (
    calendar,
    calendar_names,
    default_lags,
    lag_block,
    rolling_block,
    rolling_windows,
    row_scale,
)
from modelyard.learners.forecast.base import Forecaster, Future
from modelyard.learners.threads import predict_threads

MODEL_FILE = "lightgbm.txt"
EARLY_STOPPING = 50


class LightGBMForecaster(Forecaster):
    name = "lightgbm"
    cost_hint = 5.0
    defaults: dict[str, Any] = {
        "strategy": "recursive",
        "num_leaves": 63,
        "learning_rate": 0.05,
        "min_child_samples": 20,
        "feature_fraction": 0.8,
        "objective": "l2",
        "max_rounds": 1000,
        "rounds": None,
        "max_rows": 600_000,
        "seed": 0,
        "n_jobs": 1,
    }

    # -- fitting ----------------------------------------------------------------------------
    def fit(self, panel: Panel, horizon: int) -> LightGBMForecaster:
        if self.params["strategy"] not in ("recursive", "direct"):
            raise DataError(f"strategy must be 'recursive' or 'direct', received "
                            f"{self.params['strategy']!r}", hint="strategy: recursive")
        self.horizon_ = horizon
        self.lags_ = default_lags(self.season, int(panel.lengths.max()))
        self.windows_ = rolling_windows(self.season)
        self.calendar_ = calendar_names(panel.frequency)
        self.known_ = sorted(panel.known)
        self.static_maps_ = {n: _codes(v) for n, v in panel.static.items()}
        self.series_map_ = _codes(panel.ids)
        X, y, held = self._rows(panel, horizon)
        rounds = self.params["rounds"]
        if rounds is None:
            fitted = self._train(X[~held], y[~held], self.params["max_rounds"],
                                 valid=(X[held], y[held]))
            rounds = max(fitted.best_iteration or fitted.current_iteration(), 1)
        self.rounds_ = int(rounds)
        self.booster_ = self._train(X, y, self.rounds_)
        return self

    def _train(self, X: np.ndarray, y: np.ndarray, rounds: int,
               valid: tuple[np.ndarray, np.ndarray] | None = None) -> lgb.Booster:
        p = self.params
        params = {"objective": p["objective"], "num_leaves": p["num_leaves"],
                  "learning_rate": p["learning_rate"], "min_child_samples": p["min_child_samples"],
                  "feature_fraction": p["feature_fraction"], "bagging_seed": p["seed"],
                  "feature_fraction_seed": p["seed"], "seed": p["seed"], "verbosity": -1,
                  "num_threads": _threads(p["n_jobs"]), "deterministic": True}  # fmt: skip
        categorical = self._categorical_columns()
        train = lgb.Dataset(X, y, categorical_feature=categorical, free_raw_data=True)
        if valid is None or not len(valid[1]):
            return lgb.train(params, train, num_boost_round=rounds)
        check = lgb.Dataset(valid[0], valid[1], reference=train, categorical_feature=categorical)
        return lgb.train(params, train, num_boost_round=rounds, valid_sets=[check],
                         callbacks=[lgb.early_stopping(EARLY_STOPPING, verbose=False)])

    def _rows(self, panel: Panel, horizon: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Feature rows, scaled targets and which rows are held out (target in the last
        ``horizon`` points of its series)."""
        blocks, targets, held = [], [], []
        direct = self.params["strategy"] == "direct"
        budget = max(self.params["max_rows"] // max(len(panel), 1), 2 * horizon)
        for i in range(len(panel)):
            values = panel.values[i]
            n = len(values)
            if direct:
                first = max(1, self.season)
                origins = np.arange(first, n)  # origin o: history values[:o]
                step = max(1, int(np.ceil(len(origins) * horizon / budget)))
                origins = origins[::-1][::step][::-1]
                o = np.repeat(origins, horizon)
                h = np.tile(np.arange(horizon), len(origins))
                keep = o + h < n
                o, h = o[keep], h[keep]
                X, scale = self._features(panel, i, values, o, o + h, h)
                target_at = o + h
            else:
                ends = np.arange(max(1, min(self.season, n - 1)), n)[-budget:]
                X, scale = self._features(panel, i, values, ends, ends, None)
                target_at = ends
            blocks.append(X)
            targets.append(values[target_at] / scale)
            held.append(target_at >= n - horizon)
        return np.vstack(blocks), np.concatenate(targets), np.concatenate(held)

    # -- features ---------------------------------------------------------------------------
    def _features(self, panel: Panel, i: int, values: np.ndarray, ends: np.ndarray,
                  at: np.ndarray, steps: np.ndarray | None, times: Any = None,
                  known: dict[str, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Rows for series ``i`` and their scales: lags and windows of ``values`` before
        ``ends`` divided by the row's scale; calendar and known covariates at positions ``at``
        (of ``times``/``known``, default the panel's); the step within the horizon for the
        direct strategy."""
        times = panel.times[i] if times is None else times
        scale = row_scale(values, ends, self.season)
        parts = [lag_block(values, ends, self.lags_) / scale[:, None],
                 rolling_block(values, ends, self.windows_) / scale[:, None],
                 calendar(times[at], self.calendar_)]  # fmt: skip
        for name in self.known_:
            column = panel.known[name][i] if known is None else known[name]
            parts.append(column[at][:, None])
        codes = [self.static_maps_[n].get(_key(panel.static[n][i]), np.nan)
                 for n in sorted(self.static_maps_)]
        codes.append(self.series_map_.get(panel.ids[i], np.nan))
        parts.append(np.tile(np.asarray(codes, dtype="float64"), (len(ends), 1)))
        if steps is not None:
            parts.append(steps[:, None].astype("float64"))
        return np.hstack(parts), scale

    def _categorical_columns(self) -> list[int]:
        start = (len(self.lags_) + 2 * len(self.windows_) + len(self.calendar_)
                 + len(self.known_))  # fmt: skip
        return list(range(start, start + len(self.static_maps_) + 1))

    # -- forecasting ------------------------------------------------------------------------
    def predict(self, panel: Panel, horizon: int, future: Future | None = None) -> list[np.ndarray]:
        if horizon > self.horizon_ and self.params["strategy"] == "direct":
            raise DataError(f"this direct forecaster was trained for {self.horizon_} steps, not "
                            f"{horizon}", hint=f"ask for at most {self.horizon_} steps")
        missing = [n for n in self.known_ if future is None or n not in future]
        if missing:
            raise DataError(f"the forecast needs the future values of {missing}",
                            hint="send them for every step of the horizon")
        future_times = panel.future_times(horizon)
        direct = self.params["strategy"] == "direct"
        series = []
        for i in range(len(panel)):
            values = panel.values[i]
            known = {k: np.concatenate([panel.known[k][i], np.asarray(future[k][i], "float64")])
                     for k in self.known_}  # fmt: skip
            series.append((len(values), panel.times[i].append(future_times[i]), known,
                           np.concatenate([values, np.zeros(horizon)])))
        steps = np.arange(horizon)
        threads = _threads(self.params["n_jobs"])
        if direct:
            rows = [self._features(panel, i, extended, np.full(horizon, n), n + steps, steps,
                                   times, known)
                    for i, (n, times, known, extended) in enumerate(series)]
            flat = self.booster_.predict(np.vstack([X for X, _ in rows]), num_threads=threads)
            return [flat[i * horizon:(i + 1) * horizon] * scale
                    for i, (_, scale) in enumerate(rows)]
        for h in range(horizon):  # one step for every series at once, fed back as a lag
            rows = [self._features(panel, i, extended, np.array([n + h]), np.array([n + h]),
                                   None, times, known)
                    for i, (n, times, known, extended) in enumerate(series)]
            step = self.booster_.predict(np.vstack([X for X, _ in rows]), num_threads=threads)
            for (n, _, _, extended), value, (_, scale) in zip(series, step, rows, strict=True):
                extended[n + h] = value * scale[0]
        return [extended[n:] for n, _, _, extended in series]

    # -- saving -----------------------------------------------------------------------------
    def _state(self) -> dict[str, Any]:
        return {"horizon": self.horizon_, "lags": self.lags_, "windows": self.windows_,
                "calendar": self.calendar_, "known": self.known_,
                "static_maps": self.static_maps_, "series_map": self.series_map_,
                "rounds": self.rounds_}  # fmt: skip

    def _save_files(self, directory: Path) -> None:
        self.booster_.save_model(str(directory / MODEL_FILE))

    def _restore(self, state: dict[str, Any], directory: Path) -> None:
        self.horizon_, self.lags_, self.windows_ = state["horizon"], state["lags"], state["windows"]
        self.calendar_, self.known_ = state["calendar"], state["known"]
        self.static_maps_, self.series_map_ = state["static_maps"], state["series_map"]
        self.rounds_ = state["rounds"]
        self.booster_ = lgb.Booster(model_file=str(directory / MODEL_FILE))


def _threads(n_jobs: int) -> int:
    """LightGBM's threads: ``n_jobs``, or every usable core for 0. One by default: OpenMP
    threads that share cores with another busy process spin instead of working (a 1-second fit
    took 100 seconds with 2 threads beside one busy process on 2 cores)."""
    return predict_threads() if int(n_jobs) == 0 else max(1, int(n_jobs))


def _key(value: object) -> str:
    return "" if value is None else str(value)


def _codes(values: Any) -> dict[str, int]:
    return {key: code for code, key in enumerate(sorted({_key(v) for v in values}))}

"""Run one forecasting peer on prepared series; executed inside bench/.forecast-venv.

Invoked by ``bench/forecast.py`` as ``python forecast_peer.py JOB_DIR``. ``JOB_DIR`` holds
``job.json`` ({system, freq, season, horizon, windows, threads}) and, for each backtest window
``k`` in 0 .. windows-1, ``train_{k}.parquet``: the training part of every series at that window's
cutoff, long format (``unique_id`` text, ``ds`` timestamp, ``y`` float), sorted by series and time.
It writes ``forecasts.parquet`` (``window``, ``unique_id``, ``ds``, ``yhat``: the ``horizon``
steps after each series' last training timestamp) and ``result.json`` ({seconds: fit and predict
of every window, wall clock, imports and file reading left out; seconds_by_window; params: the
model's settings; peer: the versions installed in this venv}). Nothing is pickled across the
boundary and the truth never reaches this process: the driver scores the forecasts.

Systems (every one single-threaded: ``n_jobs=1``, LightGBM ``num_threads=1``):

- ``seasonal_naive``: statsforecast ``SeasonalNaive(season)``, the last season repeated;
- ``autoets``: statsforecast ``AutoETS(season, model="ZZZ")``, the ETS model chosen by AICc
  (unlike R's forecast::ets, statsforecast also fits seasonal models for season 52: on Walmart's
  stores it picks multiplicative-seasonal ones for most);
- ``autoarima``: statsforecast ``AutoARIMA(season)``, stepwise search, its defaults;
- ``theta``: statsforecast ``DynamicOptimizedTheta(season)`` (the multiplicative seasonal
  decomposition when the seasonality test says so, as the M4 Theta benchmarks);
- ``mlforecast_lgbm``: one global LightGBM model over every series with mlforecast, recursive
  (one-step model fed its own forecasts), each series standardised on its own training values
  (``LocalStandardScaler``), features from ``features()``: hourly data lags 1, 2, 3, 24, 48 and
  168, the 24-hour rolling mean of lag 1, the same-hour mean of the last 7 days at lag 24, hour
  and day of week; weekly data lags 1, 2, 3, 4 and 52, the 4-week rolling mean of lag 1, month
  and week of the year. LightGBM: 500 trees, learning rate 0.05, 63 leaves, seed 0. Settings a
  data scientist would write on a first try, not tuned on the test weeks.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402 - after the thread limits
import pandas as pd  # noqa: E402

SYSTEMS = ("seasonal_naive", "autoets", "autoarima", "theta", "mlforecast_lgbm")
PEER_LIBRARIES = ("statsforecast", "mlforecast", "coreforecast", "utilsforecast", "lightgbm",
                  "numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "pyarrow")
LGBM_PARAMS = {"n_estimators": 500, "learning_rate": 0.05, "num_leaves": 63,
               "random_state": 0, "verbosity": -1}


def versions() -> dict[str, str | None]:
    """Installed versions of the peer libraries in this venv (``None``: not installed)."""
    out: dict[str, str | None] = {}
    for name in PEER_LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    out["python"] = sys.version.split()[0]
    return out


def _week_of_year(dates: pd.DatetimeIndex) -> np.ndarray:
    return dates.isocalendar().week.to_numpy(dtype=np.int64)


def features(freq: str, season: int) -> dict:
    """mlforecast's lags, lag transforms and date features for hourly or weekly data."""
    from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean

    if freq.lower() in ("h", "1h"):
        return {"lags": [1, 2, 3, season, 2 * season, 7 * season],
                "lag_transforms": {1: [RollingMean(window_size=season)],
                                   season: [SeasonalRollingMean(season_length=season,
                                                                window_size=7)]},
                "date_features": ["hour", "dayofweek"]}
    if freq.upper().startswith("W"):
        return {"lags": [1, 2, 3, 4, season],
                "lag_transforms": {1: [RollingMean(window_size=4)]},
                "date_features": ["month", _week_of_year]}
    raise SystemExit(f"mlforecast_lgbm has no feature set for frequency {freq!r} (hourly, weekly)")


def _describe(value: object) -> object:
    """JSON-able description of a feature setting (transforms and functions by name)."""
    if isinstance(value, dict):
        return {str(k): _describe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_describe(v) for v in value]
    if callable(value) and hasattr(value, "__name__"):
        return value.__name__
    if not isinstance(value, (int, float, str)):
        return repr(value)
    return value


def stats_model(system: str, season: int):
    from statsforecast.models import AutoARIMA, AutoETS, DynamicOptimizedTheta, SeasonalNaive

    if system == "seasonal_naive":
        return SeasonalNaive(season_length=season)
    if system == "autoets":
        return AutoETS(season_length=season)
    if system == "autoarima":
        return AutoARIMA(season_length=season)
    if system == "theta":
        return DynamicOptimizedTheta(season_length=season)
    raise SystemExit(f"unknown peer system {system!r}; valid: {', '.join(SYSTEMS)}")


def forecast_stats(train: pd.DataFrame, job: dict) -> tuple[pd.DataFrame, dict]:
    from statsforecast import StatsForecast

    model = stats_model(job["system"], job["season"])
    sf = StatsForecast(models=[model], freq=job["freq"], n_jobs=job["threads"])
    out = sf.forecast(df=train, h=job["horizon"])
    out = out.rename(columns={str(model): "yhat"})[["unique_id", "ds", "yhat"]]
    return out, {"model": repr(model), "n_jobs": job["threads"]}


def forecast_mlforecast(train: pd.DataFrame, job: dict) -> tuple[pd.DataFrame, dict]:
    import lightgbm as lgb
    from mlforecast import MLForecast
    from mlforecast.target_transforms import LocalStandardScaler

    setting = features(job["freq"], job["season"])
    model = lgb.LGBMRegressor(**LGBM_PARAMS, num_threads=job["threads"])
    fcst = MLForecast(models={"lgbm": model}, freq=job["freq"], num_threads=job["threads"],
                      target_transforms=[LocalStandardScaler()], **setting)
    fcst.fit(train)
    out = fcst.predict(job["horizon"]).rename(columns={"lgbm": "yhat"})
    params = {"lightgbm": {**LGBM_PARAMS, "num_threads": job["threads"]},
              "target_transforms": ["LocalStandardScaler"], "strategy": "recursive",
              **_describe(setting)}
    return out[["unique_id", "ds", "yhat"]], params


def main(job_dir: Path) -> None:
    job = json.loads((job_dir / "job.json").read_text())
    if job["system"] not in SYSTEMS:
        raise SystemExit(f"unknown peer system {job['system']!r}; valid: {', '.join(SYSTEMS)}")
    run = forecast_mlforecast if job["system"] == "mlforecast_lgbm" else forecast_stats
    # imported before the clock starts: the time is fit and predict, not imports
    if job["system"] == "mlforecast_lgbm":
        import lightgbm  # noqa: F401
        import mlforecast  # noqa: F401
    else:
        import statsforecast.models  # noqa: F401
    parts, seconds, params = [], [], {}
    for window in range(job["windows"]):
        train = pd.read_parquet(job_dir / f"train_{window}.parquet")
        started = time.perf_counter()
        out, params = run(train, job)
        seconds.append(time.perf_counter() - started)
        parts.append(out.assign(window=window))
        print(f"    window {window}: {seconds[-1]:.1f} s", file=sys.stderr, flush=True)
    forecasts = pd.concat(parts, ignore_index=True)[["window", "unique_id", "ds", "yhat"]]
    forecasts["unique_id"] = forecasts["unique_id"].astype(str)
    forecasts.to_parquet(job_dir / "forecasts.parquet", index=False)
    result = {"seconds": sum(seconds), "seconds_by_window": seconds, "params": params,
              "peer": {"versions": versions()}}
    (job_dir / "result.json").write_text(json.dumps(result, default=str))


if __name__ == "__main__":
    main(Path(sys.argv[1]))

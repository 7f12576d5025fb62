"""Forecasting benchmark (issue 21): statsforecast, mlforecast and modelyard on the same points.

The peers and (once ``run_modelyard`` is filled in) modelyard's forecast task forecast the same
held-out points, and this script scores them all with the same code.

Data sets (``--dataset``, from the catalog of ``--data``):

- ``m4_hourly`` (default): the 414 hourly series of the M4 competition; the LAST 48 points of
  each series are M4's official test set (the file holds train and test together), horizon 48,
  season 24, one window.
- ``bike_sharing``: one hourly series (``users``, 2011-2012, 17,544 hours; the weather columns are
  not used: every system here is univariate), horizon 24 with season 24 (the next day; a week
  ahead, 168, would be the other natural choice), ``--windows`` rolling origins (default 3).
- ``walmart_weekly_sales``: weekly sales of 45 stores (143 weeks each; the other columns are not
  used), horizon 8 weeks, season 52, ``--windows`` rolling origins (default 3).

Rolling origin: with W windows and horizon h, window k (0 .. W-1) trains on every point before
``n - (W - k) * h`` and forecasts the h points after it, so the windows tile the last W*h points of
each series and every system sees the same cutoffs.

Systems (``--systems``): ``seasonal_naive``, ``autoets``, ``autoarima``, ``theta`` (statsforecast
2.1: SeasonalNaive, AutoETS, AutoARIMA, DynamicOptimizedTheta, season as above) and
``mlforecast_lgbm`` (mlforecast 1.1 with LightGBM, recursive) run in subprocesses of a separate
virtual environment, ``bench/.forecast-venv``, created by ``--setup-peers`` from the pinned
``bench/forecast-requirements.txt`` (these libraries cap pandas < 3, so they cannot sit in the
product's environment); series go to them as Parquet files and forecasts come back as Parquet
(``bench/forecast_peer.py`` says how each model is set up). Every system is single-threaded.
``modelyard`` runs in this process through ``run_modelyard`` (not written yet: it is skipped with
a message until modelyard's forecast task lands).

Metrics, computed here with the same code for every system, per series and window, then averaged
over series and windows:

- sMAPE (M4): mean over the horizon of 200 |y - f| / (|y| + |f|), in percent (a point where both
  are 0 counts 0);
- MASE (M4): mean |y - f| over the horizon divided by the mean absolute seasonal difference
  (lag = season) of the series' own training part at that window;
- MAE and RMSE, in the series' units (averaged over series: on M4 the large series dominate).

Time: the peer's fit and predict of every window, wall clock, imports and file reading left out
(``seconds``), and the whole subprocess (``process_seconds``).

    .venv/bin/python bench/forecast.py --setup-peers              # once: bench/.forecast-venv
    .venv/bin/python bench/forecast.py                            # M4 hourly, every system
    .venv/bin/python bench/forecast.py --systems autoarima --series-limit 100
    .venv/bin/python bench/forecast.py --dataset walmart_weekly_sales --windows 3

Every record goes to ``bench/results/forecast.json`` through ``bench/record.py`` (commit, library
versions and the peer venv's, cores, load, command); a record a run redoes stays in the file,
marked superseded. Only summaries are kept (the aggregate metrics, sMAPE quantiles over series,
and the sMAPE of each series), not the forecasts.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import record
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
PEERS_VENV = ROOT / "bench" / ".forecast-venv"
PEERS_REQUIREMENTS = ROOT / "bench" / "forecast-requirements.txt"
LIBRARIES = ("pyarrow", "pyyaml")  # besides record.BASE_LIBRARIES
PEERS = ("seasonal_naive", "autoets", "autoarima", "theta", "mlforecast_lgbm")
SYSTEMS = (*PEERS, "modelyard")
# horizon, season, pandas frequency, default windows; m4_hourly's one window is M4's test set
SETTINGS = {
    "m4_hourly": {"horizon": 48, "season": 24, "freq": "h", "windows": 1},
    "bike_sharing": {"horizon": 24, "season": 24, "freq": "h", "windows": 3},
    "walmart_weekly_sales": {"horizon": 8, "season": 52, "freq": "W-FRI", "windows": 3},
}


# -- data ---------------------------------------------------------------------------------------
def _natural(name: str) -> tuple:
    """Sort key: H2 before H10."""
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


def load(data: Path, name: str, series_limit: int | None) -> pd.DataFrame:
    """Every series of ``name`` in long format: ``unique_id`` (text), ``ds``, ``y``; sorted by
    series (natural order: H1, H2, ..., H10) and time; the first ``series_limit`` series only."""
    entry = yaml.safe_load((data / "catalog.yaml").read_text())[name]
    path = data / entry["path"]
    frame = pd.read_parquet(path) if entry.get("format") == "parquet" else pd.read_csv(path)
    ds = frame[entry["time_column"]]
    ds = pd.to_datetime(ds, format=entry["date_format"]) if "date_format" in entry \
        else pd.to_datetime(ds)
    series = entry.get("series_column")
    long = pd.DataFrame({
        "unique_id": frame[series].astype(str) if series else name,
        "ds": ds.to_numpy(), "y": frame[entry["target"]].astype(float).to_numpy()})
    ids = sorted(long["unique_id"].unique(), key=_natural)
    if series_limit is not None:
        ids = ids[:series_limit]
    order = {sid: i for i, sid in enumerate(ids)}
    long = long[long["unique_id"].isin(order)]
    long = long.assign(_order=long["unique_id"].map(order)).sort_values(["_order", "ds"])
    long = long.drop(columns="_order").reset_index(drop=True)
    if long["y"].isna().any():
        raise SystemExit(f"{name}: missing target values; this benchmark expects none")
    return long


def split(long: pd.DataFrame, horizon: int, windows: int) -> list[tuple[pd.DataFrame,
                                                                         pd.DataFrame]]:
    """(train, test) of each rolling-origin window: window k trains on every point before
    ``n - (windows - k) * horizon`` of each series and tests on the ``horizon`` points after."""
    position = long.groupby("unique_id", sort=False).cumcount()
    length = long.groupby("unique_id", sort=False)["y"].transform("size")
    if (length <= windows * horizon + horizon).any():
        raise SystemExit("a series is too short for the windows and horizon asked")
    out = []
    for k in range(windows):
        cutoff = length - (windows - k) * horizon
        train = long[position < cutoff].reset_index(drop=True)
        test = long[(position >= cutoff) & (position < cutoff + horizon)].reset_index(drop=True)
        out.append((train, test))
    return out


# -- metrics ------------------------------------------------------------------------------------
def smape(y: np.ndarray, f: np.ndarray) -> np.ndarray:
    """M4 sMAPE of each row (series) of ``y`` and ``f`` (series x horizon), in percent."""
    denominator = np.abs(y) + np.abs(f)
    terms = np.divide(200 * np.abs(y - f), denominator, out=np.zeros_like(y),
                      where=denominator > 0)
    return terms.mean(axis=1)


def mase_scale(train: pd.DataFrame, season: int) -> pd.Series:
    """Mean absolute seasonal difference of each series' training values (M4's MASE scale)."""
    def scale(y: pd.Series) -> float:
        values = y.to_numpy()
        return float(np.mean(np.abs(values[season:] - values[:-season])))

    return train.groupby("unique_id", sort=False)["y"].apply(scale)


def score(splits: list, forecasts: pd.DataFrame, horizon: int, season: int) -> dict:
    """Metrics of every (series, window), averaged over them; per-series sMAPE kept whole."""
    rows = []
    for k, (train, test) in enumerate(splits):
        got = forecasts[forecasts["window"] == k]
        merged = test.merge(got[["unique_id", "ds", "yhat"]], on=["unique_id", "ds"], how="left")
        if merged["yhat"].isna().any() or len(got) != len(test):
            missing = int(merged["yhat"].isna().sum())
            raise RuntimeError(f"window {k}: {missing} of {len(test)} forecasts missing or NaN "
                               f"({len(got)} returned)")
        ids = merged["unique_id"].drop_duplicates().to_list()
        y = merged["y"].to_numpy().reshape(len(ids), horizon)
        f = merged["yhat"].to_numpy(float).reshape(len(ids), horizon)
        scale = mase_scale(train, season).reindex(ids).to_numpy()
        absolute = np.abs(y - f).mean(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            mase = np.where(scale > 0, absolute / scale, np.nan)
        rows.append(pd.DataFrame({
            "unique_id": ids, "window": k, "smape": smape(y, f), "mase": mase, "mae": absolute,
            "rmse": np.sqrt(((y - f) ** 2).mean(axis=1))}))
    table = pd.concat(rows, ignore_index=True)
    by_series = table.groupby("unique_id", sort=False)["smape"].mean()
    return {
        "smape": float(table["smape"].mean()), "mase": float(table["mase"].mean()),
        "mae": float(table["mae"].mean()), "rmse": float(table["rmse"].mean()),
        "mase_undefined": int(table["mase"].isna().sum()),  # constant training part: no scale
        "smape_over_series": {"p10": round(float(by_series.quantile(0.1)), 3),
                              "median": round(float(by_series.median()), 3),
                              "p90": round(float(by_series.quantile(0.9)), 3),
                              "max": round(float(by_series.max()), 3)},
        "smape_by_series": {sid: round(float(v), 3) for sid, v in by_series.items()},
    }


# -- systems ------------------------------------------------------------------------------------
def run_modelyard(train_frame: pd.DataFrame, horizon: int, budget_s: float) -> pd.DataFrame:
    """modelyard's forecast of every series: ``modelyard train`` of a forecast spec (default
    search, ``budget_s`` seconds, seed 0) on the window's history, then the registered model's
    forecast of every series (the frequency and season inferred, as for a user's spec).

    ``train_frame``: long format, columns ``unique_id`` (str), ``ds`` (datetime64, a regular
    frequency per series, no gaps: hourly for m4_hourly and bike_sharing, weekly W-FRI for
    walmart_weekly_sales) and ``y`` (float, no missing values), sorted by series and time; the
    history of every series up to the window's cutoff, nothing after it. ``horizon``: the number
    of steps to forecast. ``budget_s``: the time budget in seconds (``--budget``).

    Returns a DataFrame with columns ``unique_id``, ``ds`` and ``yhat`` (float): ``horizon``
    rows per series of ``train_frame``, for the ``horizon`` timestamps that follow its last
    ``ds`` (any row order). The driver times the call (fit and predict) and scores ``yhat``.
    """
    import tempfile as _tempfile

    from modelyard.pipeline import train
    from modelyard.settings import load_settings
    from modelyard.spec import validate_spec

    spec = validate_spec({
        "name": "bench-forecast",
        "task": "forecast",
        "data": {"source": {"format": "dataframe"}, "target": "y"},
        "forecast": {"time_column": "ds", "series_column": "unique_id", "horizon": horizon,
                     "metric": MODELYARD_METRIC[0]},
        "search": {"time_budget": budget_s},
        "seed": 0,
    })
    with _tempfile.TemporaryDirectory(prefix="modelyard-bench-forecast-") as home:
        result = train(spec, load_settings(Path(home)), frame=train_frame)
        forecasts = result.model.forecast()
    out = forecasts.rename(columns={"forecast": "yhat"})[["unique_id", "ds", "yhat"]]
    out.attrs["modelyard"] = {
        "learner": result.learner, "metric": MODELYARD_METRIC[0],
        "validation": result.metrics.to_dict().get("validation"),
        "leaderboard": [{k: r.get(k) for k in ("learner", "params", "score", "fit_seconds",
                                               "weight", "note")}
                        for r in result.leaderboard.rows],
    }
    return out


MODELYARD_METRIC = ["mase"]  # the search's forecast.metric (--modelyard-metric)


def forecast_modelyard(splits: list, setting: dict, budget: float) -> tuple[pd.DataFrame, dict]:
    parts, seconds, runs = [], [], []
    for k, (train, _) in enumerate(splits):
        started = time.perf_counter()
        out = run_modelyard(train.copy(), setting["horizon"], budget)
        seconds.append(time.perf_counter() - started)
        runs.append(out.attrs.get("modelyard"))
        parts.append(out[["unique_id", "ds", "yhat"]].assign(window=k))
    forecasts = pd.concat(parts, ignore_index=True)
    forecasts["unique_id"] = forecasts["unique_id"].astype(str)
    forecasts["ds"] = pd.to_datetime(forecasts["ds"])
    return forecasts, {"seconds": sum(seconds), "seconds_by_window": seconds,
                       "modelyard_runs": runs}


def forecast_peer(system: str, splits: list, setting: dict, threads: int,
                  timeout: float | None) -> tuple[pd.DataFrame, dict]:
    python = PEERS_VENV / "bin" / "python"
    if not python.is_file():
        raise RuntimeError(f"no forecasting peers venv at {PEERS_VENV}; run with --setup-peers")
    with tempfile.TemporaryDirectory(prefix=f"forecast-{system}-") as tmp:
        job_dir = Path(tmp)
        for k, (train, _) in enumerate(splits):
            train.to_parquet(job_dir / f"train_{k}.parquet", index=False)
        job = {"system": system, "freq": setting["freq"], "season": setting["season"],
               "horizon": setting["horizon"], "windows": len(splits), "threads": threads}
        (job_dir / "job.json").write_text(json.dumps(job))
        env = {**os.environ, "OMP_NUM_THREADS": str(threads),
               "OPENBLAS_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
               "NUMBA_NUM_THREADS": str(threads)}
        started = time.perf_counter()
        try:
            done = subprocess.run([str(python), str(ROOT / "bench" / "forecast_peer.py"), tmp],
                                  stdout=subprocess.PIPE, stderr=None, text=True, env=env,
                                  cwd=job_dir, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"{system} did not finish in --timeout {timeout:g} s") from None
        process_seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise RuntimeError(f"{system} failed with exit code {done.returncode} (its error "
                               "output is above)")
        forecasts = pd.read_parquet(job_dir / "forecasts.parquet")
        info = json.loads((job_dir / "result.json").read_text())
    forecasts["ds"] = pd.to_datetime(forecasts["ds"])
    info["process_seconds"] = process_seconds
    return forecasts, info


def run_one(system: str, name: str, splits: list, setting: dict, args) -> dict | None:
    n_series = splits[0][0]["unique_id"].nunique()
    out = {"dataset": name, "system": system, "horizon": setting["horizon"],
           "season": setting["season"], "freq": setting["freq"], "windows": len(splits),
           "series": n_series, "series_limit": args.series_limit, "threads": args.threads,
           "train_points": [len(train) for train, _ in splits]}
    if system == "modelyard":
        out["budget"] = args.budget
        out["modelyard_metric"] = MODELYARD_METRIC[0] = args.modelyard_metric
    print(f"{name} {system}: {n_series} series x {len(splits)} window(s), horizon "
          f"{setting['horizon']}", file=sys.stderr, flush=True)
    try:
        if system == "modelyard":
            forecasts, info = forecast_modelyard(splits, setting, args.budget)
        else:
            forecasts, info = forecast_peer(system, splits, setting, args.threads,
                                            args.timeout)
            out["peer"] = info.pop("peer")
        out["seconds"] = round(info.pop("seconds"), 2)
        out["seconds_by_window"] = [round(s, 2) for s in info.pop("seconds_by_window")]
        if "modelyard_runs" in info:
            out["modelyard_runs"] = info.pop("modelyard_runs")
        if "process_seconds" in info:
            out["process_seconds"] = round(info.pop("process_seconds"), 2)
        out["params"] = info.get("params")
        out["metrics"] = score(splits, forecasts, setting["horizon"], setting["season"])
    except NotImplementedError as err:
        print(f"  skipped {system}: {err} (fill in run_modelyard in bench/forecast.py)",
              file=sys.stderr, flush=True)
        return None
    except Exception as err:  # noqa: BLE001 - a system that fails is reported, the run goes on
        out.update(metrics=None, error=f"{type(err).__name__}: {err}"[:400])
    m = out.get("metrics")
    shown = (f"sMAPE {m['smape']:.3f}  MASE {m['mase']:.3f}  MAE {m['mae']:.4g}  "
             f"RMSE {m['rmse']:.4g}  {out['seconds']} s" if m else out.get("error"))
    print(f"  {system}: {shown}", file=sys.stderr, flush=True)
    return out


def setup_peers() -> None:
    """Create bench/.forecast-venv and install the pinned peers (bench/forecast-requirements.txt),
    then check that they import."""
    if not (PEERS_VENV / "pyvenv.cfg").is_file():
        subprocess.run(["python3", "-m", "venv", str(PEERS_VENV)], check=True)
    python = str(PEERS_VENV / "bin" / "python")
    # never install into the interpreter the venv was made from
    subprocess.run([python, "-c", "import sys; assert sys.prefix != sys.base_prefix, sys.prefix"],
                   check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "-r", str(PEERS_REQUIREMENTS)],
                   check=True)
    check = ("import json, forecast_peer, statsforecast, mlforecast, lightgbm; "
             "print(json.dumps(forecast_peer.versions(), indent=1))")
    subprocess.run([python, "-c", check], check=True, cwd=ROOT / "bench")


def _key(r: dict) -> tuple:
    """What a record measures: a later record with the same key supersedes it."""
    return (r["dataset"], r["horizon"], r["windows"], r["series"], r["system"],
            r.get("budget"), r.get("modelyard_metric"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=list(SETTINGS), default="m4_hourly")
    parser.add_argument("--systems", nargs="+", choices=[*SYSTEMS, "all"], default=["all"],
                        help="'all': every peer and modelyard")
    parser.add_argument("--windows", type=int, default=None,
                        help="rolling-origin windows (default: 1 for m4_hourly, M4's own test "
                        "set; 3 otherwise)")
    parser.add_argument("--series-limit", type=int, default=None,
                        help="only the first N series (natural order of their ids: H1, H2, ...)")
    parser.add_argument("--budget", type=float, default=60.0,
                        help="modelyard's time budget in seconds (the peers take none)")
    parser.add_argument("--modelyard-metric", default="mase",
                        choices=["mase", "smape", "mae", "rmse"],
                        help="modelyard's forecast.metric (what its search minimises)")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads every peer may use (n_jobs, num_threads); default 1")
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a peer may take (whole subprocess); one that takes longer "
                        "is recorded as failed with that time")
    parser.add_argument("--data", type=Path, default=DATA,
                        help="folder of the catalog (catalog.yaml) and the data files")
    parser.add_argument("--no-record", action="store_true",
                        help="print the scores, write nothing to bench/results/")
    parser.add_argument("--setup-peers", action="store_true",
                        help="create bench/.forecast-venv from bench/forecast-requirements.txt")
    args = parser.parse_args()
    if args.setup_peers:
        setup_peers()
        return
    setting = dict(SETTINGS[args.dataset])
    windows = args.windows or setting["windows"]
    if args.dataset == "m4_hourly" and windows != 1:
        print("m4_hourly: more than one window backtests on the training part too; the first "
              "window's cutoff is no longer M4's", file=sys.stderr)
    systems = list(SYSTEMS) if "all" in args.systems else list(dict.fromkeys(args.systems))
    long = load(args.data, args.dataset, args.series_limit)
    splits = split(long, setting["horizon"], windows)
    stamper = record.Stamper(LIBRARIES)
    for system in systems:
        stamper.start()
        done = run_one(system, args.dataset, splits, setting, args)
        if done is None or args.no_record:
            continue
        done["stamp"] = stamper.stamp(**({"peer": done.pop("peer")} if "peer" in done else {}))
        # written after each system, so a killed run keeps what it finished
        record.add("forecast", [done], key=_key)


if __name__ == "__main__":
    main()

"""A forecast run (``task: forecast``): series -> backtest search -> fit -> test window ->
report -> registry, in the same run records, artifact store and registry as a tabular run.

The last ``horizon`` points of every series are the sealed test window: the search and the
fitted members never see them. The members are then fitted on everything before the test
window and forecast it once; that forecast, against the actuals, is the test evaluation (and
the seasonal naive forecast of the same points the baseline). The registered model keeps every
observation, test window included, as the history it forecasts the next ``horizon`` from.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from modelyard.data.dataset import in_memory, read_table
from modelyard.data.fingerprint import fingerprint_frame
from modelyard.data.series import Panel, build_panel
from modelyard.errors import SpecError
from modelyard.evaluation.forecast_metrics import aggregate, coverage, per_series, wql
from modelyard.evaluation.forecast_report import forecast_plot, pick_series, write_forecast_report
from modelyard.evaluation.leaderboard import Leaderboard
from modelyard.evaluation.results import PartMetrics
from modelyard.learners.forecast import forecaster_names, get_forecaster
from modelyard.learners.forecast.naive import SeasonalNaive
from modelyard.model.forecast import FORMAT, ForecastModel, Layout, history_frame
from modelyard.orchestration.prepare import Step, model_name
from modelyard.orchestration.results import Registration, ReportPaths, TrainResult
from modelyard.registry.registry import Registry
from modelyard.search.budget import Budget
from modelyard.search.forecast import ForecastSearch, fit_members, search_forecasters
from modelyard.spec.forecast import ForecastSpec, default_season_length
from modelyard.spec.models import DATAFRAME, Spec


def read_panel(spec: Spec, frame: pd.DataFrame | None = None) -> tuple[Panel, str, int, str]:
    """The spec's series as a panel: (panel, fingerprint, rows, source description)."""
    fc = _section(spec)
    if spec.data.source.format == DATAFRAME:
        rows, description, _, _ = in_memory(frame)
    else:
        rows, description, _, _ = read_table(spec.data.source)
    windows = fc.backtest_windows
    panel = build_panel(
        rows, time_column=fc.time_column, target=spec.data.target or "",
        series_column=fc.series_column, frequency=fc.frequency, date_format=fc.date_format,
        known=fc.known_covariates, static=fc.static_covariates, fill_gaps=fc.fill_gaps,
        min_length=fc.horizon * (windows + 1) + 2,
    )
    return panel, fingerprint_frame(rows), len(rows), description


def check_forecast_learners(spec: Spec) -> None:
    """Learner names of a forecast spec, checked before any run exists."""
    names = [spec.model.learner] if spec.model is not None else (spec.search.learners or [])
    for name in names:
        get_forecaster(name)
    if spec.model is not None:
        get_forecaster(spec.model.learner)(1, **spec.model.params)


def train_forecast(spec: Spec, registry: Registry, run_id: str, workdir: Path, on_step: Step,
                   budget: Budget, register: bool, panel_data: tuple[Panel, str, int, str],
                   ) -> TrainResult:
    fc = _section(spec)
    store, name = registry.store, model_name(spec)
    panel, fingerprint, n_rows, description = panel_data
    season = fc.season_length or default_season_length(panel.frequency)
    store.set_run_data(run_id, fingerprint=fingerprint, task="forecast", source=description,
                       split={"method": "forecast", "horizon": fc.horizon,
                              "backtest_windows": fc.backtest_windows})  # fmt: skip
    started, cpu_started = time.monotonic(), time.process_time()
    train_part, test_part = panel.cut(fc.horizon), panel.tail(fc.horizon)
    on_step(f"backtesting forecasters on {len(panel)} series")
    search = search_forecasters(
        train_part, horizon=fc.horizon, season=season, windows=fc.backtest_windows,
        metric=fc.metric, budget=budget, interval=fc.interval, candidates=_candidates(spec),
        ensemble=spec.search.ensemble if spec.search is not None else False,
        max_trials=spec.search.max_trials if spec.search is not None else None,
        on_step=on_step,
    )
    on_step("fitting the chosen forecasters on every point before the test window")
    members = fit_members(search, train_part, fc.horizon, season)
    fit_seconds = time.monotonic() - started
    layout = Layout(spec.data.target or "", fc.time_column, fc.series_column, fc.horizon,
                    panel.frequency, season, tuple(fc.known_covariates),
                    tuple(fc.static_covariates), fc.date_format)  # fmt: skip
    on_step("forecasting the test window")
    evaluated = ForecastModel(members, layout, train_part, search.lower, search.upper,
                              search.coverage)
    test = _test_metrics(evaluated, train_part, test_part, season, fc.interval)
    model = ForecastModel(members, layout, panel, search.lower, search.upper, search.coverage)
    model_dir = model.save(workdir / "model")
    learner = model.learner_name
    store.log_params(run_id, {"forecasters": [search.candidates[i].label()
                                              for i, _ in search.members],
                              "season": season, "horizon": fc.horizon})  # fmt: skip
    metrics = {"validation": {fc.metric: search.ensemble_score},
               "test": {k: v for k, v in test["metrics"].items()}}
    store.log_metrics(run_id, {f"{part}_{m}": v for part, values in metrics.items()
                               for m, v in values.items()})  # fmt: skip
    uri = registry.artifacts.put_dir(model_dir)
    registration = Registration(
        run_id=run_id, artifact_uri=uri, schema=model.schema.to_dict(),
        metrics={f"test_{k}": v for k, v in test["metrics"].items()},
        tags={"format": FORMAT, "learner": learner, "task": "forecast"},
    )
    version = registration.register(store, name) if register else None
    report = _report(spec, name, version, learner, search, test, panel, fingerprint, n_rows,
                     season, evaluated, train_part, test_part)
    json_path, html_path = write_forecast_report(report, workdir / "report")
    report_uri = registry.artifacts.put_dir(workdir / "report")
    store.set_run_data(run_id, report_uri=report_uri, leaderboard=report["leaderboard"],
                       result={"model": name, "version": version, "artifact_uri": uri,
                               "metrics": metrics, "primary_metric": fc.metric},
                       notes=search.notes or None)  # fmt: skip
    board = Leaderboard(fc.metric, False, tuple(
        {"trial": i, "learner": r["name"], "status": "ok" if r["score"] is not None
         else "failed", "score": r["score"], "fit_seconds": r["seconds"],
         "weight": float(r["weight"]) if r.get("weight") else None, "params": r["params"],
         "note": r.get("note")}
        for i, r in enumerate(report["leaderboard"])), searched=spec.search is not None)
    return TrainResult(
        model=model, run_id=run_id, run_dir=str(workdir), model_dir=str(model_dir),
        model_name=name, version=version, learner=learner, task="forecast",
        metrics=PartMetrics(metrics, primary=fc.metric), leaderboard=board,
        fit_seconds=fit_seconds, cpu_seconds=time.process_time() - cpu_started,
        notes=tuple(search.notes), primary_metric=fc.metric,
        report=ReportPaths(str(json_path), str(html_path), report_uri),
        registration=registration,
    )


def _section(spec: Spec) -> ForecastSpec:
    if spec.forecast is None:
        raise SpecError("not a forecast spec", hint="set task: forecast and a forecast section")
    return spec.forecast


def _candidates(spec: Spec) -> list[tuple[str, dict[str, Any]]] | None:
    if spec.model is not None:
        return [(spec.model.learner, dict(spec.model.params))]
    if spec.search is not None and spec.search.learners:
        return [(n, {}) for n in spec.search.learners]
    return None


def _test_metrics(model: ForecastModel, train_part: Panel, test_part: Panel, season: int,
                  interval: float) -> dict[str, Any]:
    horizon = model.layout.horizon
    future = None
    if model.layout.known:
        future = history_frame(test_part, model.layout)  # its covariate columns
    frame = model.forecast(future=future)
    key = model.layout.series_column or "series"
    forecasts, lowers, uppers = [], [], []
    for sid in train_part.ids:
        rows = frame[frame[key] == sid]
        forecasts.append(rows["forecast"].to_numpy())
        lowers.append(rows["lower"].to_numpy())
        uppers.append(rows["upper"].to_numpy())
    actuals, histories = list(test_part.values), list(train_part.values)
    metrics = aggregate(actuals, forecasts, histories, season)
    metrics["coverage"] = coverage(actuals, lowers, uppers)
    metrics["wql"] = wql(actuals, {(1 - interval) / 2: lowers, 0.5: forecasts,
                                   (1 + interval) / 2: uppers})  # fmt: skip
    naive = SeasonalNaive(season).predict(train_part, horizon)
    baseline = aggregate(actuals, naive, histories, season)
    return {"metrics": metrics, "baseline": baseline, "forecasts": forecasts, "lower": lowers,
            "upper": uppers, "per_series": per_series(actuals, forecasts, histories, season)}


def _report(spec: Spec, name: str, version: int | None, learner: str, search: ForecastSearch,
            test: dict[str, Any], panel: Panel, fingerprint: str, n_rows: int, season: int,
            model: ForecastModel, train_part: Panel, test_part: Panel) -> dict[str, Any]:
    fc = _section(spec)
    weights = dict(search.members)
    board = [{"forecaster": c.label(), "name": c.name, "params": c.params,
              "score": None if c.error else c.score,
              "windows": c.scores, "seconds": round(c.seconds, 3),
              "weight": f"{weights[i]:.2f}" if i in weights else None, "note": c.error}
             for i, c in enumerate(search.candidates)]
    board.sort(key=lambda r: (r["score"] is None, r["score"] or 0.0))
    reduction = {m: _reduction(test["baseline"][m], test["metrics"][m])
                 for m in ("mase", "smape", "mae", "rmse")}
    plots = []
    for k in pick_series(test["per_series"], train_part.ids):
        sid = train_part.ids[k]
        keep = _history_points(season, fc.horizon)
        plots.append({"title": f"series {sid}: MASE {test['per_series']['mase'][k]:.3f}",
                      "svg": forecast_plot(f"fc{k}", sid, train_part.times[k][-keep:],
                                           train_part.values[k][-keep:], test_part.times[k],
                                           test_part.values[k], test["forecasts"][k],
                                           test["lower"][k], test["upper"][k], fc.interval)})
    per = test["per_series"]
    return {
        "model": {"name": name, "version": version, "learner": learner, "task": "forecast"},
        "metric": fc.metric,
        "interval": fc.interval,
        "test": test["metrics"],
        "baseline": {**test["baseline"], "name": "seasonal_naive", "reduction": reduction},
        "validation": {"ensemble_score": search.ensemble_score,
                       "interval_coverage": search.coverage},
        "per_series": [{"series": sid, **{m: float(per[m][i]) for m in per}}
                       for i, sid in enumerate(train_part.ids)],
        "leaderboard": board,
        "data": {"series": len(panel), "frequency": panel.frequency, "horizon": fc.horizon,
                 "season": season, "windows": fc.backtest_windows, "rows": n_rows,
                 "fingerprint": fingerprint, "forecasters": forecaster_names()},
        "notes": list(search.notes),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "plots": plots,
    }


def _history_points(season: int, horizon: int) -> int:
    """Points of history drawn before a test window: three seasons or two horizons."""
    return max(3 * season, 2 * horizon)


def _reduction(baseline: float, value: float) -> float:
    return float((baseline - value) / baseline) if baseline else 0.0


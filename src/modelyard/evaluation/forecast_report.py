"""The report of a forecast run: ``report.json`` (plain data) and ``report.html`` (tables and
plots of forecasts against actuals), written side by side like the tabular report.

The report dict holds: ``model`` (name, version, learner, task), ``metric`` (what the search
minimised), ``test`` (aggregate metrics on the sealed last ``horizon`` points, interval
coverage and weighted quantile loss), ``baseline`` (the seasonal naive forecast on the same
points and the error reduction against it), ``per_series`` (each series' test metrics),
``leaderboard`` (every candidate's backtest score per window and time), ``ensemble``,
``plots`` (inline SVG of a few series: history, actuals, forecast and interval) and ``notes``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from modelyard.atomic import atomic_write_text
from modelyard.evaluation.plots import FIGSIZE, to_svg
from modelyard.evaluation.report_html import CSS, _num, _table, _text

PLOTTED_SERIES = 6
HISTORY_SEASONS = 3  # seasons of history drawn before the forecast


def forecast_plot(plot_id: str, sid: str, history_times: pd.DatetimeIndex, history: np.ndarray,
                  times: pd.DatetimeIndex, actual: np.ndarray, forecast: np.ndarray,
                  lower: np.ndarray, upper: np.ndarray, coverage: float) -> str:
    fig = Figure(figsize=FIGSIZE)
    ax = fig.add_subplot()
    ax.plot(history_times, history, color="#5a6272", linewidth=1, label="history")
    ax.plot(times, actual, color="#1d2330", linewidth=1.2, label="actual")
    ax.plot(times, forecast, color="#2a6fdb", linewidth=1.4, label="forecast")
    ax.fill_between(times, lower, upper, color="#2a6fdb", alpha=0.2,
                    label=f"{coverage:.0%} interval")
    ax.set_title(f"series {sid}")
    ax.legend(loc="upper left", fontsize=7)
    fig.autofmt_xdate()
    return to_svg(fig, plot_id)


def pick_series(per_series: Mapping[str, Sequence[float]], ids: Sequence[str],
                count: int = PLOTTED_SERIES) -> list[int]:
    """Series to draw: the best, the median and the worst by MASE (the first ones when there
    are few)."""
    if len(ids) <= count:
        return list(range(len(ids)))
    order = list(np.argsort(np.asarray(per_series["mase"])))
    middle = len(order) // 2
    picks = order[:2] + order[middle - 1: middle + 1] + order[-2:]
    return list(dict.fromkeys(int(i) for i in picks))


def write_forecast_report(report: Mapping[str, Any], directory: Path) -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / "report.json", directory / "report.html"
    plain = {k: v for k, v in report.items() if k != "plots"}
    atomic_write_text(json_path, json.dumps(plain, indent=2, allow_nan=False) + "\n")
    atomic_write_text(html_path, render_forecast_html(report))
    return json_path, html_path


def render_forecast_html(report: Mapping[str, Any]) -> str:
    model = report["model"]
    name = model["name"]
    version = f" version {model['version']}" if model.get("version") is not None else ""
    test, baseline = report["test"], report["baseline"]
    metrics = ["mase", "smape", "mae", "rmse"]
    metric_rows = [[_text(m), _num(test[m]), _num(baseline[m]),
                    _num(baseline["reduction"][m] * 100, "%")] for m in metrics]
    metric_rows.append([f"interval coverage (target {report['interval']:.0%})",
                        _num(test["coverage"]), "–", "–"])
    metric_rows.append(["weighted quantile loss", _num(test["wql"]), "–", "–"])
    board = [[_text(r["forecaster"]), _num(r["score"]),
              _text(", ".join(_num(s) for s in r["windows"])), _num(r["seconds"], "s"),
              _text(r.get("weight") or ""), _text(r.get("note") or "")]
             for r in report["leaderboard"]]
    plots = "".join(f'<figure class="plot"><figcaption>{_text(p["title"])}</figcaption>'
                    f'{p["svg"]}</figure>' for p in report.get("plots", []))
    notes = "".join(f'<p class="note">{_text(n)}</p>' for n in report["notes"])
    data = report["data"]
    details = _table("details-table", ["", ""], [
        ["series", _num(data["series"])], ["frequency", _text(data["frequency"])],
        ["horizon", _num(data["horizon"])], ["season length", _num(data["season"])],
        ["backtest windows", _num(data["windows"])], ["rows", _num(data["rows"])],
        ["data fingerprint", _text(data["fingerprint"][:19])],
    ])
    sections = [
        ("metrics", "Test window (the last horizon of every series)",
         _table("metrics-table", ["metric", "model", "seasonal naive", "error reduction"],
                metric_rows)),
        ("plots", "Forecasts against actuals", f'<div class="plots">{plots}</div>'),
        ("leaderboard", f"Backtest leaderboard ({_text(report['metric'])}, lower is better)",
         _table("leaderboard-table",
                ["forecaster", "score", "per window", "time", "weight", "note"], board)),
        ("details", "Data", details),
    ]
    body = "".join(f'<section id="section-{sid}"><h2>{_text(title)}</h2>{content}</section>'
                   for sid, title, content in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>{_text(name)}{_text(version)}: forecast report</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>{_text(name)}{_text(version)}</h1>"
        f'<p class="meta">{_text(model["learner"])} · forecast task · metric '
        f"{_text(report['metric'])} · generated {_text(report['generated_at'])}</p>{notes}"
        f"</header>{body}</body></html>\n"
    )

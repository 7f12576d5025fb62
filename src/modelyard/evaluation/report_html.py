"""The report as ONE self-contained HTML page: inline CSS, inline SVG plots, no external resource.

Nothing in the page is fetched: no scripts, fonts, stylesheets or images from anywhere. All text
from the report goes through :func:`html.escape`, and any ``://`` in it is written as a character
reference, so the page never contains anything that looks like a URL. Each plot sits in a
``<figure>`` whose id is listed in :data:`PLOTS`; the KPI table has the id ``kpi-table``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

from modelyard.evaluation import plots
from modelyard.evaluation.leaderboard import Leaderboard

# (element id, title, draw(report, id, title) -> svg or None); order is the page order
PLOTS: tuple[tuple[str, str, Callable[[Mapping[str, Any], str, str], str | None]], ...] = (
    ("plot-learning-curves", "Learning curves",
     lambda r, i, t: plots.learning_curves(r["learning_curves"], i, t)),
    ("plot-roc", "ROC curve (test)", lambda r, i, t: plots.roc(r["curves"]["roc"], i, t)),
    ("plot-precision-recall", "Precision-recall curve (test)",
     lambda r, i, t: plots.precision_recall(r["curves"]["precision_recall"], i, t)),
    ("plot-confusion", "Confusion matrix (test)",
     lambda r, i, t: plots.confusion(r["curves"]["confusion"], i, t)),
    ("plot-calibration", "Calibration (test)",
     lambda r, i, t: plots.calibration(r["curves"]["calibration"], i, t)),
    ("plot-residuals-scatter", "Predicted vs actual (test)",
     lambda r, i, t: plots.residual_scatter(r["curves"]["residuals"], i, t)),
    ("plot-residuals-histogram", "Residuals (test)",
     lambda r, i, t: plots.residual_histogram(r["curves"]["residuals"], i, t)),
    ("plot-importance", "Permutation feature importance",
     lambda r, i, t: plots.importance(r["feature_importance"], i, t)),
)

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1100px;
padding:1.5rem;color:#1d2330;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;border-bottom:1px solid #d8dce4;
padding-bottom:.2rem;margin-top:2rem}
.meta{color:#5a6272;margin-top:0}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #d8dce4;padding:.25rem .6rem;text-align:right}
th:first-child,td:first-child{text-align:left}thead th{background:#f2f4f8}
.warn{background:#fff4e0;border-left:4px solid #e39b17;padding:.4rem .8rem;margin:.4rem 0}
.note{color:#5a6272;font-size:.9rem}
.plots{display:flex;flex-wrap:wrap;gap:1rem}
figure.plot{margin:0;border:1px solid #d8dce4;padding:.5rem;flex:1 1 460px;max-width:540px}
figure.plot figcaption{font-weight:600;font-size:.9rem;margin-bottom:.3rem}
figure.plot svg{width:100%;height:auto}
code{background:#f2f4f8;padding:0 .2rem}
"""


def _text(value: Any) -> str:
    """Escaped text with '://' broken up, so nothing in the page reads as a URL."""
    return html.escape(str(value)).replace("://", ":&#47;&#47;")


def _num(value: Any, unit: str = "") -> str:
    """A number for people: 4 significant digits, thousands separated, '–' when missing."""
    if value is None:
        return "–"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return _text(value)
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "USD":
        return f"{value:.3g} USD"
    if isinstance(value, int) or (abs(value) >= 1000 and float(value).is_integer()):
        text = f"{value:,.0f}"
    elif abs(value) >= 1000:
        text = f"{value:,.1f}"
    else:
        text = f"{value:.4g}"
    return f"{text} {_text(unit)}" if unit else text


def _table(table_id: str, head: list[str], rows: list[list[str]]) -> str:
    """An HTML table; ``head`` is escaped here, cells must be escaped by the caller."""
    header = "".join(f"<th>{_text(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table id="{table_id}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def _kpi_table(report: Mapping[str, Any]) -> str:
    rows = [[_text(k["label"]), _num(k["value"], k["unit"])] for k in report["kpis"]]
    return _table("kpi-table", ["KPI", "value"], rows)


def _metrics_table(report: Mapping[str, Any]) -> str:
    parts = [p for p in ("train", "validation", "cv", "cv_std", "test") if p in report["metrics"]]
    names = list(dict.fromkeys(n for p in parts for n in report["metrics"][p]))
    level = report["confidence_intervals"]["level"]
    intervals = report["confidence_intervals"]["test"]
    rows = []
    for name in names:
        ci = intervals.get(name)
        ci_text = f"{_num(ci[0])} – {_num(ci[1])}" if ci and ci[0] is not None else "–"
        rows.append([_text(name)] + [_num(report["metrics"][p].get(name)) for p in parts]
                    + [ci_text])
    return _table("metrics-table", ["metric", *parts, f"test {level:.0%} CI"], rows)


def _baselines_table(report: Mapping[str, Any]) -> str:
    test = report["metrics"]["test"]
    baselines = report["baselines"]
    reductions = report["error_reduction"]["vs_baselines"]
    production = report["error_reduction"]["vs_production"]
    head = ["metric", "model"] + list(baselines) + [f"error reduction vs {b}" for b in baselines]
    if production:
        head += [f"production ({production['version']})", "error reduction vs production"]
    rows = []
    for name, value in test.items():
        row = [_text(name), _num(value)] + [_num(baselines[b].get(name)) for b in baselines]
        row += [_num(reductions[b].get(name), "%") for b in baselines]
        if production:
            row += [_num(production["metrics"].get(name)),
                    _num(production["reductions"].get(name), "%")]
        rows.append(row)
    return _table("baselines-table", head, rows)


def _overfitting(report: Mapping[str, Any]) -> str:
    check = report["overfitting"]
    gaps = check["gaps"]
    rows = [[_text(pair.replace("_", " → ")), _num(gap)] for pair, gap in gaps.items()]
    text = (f'<p class="note">Primary metric <code>{_text(check["metric"])}</code>; '
            f'{_text(check["gap_kind"])} gaps, warning above {_num(check["threshold"])}.</p>')
    warnings = "".join(f'<p class="warn">{_text(w)}</p>' for w in check["warnings"])
    return text + _table("overfitting-table", ["parts", "gap"], rows) + warnings


def _plots(report: Mapping[str, Any]) -> str:
    figures = []
    for plot_id, title, draw in PLOTS:
        svg = draw(report, plot_id, title)
        if svg is not None:
            figures.append(f'<figure class="plot" id="{plot_id}"><figcaption>{_text(title)}'
                           f"</figcaption>{svg}</figure>")
    return '<div class="plots">' + "".join(figures) + "</div>" if figures else \
        '<p class="note">nothing to plot</p>'


def _details(report: Mapping[str, Any]) -> str:
    model, data, costs = report["model"], report["data"], report["costs"]
    rows = [
        ["data fingerprint", _text(data["fingerprint"] or "–")],
        ["data source", _text(data["source"] or "–")],
        *[[f"{_text(part)} rows", _num(n)] for part, n in data["rows"].items()],
        ["decision threshold", _num(report["threshold"])],
        ["CPU price", f"{_num(costs['cpu_hour'])} {_text(costs['currency'])} per CPU-hour"],
        ["training CPU time", _num(costs["training_cpu_seconds"], "s")],
    ]
    if costs["prediction_cpus"] is not None:
        rows.append(["predictions priced at", f"{_num(costs['prediction_cpus'])} CPUs, the cores "
                     "the batch throughput was measured on"])
    if report["mape"] is not None:
        rows.append(["MAPE rows ignored (zero target)",
                     _num(report["mape"]["n_zero_targets_ignored"])])
    if report["latency"]:
        lat = report["latency"]
        rows.append(["latency measured on",
                     f"{_num(lat['n_single'])} single rows, batches of {_num(lat['batch_size'])} "
                     f"x {_num(lat['repeats'])}, {_num(lat['cpus'])} CPUs"])
    params = [[_text(k), _text(v)] for k, v in model["params"].items()]
    out = _table("details-table", ["item", "value"], [[_text(r[0]), r[1]] for r in rows])
    if params:
        out += "<h3>Hyperparameters</h3>" + _table("params-table", ["parameter", "value"], params)
    return out


def _importance_table(report: Mapping[str, Any]) -> str:
    rows = [[_text(r["feature"]), _num(r["importance_mean"]), _num(r["importance_std"])]
            for r in report["feature_importance"]]
    if not rows:
        return '<p class="note">feature importance was not computed</p>'
    return _table("importance-table", ["feature", "importance", "std"], rows)


def _leaderboard_table(report: Mapping[str, Any]) -> str:
    board = Leaderboard.from_report(report)  # ranked and formatted as the CLI does
    if not len(board):
        return '<p class="note">one learner was trained; there was no search</p>'
    rows = [[_text(cell) for cell in row] for row in board.cells()]
    return _table("leaderboard-table", board.headings(), rows)


def _deployment_table(report: Mapping[str, Any]) -> str:
    """A search's deployment variants (refit, bagged): the registered one is what the test rows
    evaluated; the refit's score is the bagged out-of-fold score, taken as its estimate."""
    deployment = report.get("deployment")  # absent from reports written before search.deploy
    if not deployment:
        return ""
    rows = [[_text(v["name"]), "yes" if v["registered"] else "no", _num(v["models"]),
             _num(v["score"]) + (" (estimate: the bagged score)" if v["score_estimated"] else ""),
             f"{_num(v['latency_p50_ms'])} ({_num(v['latency_p99_ms'])})",
             _num(v["latency_rows"]), _num(v["size_bytes"] / 1e6)]
            for v in deployment["variants"]]
    head = ["variant", "registered", "models", "search score", "one row p50 ms (p99)",
            "rows timed", "MB saved"]
    return (f"<h3>Deployment (search.deploy: {_text(deployment['deploy'])})</h3>"
            + _table("deployment-table", head, rows) + _latency_limit(deployment))


def _latency_limit(deployment: Mapping[str, Any]) -> str:
    """What search.max_latency_ms chose and cost in score (empty without a limit)."""
    limit = deployment.get("latency_limit")
    if not limit:
        return ""
    cost = (f"it cost {_num(limit['cost'])} in the search score ({_num(limit['score'])} "
            f"against {_num(limit['unconstrained_score'])} without it)" if limit["cost"] > 0
            else "it cost nothing in score")
    return (f"<p>search.max_latency_ms {_num(limit['max_latency_ms'])}: "
            f"{_num(limit['too_slow'])} trial(s) too slow on their own were left out; the "
            f"ensemble's members add up to {_num(limit['estimated_ms'])} ms p99; {cost}.</p>")


def render_html(report: Mapping[str, Any]) -> str:
    """The whole report as one HTML document (a string)."""
    model = report["model"]
    name = model["name"] or model["learner"] or "model"
    version = f" version {model['version']}" if model["version"] is not None else ""
    notes = "".join(f'<p class="warn">warning: {_text(w)}</p>'
                    for w in report.get("warnings", []))
    notes += "".join(f'<p class="note">{_text(n)}</p>' for n in report["notes"])
    sections = [
        ("summary", "Key figures", _kpi_table(report)),
        ("metrics", "Metrics", _metrics_table(report)),
        ("baselines", "Baselines and error reduction", _baselines_table(report)),
        ("overfitting", "Over-fitting check", _overfitting(report)),
        ("plots", "Plots", _plots(report)),
        ("importance", "Feature importance", _importance_table(report)),
        ("leaderboard", "Search leaderboard",
         _leaderboard_table(report) + _deployment_table(report)),
        ("details", "Model and data", _details(report)),
    ]
    body = "".join(f'<section id="section-{sid}"><h2>{_text(title)}</h2>{content}</section>'
                   for sid, title, content in sections)
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>{_text(name)}{_text(version)}: evaluation report</title>"
        f"<style>{CSS}</style></head><body>"
        f"<header><h1>{_text(name)}{_text(version)}</h1>"
        f'<p class="meta">{_text(model["learner"] or "–")} · {_text(model["task"])} task · '
        f"primary metric {_text(report['primary_metric'])} · generated "
        f"{_text(report['generated_at'])}</p>{notes}</header>"
        f"{body}</body></html>\n"
    )

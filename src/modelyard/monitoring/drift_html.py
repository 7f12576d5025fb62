"""A drift report as one self-contained HTML page: the verdict, the per-column table and inline
SVG plots of the reference and current distributions (the drifted columns first, then the
highest scores), drawn with the evaluation report's matplotlib settings and CSS; no script, no
external link."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from modelyard.atomic import atomic_write_text
from modelyard.evaluation.plots import RC, to_svg
from modelyard.evaluation.report_html import CSS

MAX_PLOTS = 12
MAX_BARS = 25  # categories shown per plot (the largest shares)


def _plot(col: Any, plot_id: str) -> str:
    labels, ref, cur = col.bins["labels"], np.asarray(col.bins["reference"]), \
        np.asarray(col.bins["current"])
    if len(labels) > MAX_BARS:
        keep = np.argsort(-(ref + cur))[:MAX_BARS]
        labels, ref, cur = [labels[i] for i in keep], ref[keep], cur[keep]
    with matplotlib.rc_context(RC):
        fig = Figure(figsize=(5.2, 3.2))
        ax = fig.add_subplot()
        x = np.arange(len(labels))
        ax.bar(x - 0.2, ref, width=0.4, label="reference", color="#7a8aa6")
        ax.bar(x + 0.2, cur, width=0.4, label="current", color="#e3761b")
        ax.set_xticks(x, [str(v)[:18] for v in labels], rotation=45, ha="right")
        ax.set_ylabel("share of rows")
        ax.set_title(f"{col.name} ({col.statistic} {col.score:.3f})" if col.score is not None
                     else col.name)
        ax.legend()
        return to_svg(fig, plot_id)


def render_drift_html(report: Any) -> str:
    """The page for a ``DriftReport``."""
    esc = html.escape
    verdict = "drift" if report.drifted else "no drift"
    rows = []
    cols = [("", c) for c in report.columns] + [("output.", c) for c in report.prediction]
    for prefix, c in sorted(cols, key=lambda pc: (not pc[1].drifted, -(pc[1].score or 0))):
        score = "" if c.score is None else f"{c.score:.3f}"
        rows.append(f"<tr><td>{esc(prefix + c.name)}</td><td>{esc(c.kind)}</td>"
                    f"<td>{esc(c.statistic)}</td><td>{score}</td>"
                    f"<td>{'yes' if c.drifted else 'no'}</td>"
                    f"<td>{c.null_rate[0]:.3f} / {c.null_rate[1]:.3f}</td>"
                    f"<td>{esc('; '.join(c.reasons))}</td></tr>")
    figures = []
    for i, (prefix, c) in enumerate(sorted(cols, key=lambda pc: (not pc[1].drifted,
                                                                 -(pc[1].score or 0)))):
        if i >= MAX_PLOTS:
            break
        figures.append(f'<figure class="plot"><figcaption>{esc(prefix + c.name)}'
                       f"</figcaption>{_plot(c, f'drift-{i}')}</figure>")
    changes = report.schema_changes
    facts = [f"missing columns: {', '.join(changes['missing_columns']) or 'none'}",
             f"new columns: {', '.join(changes['new_columns']) or 'none'}",
             "unseen categories: " + (", ".join(f"{k} ({v})" for k, v in
                                                changes["unseen_categories"].items()) or "none")]
    facts += [f"left out: {n} row(s) ({why})" for why, n in report.skipped.items()]
    facts += [f"note: {n}" for n in report.notes]
    since = f", since {report.since}" if report.since else ""
    return (
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Drift of {esc(report.model)}:{report.version}</title>"
        f"<style>{CSS}</style></head><body>"
        f"<h1>Drift of {esc(report.model)}:{report.version}: {verdict}</h1>"
        f"<p class=\"meta\">{report.rows} rows from {esc(report.source)}{esc(since)}; "
        f"{sum(c.drifted for c in report.columns)} of {len(report.columns)} input columns "
        f"drifted ({report.score:.0%}, threshold {report.thresholds['drift_share']:.0%}); "
        f"prediction {'drifted' if report.prediction_drifted else 'stable'}</p>"
        "<h2>Columns</h2><table><thead><tr><th>column</th><th>kind</th><th>statistic</th>"
        "<th>score</th><th>drifted</th><th>null rate (ref / now)</th><th>why</th></tr>"
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
        "<h2>Schema</h2>" + "".join(f"<p class=\"note\">{esc(f)}</p>" for f in facts)
        + f"<h2>Distributions</h2><div class=\"plots\">{''.join(figures)}</div>"
        "</body></html>")


def write_drift_html(report: Any, path: Path) -> Path:
    """Write the page to ``path`` (atomically); returns it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, render_drift_html(report))
    return path

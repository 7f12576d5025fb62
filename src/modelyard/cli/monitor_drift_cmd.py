"""``modelyard monitor drift``: a model version's inputs and predictions against its reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.render import console, fit_cells, print_json
from modelyard.errors import SpecError

HEAD = ("column", "kind", "statistic", "score", "drifted")


def drift_command(
    ref: str = typer.Argument(..., help="Model reference: NAME, NAME@alias or NAME:version."),
    since: str | None = typer.Option(
        None, "--since", help="Only rows logged in this window: 30m, 12h, 7d, 2w or an ISO "
        "time (default: the whole log)."),
    data: Path | None = typer.Option(
        None, "--data", help="Compare this file of input rows (csv, parquet, ...) instead of "
        "the prediction log."),
    threshold: list[str] = typer.Option(
        [], "--threshold", help="Override a monitoring threshold for this check, "
        "KEY=VALUE (psi, ks_pvalue, js, drift_share, min_rows, ...); repeatable."),
    ignore: list[str] = typer.Option(
        [], "--ignore", help="Leave this input column out of the verdict (still measured and "
        "shown), as monitoring.ignore does; repeatable."),
    html: Path | None = typer.Option(
        None, "--html", help="Also write a self-contained HTML report with plots here."),
    json: o.Json = False,
    wide: o.Wide = False,
) -> None:
    """Compare the rows a model version predicted on (its prediction log, or --data FILE) with
    its training reference: per-column drift scores and a verdict."""
    from modelyard.monitoring.drift import check_drift
    from modelyard.registry.registry import Registry

    if since is not None and data is not None:
        raise SpecError("--since reads the prediction log and --data reads a file: give one",
                        hint="drop --since to compare the whole file")
    settings = current_settings()
    with Registry.open(settings) as registry:
        report = check_drift(registry, ref, since=since, data=data, settings=settings,
                             thresholds=parse_thresholds(threshold) | _ignored(ignore))
    if html is not None:
        from modelyard.monitoring.drift_html import write_drift_html

        write_drift_html(report, html)
    if json:
        print_json(report.to_dict())
        return
    render_drift(report, wide=wide)
    if html is not None:
        console.print(f"HTML report: {escape(str(html))}")


def _ignored(columns: list[str]) -> dict[str, Any]:
    return {"ignore": list(columns)} if columns else {}


def parse_thresholds(items: list[str]) -> dict[str, Any]:
    """``KEY=VALUE`` items as a dict of numbers (``none`` for an unset threshold)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise SpecError(f"cannot read --threshold {item!r}: expected KEY=VALUE",
                            hint="e.g. --threshold psi=0.25")
        text = value.strip()
        if text.lower() in ("none", "null"):
            out[key.strip()] = None
            continue
        try:
            out[key.strip()] = int(text) if text.isdigit() else float(text)
        except ValueError:
            raise SpecError(f"--threshold {key.strip()}: {text!r} is not a number",
                            hint="e.g. --threshold psi=0.25") from None
    return out


def render_drift(report: Any, *, wide: bool = False) -> None:
    """One line per column (inputs, then outputs), the schema changes and the verdict."""
    rows = []
    for group, cols in (("", report.columns), ("output.", report.prediction)):
        for col in sorted(cols, key=lambda c: (not c.drifted, -(c.score or 0.0))):
            score = "" if col.score is None else f"{col.score:.3f}"
            mark = "yes" if col.drifted else "no"
            if group == "" and col.name in report.thresholds.get("ignore", ()):
                mark += " (ignored)"
            rows.append([group + col.name, col.kind, col.statistic, score, mark])
    cells = rows if wide else fit_cells(rows, HEAD, flexible=0, least=14)
    table = Table(box=box.SIMPLE_HEAD, title=f"Drift of {report.model}:{report.version} "
                  f"({report.rows} rows)")
    for head in HEAD:
        table.add_column(head, overflow="fold" if wide else "ellipsis",
                         justify="right" if head == "score" else "left")
    for row in cells:
        table.add_row(*map(escape, row))
    console.print(table)
    changes = report.schema_changes
    for label, key in (("missing columns", "missing_columns"), ("new columns", "new_columns")):
        if changes[key]:
            console.print(f"{label}: {escape(', '.join(changes[key]))}")
    if changes["unseen_categories"]:
        text = ", ".join(f"{k} ({v})" for k, v in changes["unseen_categories"].items())
        console.print(f"unseen categories: {escape(text)}")
    for why, count in report.skipped.items():
        console.print(f"left out: {count} row(s) ({why})")
    for note in report.notes:
        console.print(f"note: {escape(note)}")
    counted = [c for c in report.columns if c.name not in report.thresholds.get("ignore", ())]
    drifted = sum(c.drifted for c in counted)
    verdict = "DRIFT" if report.drifted else "no drift"
    pred = ", prediction drifted" if report.prediction_drifted else ""
    console.print(f"verdict: {verdict} ({drifted}/{len(counted)} input columns drifted, "
                  f"{report.score:.0%} vs {report.thresholds['drift_share']:.0%}{pred})")

"""``modelyard runs ...`` and ``modelyard report``: what training runs recorded."""

from __future__ import annotations

import dataclasses
import webbrowser
from pathlib import Path
from typing import Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.render import console, fit_cells, print_json
from modelyard.errors import NotFound
from modelyard.registry.records import Page
from modelyard.registry.registry import Registry
from modelyard.registry.values import MAX_PAGE, MAX_STORED_INT

runs_app = typer.Typer(
    help="Training runs: status, parameters, metrics, lineage.", no_args_is_help=True
)

Limit = typer.Option(20, "--limit", min=1, max=MAX_PAGE, help=f"Rows per page (1 to {MAX_PAGE}).")
Offset = typer.Option(
    0, "--offset", min=0, max=MAX_STORED_INT, help="Rows to skip (for the next page)."
)


SHORT_ID = 12  # run-id characters tables show; commands take any unique prefix of 8 or more


def page_record(page: Page[Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """What every listing's ``--json`` prints: the page's items with total, limit and offset."""
    return {"total": page.total, "limit": page.limit, "offset": page.offset, "items": items}


def record(obj: Any) -> dict[str, Any]:
    """A registry record as a JSON-ready dict."""
    return {
        k: (v.isoformat() if hasattr(v, "isoformat") else v)
        for k, v in dataclasses.asdict(obj).items()
    }


def _fmt(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else ("" if value is None else str(value))


@runs_app.command("list")
def list_command(
    status: str = typer.Option(None, "--status", help="running, finished, failed or killed."),
    name: str = typer.Option(None, "--name", help="Runs of this model name."),
    where: str = typer.Option(None, "--filter", help="Metric filter, e.g. 'test_roc_auc > 0.8'."),
    order_by: str = typer.Option(
        None, "--order-by", help="'start_time', or 'metric.test_roc_auc DESC'."
    ),
    limit: int = Limit,
    offset: int = Offset,
    wide: o.Wide = False,
    json: o.Json = False,
) -> None:
    """List runs, newest first (filter by status, name and metrics). Run ids show their first
    12 characters, which every command that takes a run id accepts; --json has them whole."""
    with Registry.open(current_settings()) as registry:
        page = registry.store.list_runs(
            status=status,
            name=name,
            metric_filter=where,
            order_by=order_by,
            limit=limit,
            offset=offset,
        )
    if json:
        print_json(page_record(page, [record(r) for r in page.items]))
        return
    if not page.items:
        console.print(f"no runs match (of {page.total} at offset {offset})" if page.total
                      else "no runs match")
        return
    cells = []
    for run in page.items:
        primary = (run.data.get("result") or {}).get("primary_metric")
        key = f"test_{primary}" if primary else None
        headline = f"{primary} {_fmt(run.metrics[key])}" if key in run.metrics else ""
        cells.append([run.run_id[:SHORT_ID], run.name or "", run.status,
                      run.start_time.strftime("%m-%d %H:%M"), _fmt(run.duration), headline])
    heads = ("run", "name", "status", "started", "seconds", "test metric")
    if not wide:
        cells = fit_cells(cells, heads, flexible=1, least=8)
    table = Table(title=f"runs {offset + 1}-{offset + len(page.items)} of {page.total}",
                  box=box.SIMPLE_HEAD, title_justify="left")
    for head in heads:
        table.add_column(head, no_wrap=not wide,
                         justify="right" if head == "seconds" else "left")
    for row in cells:
        table.add_row(*row)
    console.print(table)
    if page.has_more:
        console.print(f"next page: --offset {offset + limit}")


@runs_app.command("show")
def show_command(run_id: str = typer.Argument(..., help="Run id."), json: o.Json = False) -> None:
    """Everything recorded about one run."""
    with Registry.open(current_settings()) as registry:
        run = registry.store.get_run(registry.store.resolve_run(run_id))
        series = registry.store.get_metric_series(run.run_id)
    if json:
        print_json({**record(run), "series": {
            name: [{"step": p.step, "value": p.value} for p in points]
            for name, points in series.items()}})
        return
    console.print(f"[bold]run {run.run_id}[/] ({run.name or 'unnamed'}): {run.status}")
    if run.error:
        console.print(f"[red]error:[/] {run.error}")
    facts = {
        "started": run.start_time,
        "ended": run.end_time,
        "seconds": run.duration,
        "cpu seconds": run.cpu_seconds,
        "seed": run.seed,
        "host": run.host,
        "python": run.python_version,
        "git commit": run.git_commit,
        "data fingerprint": run.data_fingerprint,
        "model": (run.data.get("result") or {}).get("model"),
        "version": (run.data.get("result") or {}).get("version"),
    }
    for key, value in facts.items():
        console.print(f"  {key}: {_fmt(value)}")
    for note in run.data.get("notes") or []:  # rows skipped, library warnings, ... in words
        console.print(f"  [yellow]note:[/] {escape(note)}", highlight=False)
    for title, values in (("parameters", run.params), ("metrics", run.metrics)):
        table = Table(title=title)
        table.add_column("name")
        table.add_column("value", justify="right")
        for key, value in sorted(values.items()):
            table.add_row(key, _fmt(value))
        console.print(table)
    if series:
        _print_series(series)


SERIES_ROWS = 12  # steps shown by `runs show` (first and last); --json has them all


def _print_series(series: dict[str, list[Any]]) -> None:
    """The per-epoch (or per-round) series side by side, one row per step."""
    steps = sorted({p.step for points in series.values() for p in points})
    by_name = {name: {p.step: p.value for p in points} for name, points in series.items()}
    shown = steps if len(steps) <= SERIES_ROWS else (
        steps[: SERIES_ROWS // 2] + [None] + steps[-SERIES_ROWS // 2:])
    table = Table(title=f"series: {len(steps)} steps", box=box.SIMPLE_HEAD, title_justify="left")
    table.add_column("step", justify="right")
    for name in series:
        table.add_column(name, justify="right")
    for step in shown:
        if step is None:
            table.add_row("...", *("" for _ in series))
        else:
            table.add_row(str(step), *(_fmt(by_name[n].get(step)) for n in series))
    console.print(table)
    if len(steps) > SERIES_ROWS:
        console.print("every step: modelyard runs show RUN --json (its 'series')")


def report_command(
    run_id: str = typer.Argument(..., help="Run id (list them: modelyard runs list)."),
    open_: bool = typer.Option(False, "--open", help="Open the HTML report in a browser."),
    json: o.Json = False,
) -> None:
    """Print where a run's evaluation report is (fetched from the artifact store)."""
    settings = current_settings()
    with Registry.open(settings) as registry:
        run = registry.store.get_run(registry.store.resolve_run(run_id))
        uri = run.data.get("report_uri")
        if not uri:
            raise NotFound(
                f"run {run_id} has no report",
                hint="a report is written when a run evaluates on test rows and "
                "finishes; check `modelyard runs show RUN`",
            )
        folder = registry.artifacts.get_dir(uri)  # verified copy from the artifact store
    paths = {
        "json": str(Path(folder) / "report.json"),
        "html": str(Path(folder) / "report.html"),
        "uri": uri,
    }
    if json:
        print_json(paths)
    else:
        print(paths["html"])  # a path for scripts: never wrapped
    if open_:
        webbrowser.open(Path(paths["html"]).resolve().as_uri())

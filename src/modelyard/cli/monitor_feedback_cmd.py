"""``modelyard monitor feedback`` and ``monitor performance``: ground truth in, live metrics out.

``feedback NAME FILE`` joins a file of labels (CSV, Parquet, JSONL) to the model's logged
predictions by request id (plus ``row`` for a request of several records) or by an input column
(``--key customerID``) and stores the usable ones (``monitoring.feedback``). ``performance NAME``
computes the model's metrics per time window on the labelled predictions, each with a 95 %
bootstrap interval, next to the version's test-set metrics (``monitoring.performance``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.render import console, print_json

Name = Annotated[str, typer.Argument(help="Model name (labels join to any of its versions).")]
LabelsFile = Annotated[
    Path, typer.Argument(help="Labels: CSV, Parquet or JSONL, one row per labelled prediction.")
]
IdColumn = Annotated[
    str, typer.Option("--id-column", help="The column holding the request id the server "
                      "answered with (with a 'row' column for requests of several records).")
]
KeyColumn = Annotated[
    str | None,
    typer.Option("--key", help="Join by this input column instead (e.g. customerID): the label "
                 "applies to every prediction logged with that value before it arrived."),
]
LabelColumn = Annotated[
    str | None,
    typer.Option("--label-column", help="The column holding the labels (default: 'label', else "
                 "the model's target column)."),
]


def feedback_command(
    name: Name,
    file: LabelsFile,
    id_column: IdColumn = "request_id",
    key: KeyColumn = None,
    label_column: LabelColumn = None,
    json: o.Json = False,
) -> None:
    """Store ground-truth labels for logged predictions (unknown ids and wrong labels are
    counted and skipped; a later label for the same prediction replaces the earlier one)."""
    from modelyard.data.sources import read_file
    from modelyard.monitoring.feedback import add_feedback
    from modelyard.registry.registry import Registry
    from modelyard.spec.models import ReadOptions

    settings = current_settings()
    frame = read_file(file, ReadOptions())
    with Registry.open(settings) as registry:
        summary = add_feedback(settings.home, registry, name, frame, key_column=key,
                               id_column=id_column, label_column=label_column)  # fmt: skip
    if json:
        print_json(summary.to_dict())
        return
    print_feedback(summary.to_dict())


def print_feedback(s: dict[str, Any]) -> None:
    by = "labels"
    console.print(
        f"{s['stored']} of {s['received']} {by} stored for {s['model']}, covering "
        f"{s['predictions']} logged prediction(s); {s['replaced']} replaced an earlier label",
        highlight=False, soft_wrap=True,
    )
    for what, text in (("unknown", "address no logged prediction"),
                       ("ambiguous", "are ambiguous (a reused request id, or no row given for a "
                        "request of several records)"),
                       ("wrong_type", "are not labels the model predicts")):  # fmt: skip
        if s[what]:
            shown = ", ".join(escape(str(v)) for v in s["examples"].get(what, []))
            console.print(f"[yellow]skipped:[/] {s[what]} {text}, e.g. {shown}",
                          highlight=False, soft_wrap=True)


Ref = Annotated[str, typer.Argument(help="Model: NAME, NAME@ALIAS or NAME:VERSION.")]
WindowOpt = Annotated[
    str, typer.Option("--window", help="Window length: 30m, 12h, 1d, 1w (aligned to UTC).")
]
Since = Annotated[
    str | None, typer.Option("--since", help="How far back: 7d, 30d, ... (default: 30 windows).")
]


def performance_command(
    ref: Ref,
    window: WindowOpt = "1d",
    since: Since = None,
    wide: o.Wide = False,
    json: o.Json = False,
) -> None:
    """A version's metrics per time window on its labelled predictions, each with a 95 %
    bootstrap interval, beside its test-set metrics; a window whose interval lies wholly below
    the test value is marked as a significant drop."""
    from modelyard.monitoring.performance import live_performance
    from modelyard.registry.registry import Registry

    settings = current_settings()
    with Registry.open(settings) as registry:
        report = live_performance(registry, ref, window=window, since=since, home=settings.home)
    if json:
        print_json(report.to_dict())
        return
    print_performance(report.to_dict(), wide=wide)


def _cell(m: dict[str, Any] | None) -> tuple[str, str]:
    if not m:
        return "", ""
    return f"{m['value']:.3f}", f"{m['low']:.3f}-{m['high']:.3f}"


def print_performance(r: dict[str, Any], *, wide: bool = False) -> None:
    from rich import box
    from rich.table import Table

    primary, test = r["primary_metric"], r["test_metrics"]
    shown = f"{test[primary]:.3f}" if primary in test else "none recorded"
    console.print(f"{r['model']}:{r['version']} ({r['task']}), {primary} on the test rows: "
                  f"{shown}; windows of {r['window']} since {r['since'][:16]} UTC",
                  highlight=False, soft_wrap=True)  # fmt: skip
    if not r["windows"]:
        console.print("no predictions logged in this period", highlight=False)
        return
    others = [m for m in next((w["metrics"] for w in r["windows"] if w["metrics"]), {})
              if m != primary] if wide else []  # fmt: skip
    table = Table(box=box.SIMPLE_HEAD)
    for head in ("window (UTC)", "logged", "labels", primary, "95% interval", "", *others):
        table.add_column(head, overflow="fold")
    for w in r["windows"]:
        value, interval = _cell(w["metrics"].get(primary))
        if w["rows"] < r["min_labels"]:
            verdict = f"too few labels (< {r['min_labels']})"
        else:
            verdict = "[red]significant drop[/]" if w["dropped"] else "ok"
        extra = [_cell(w["metrics"].get(m))[0] for m in others]
        table.add_row(w["start"][:16].replace("T", " "), str(w["logged"]), str(w["rows"]),
                      value, interval, verdict, *extra)  # fmt: skip
    console.print(table)

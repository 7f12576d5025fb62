"""``modelyard train`` and ``modelyard learners``."""

from __future__ import annotations

import ast
from typing import Annotated, Any

import typer
import yaml

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.helptext import plain
from modelyard.cli.progress import steps
from modelyard.cli.render import (
    console,
    err_console,
    print_json,
    render_kpis,
    render_leaderboard,
    render_learners,
    render_metrics,
)
from modelyard.cli.runs_cmd import Limit, Offset, page_record
from modelyard.errors import SpecError
from modelyard.registry.records import Page
from modelyard.spec import Spec, validate_spec
from modelyard.spec.models import TASKS

Model = Annotated[
    str | None,
    typer.Option("--model", "-m", help="Learner to train (list them: modelyard learners)."),
]
Params = Annotated[
    list[str] | None,
    typer.Option(
        "--param", "-p", help="Hyperparameter NAME=VALUE (Python literal values). Repeatable."
    ),
]
Resume = Annotated[
    str | None, typer.Option("--resume", help="Continue the run RUN_ID from its last checkpoint.")
]
Name = Annotated[str | None, typer.Option("--name", help="Model name.")]
TimeBudget = Annotated[
    float | None,
    typer.Option(
        "--time-budget",
        help="Search learners and hyperparameters for this many seconds (instead of --model).",
    ),
]
MaxTrials = Annotated[
    int | None, typer.Option("--max-trials", help="Stop the search after this many trials.")
]
SearchMetric = Annotated[str | None, typer.Option("--metric", help="Metric the search optimises.")]
Learners = Annotated[
    str | None,
    typer.Option(
        "--learners", help="Comma-separated learners to search (default: all that fit the task)."
    ),
]
Parallel = Annotated[
    str | None,
    typer.Option("--parallel", help="Search trials run at once: a number, or 'auto' (the "
                 "default: one per CPU core for a timed search, 1 for max_trials alone)."),
]

Deploy = Annotated[
    str | None,
    typer.Option("--deploy", help="What a search registers: 'refit' (the default: each "
                 "ensemble member refit on every row) or 'bagged' (its fold models)."),
]

MaxLatency = Annotated[
    float | None,
    typer.Option("--max-latency-ms", help="A search's single-row latency limit (p99, ms): "
                 "the model it registers answers one row within it."),
]

DryRun = Annotated[
    bool,
    typer.Option("--dry-run", help="Print the spec the file and flags make, validated, and "
                 "stop: no data is read, nothing is trained or registered."),
]


def show_spec(spec: Spec, *, json: bool) -> None:
    """The validated spec with every default filled in, as JSON or YAML."""
    payload = spec.model_dump(mode="json")
    if json:
        print_json(payload)
    else:
        typer.echo(yaml.safe_dump(payload, sort_keys=False).rstrip())


MAX_PARAM_TEXT = 10_000  # a --param value longer than this stays text (and is refused as such)


def _literal(text: str) -> Any:
    """A --param VALUE as a Python literal (3, 0.1, 'a', [64, 32], {0: 1.0}), else as text."""
    if len(text) > MAX_PARAM_TEXT:
        return text
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):  # deep nesting is text too
        return text


def train_command(
    source: str = typer.Argument(
        None, help="A spec .yaml, or a data file / SQL URL with --target."
    ),
    model: Model = None,
    param: Params = None,
    name: Name = None,
    resume: Resume = None,
    time_budget: TimeBudget = None,
    max_trials: MaxTrials = None,
    metric: SearchMetric = None,
    learners: Learners = None,
    parallel: Parallel = None,
    deploy: Deploy = None,
    max_latency_ms: MaxLatency = None,
    target: o.Target = None,
    drop: o.Drop = None,
    types: o.Types = None,
    target_map: o.TargetMap = None,
    task: o.Task = None,
    split: o.SplitMethod = None,
    ratios: o.Ratios = None,
    group_column: o.GroupColumn = None,
    time_column: o.TimeColumn = None,
    split_column: o.SplitColumn = None,
    folds: o.Folds = None,
    seed: o.Seed = None,
    format: o.Format = None,
    no_header: o.NoHeader = False,
    columns: o.Columns = None,
    sep: o.Separator = None,
    encoding: o.Encoding = None,
    missing: o.Missing = None,
    skip_initial_space: o.SkipSpace = False,
    skip_rows: o.SkipRows = None,
    quoting: o.Quoting = None,
    on_bad_lines: o.OnBadLines = None,
    table: o.Table = None,
    query: o.Query = None,
    set_: o.Set = None,
    dry_run: DryRun = False,
    json: o.Json = False,
) -> None:
    """Train a model, evaluate it once on the test rows, and register a new version."""
    from modelyard.orchestration.python_api import apply_model_args, apply_search_args, run_spec

    settings = current_settings()
    raw = None
    if not resume:
        if source is None:
            raise SpecError(
                "nothing to train on",
                hint="pass a spec file or a data file with "
                "--target, e.g. `modelyard train data.csv --target Churn`",
            )
        raw = o.build_raw(source, locals(), extra={"name": name})
        params = {k: _literal(v) for k, v in o._pairs(param, "--param").items()} if param else None
        for note in apply_model_args(raw, model, params):
            err_console.print(f"[yellow]note:[/] {note}", highlight=False)
        apply_search_args(raw, time_budget=time_budget, max_trials=max_trials, metric=metric,
                          learners=[n.strip() for n in learners.split(",")] if learners else None,
                          parallel=parallel, deploy=deploy, max_latency_ms=max_latency_ms)
        raw = o.apply_sets(raw, set_)
        if dry_run:
            show_spec(validate_spec(raw), json=json)
            return
    with steps(enabled=not json) as step:  # the same call as modelyard.train from Python
        result = run_spec(raw, settings, resume=resume, on_step=step, verbose=not json)
    if json:
        print_json(result.to_dict())
        return
    render_metrics(result.metrics.to_dict(), f"{result.learner} on a {result.task} task")
    if result.kpis:
        render_kpis([kpi.to_dict() for kpi in result.kpis])
    for warning in result.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}")
    if result.leaderboard.searched:
        render_leaderboard(result.leaderboard)
    if result.deployment is not None:
        for v in result.deployment.variants:
            estimate = " (the bagged estimate)" if v.score_estimated else ""
            console.print(
                f"{'registered' if v.registered else 'not registered'}: {v.name}, {v.models} "
                f"model(s), score {v.score:.4f}{estimate}, one row p50 {v.latency_p50_ms:.2f} "
                f"ms (p99 {v.latency_p99_ms:.2f}), {v.size_bytes / 1e6:.1f} MB"
            )
    if result.threshold is not None:
        console.print(f"decision threshold (tuned on validation): {result.threshold:.4f}")
    if result.stop_reason:
        console.print(f"stopped: {result.stop_reason}")
    for note in result.notes:
        console.print(f"[yellow]note:[/] {note}")
    console.print(
        f"registered [bold]{result.model_name}[/] version {result.version} (run {result.run_id})"
    )
    if result.report:
        console.print(f"report: {result.report.html}", soft_wrap=True)  # never wrapped


def learners_command(
    task: o.Task = None,
    limit: int = Limit,
    offset: int = Offset,
    wide: o.Wide = False,
    json: o.Json = False,
) -> None:
    """List the registered learners and the tasks each serves."""
    from modelyard.learners.base import available

    if task is not None and task not in TASKS:
        raise SpecError(f"--task {task!r} is not a task",
                        hint=f"use one of: {', '.join(TASKS)}")
    rows = [
        {
            "name": name,
            "tasks": list(cls.tasks),
            "input_kind": cls.input_kind,
            "searched_by_default": cls.searched_by_default,
            "description": plain((cls.__doc__ or "").strip().splitlines()[0])
            if cls.__doc__ else "",
        }
        for name, cls in available(task).items()
    ]
    page = Page(tuple(rows[offset: offset + limit]), len(rows), limit, offset)
    if json:
        print_json(page_record(page, list(page.items)))
        return
    render_learners(list(page.items), wide=wide)
    if page.has_more:
        console.print(f"next page: --offset {offset + limit}")

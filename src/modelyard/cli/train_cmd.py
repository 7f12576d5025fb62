"""``modelyard train`` and ``modelyard learners``."""

from __future__ import annotations

import ast
from typing import Annotated, Any

import typer

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.progress import steps
from modelyard.cli.render import (
    console,
    print_json,
    render_kpis,
    render_leaderboard_records,
    render_learners,
    render_metrics,
)
from modelyard.errors import SpecError
from modelyard.learners.base import available
from modelyard.pipeline import train
from modelyard.spec import Spec, validate_spec

Model = Annotated[
    str | None, typer.Option("--model", "-m", help="Learner to train (see `modelyard learners`).")
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


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _model_section(spec_model: Any, model: str | None, params: list[str] | None) -> Any:
    if model is None and not params:
        return None
    base = spec_model.model_dump() if spec_model is not None else {}
    if model:
        base["learner"] = model
    if "learner" not in base:
        raise SpecError("--param needs a learner", hint="add --model NAME or 'model:' in the spec")
    extra = dict(o._pairs(params, "--param"))
    base["params"] = {**base.get("params", {}), **{k: _literal(v) for k, v in extra.items()}}
    return base


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
    table: o.Table = None,
    query: o.Query = None,
    json: o.Json = False,
) -> None:
    """Train a model, evaluate it once on the test rows, and register a new version."""
    settings = current_settings()
    if resume:
        spec = None
    else:
        if source is None:
            raise SpecError(
                "nothing to train on",
                hint="pass a spec file or a data file with "
                "--target, e.g. `modelyard train data.csv --target Churn`",
            )
        spec = o.build_spec(source, locals(), extra={"name": name})
        section = _model_section(spec.model, model, param)
        if section is not None:
            spec = validate_spec(
                {**spec.model_dump(mode="json", exclude_none=True), "model": section}
            )
        searched = _search_section(spec, time_budget, max_trials, metric, learners, parallel)
        if searched is not None:
            spec = validate_spec(
                {**spec.model_dump(mode="json", exclude_none=True), "search": searched}
            )
        if spec.model is None and spec.search is None:
            spec = _default_model(spec)
    with steps(enabled=not json) as step:
        result = train(spec, settings, resume=resume, on_step=step, verbose=not json)
    if json:
        print_json(result.to_dict())
        return
    render_metrics(result.metrics, f"{result.learner} on a {result.task} task")
    if result.kpis:
        render_kpis(result.kpis)
    for warning in result.warnings:
        console.print(f"[bold yellow]warning:[/] {warning}")
    if result.leaderboard:
        render_leaderboard_records(result.leaderboard)
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
        console.print(f"report: {result.report['html']}")


def _search_section(spec: Spec, time_budget, max_trials, metric, learners, parallel):
    flags = {
        "time_budget": time_budget,
        "max_trials": max_trials,
        "metric": metric,
        "learners": [n.strip() for n in learners.split(",")] if learners else None,
        "parallel": parallel,
    }
    given = {k: v for k, v in flags.items() if v is not None}
    if not given:
        return None
    base = spec.search.model_dump(exclude_none=True) if spec.search is not None else {}
    return {**base, **given}


def _default_model(spec: Spec) -> Spec:
    """Without a model named, train LightGBM, a strong default on tables."""
    raw = spec.model_dump(mode="json", exclude_none=True)
    raw["model"] = {"learner": "lightgbm"}
    return validate_spec(raw)


def learners_command(
    task: o.Task = None,
    json: o.Json = False,
) -> None:
    """List the registered learners and the tasks each serves."""
    rows = [
        {
            "name": name,
            "tasks": list(cls.tasks),
            "input_kind": cls.input_kind,
            "searched_by_default": cls.searched_by_default,
            "description": (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else "",
        }
        for name, cls in available(task).items()
    ]
    if json:
        print_json(rows)
    else:
        render_learners(rows)

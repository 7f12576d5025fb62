"""``modelyard data ...``: look at a table before training on it."""

from __future__ import annotations

import typer

from modelyard.cli import options as o
from modelyard.cli.progress import steps
from modelyard.cli.render import print_json, render_profile, render_split

data_app = typer.Typer(
    help="Inspect data: schema, missing values, class balance, splits.", no_args_is_help=True
)


@data_app.command("profile")
def profile_command(
    source: str = typer.Argument(..., help="Data file, glob, SQL URL, 'duckdb', or a spec .yaml."),
    target: o.Target = None,
    drop: o.Drop = None,
    types: o.Types = None,
    target_map: o.TargetMap = None,
    task: o.Task = None,
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
    json: o.Json = False,
    wide: o.Wide = False,
) -> None:
    """Print the inferred schema, missing values, cardinalities and class balance."""
    spec = o.build_spec(source, locals())
    from modelyard.data.dataset import load_dataset  # the data stack loads for data commands
    from modelyard.data.profile import profile_frame
    from modelyard.orchestration.library_warnings import LibraryWarnings

    with steps(enabled=not json) as step, LibraryWarnings() as caught:
        caught.tracking(step)("reading and typing the data")
        dataset = load_dataset(spec.data, task=spec.task)
        report = profile_frame(dataset.frame, dataset.schema)
    report.update(
        source=dataset.source,
        task=dataset.task if spec.data.target else None,
        fingerprint=dataset.fingerprint,
        skipped_rows=dataset.skipped_rows,
    )
    report["notes"] = list(dict.fromkeys(list(report.get("notes", [])) + list(dataset.notes)
                                         + caught.take()))
    if json:
        print_json(report)
        return
    render_profile(report, dataset.source, wide=wide)
    if spec.data.target:
        typer.echo(f"task: {dataset.task}")
    typer.echo(f"fingerprint: {dataset.fingerprint}")


@data_app.command("split")
def split_command(
    source: str = typer.Argument(..., help="Data file, glob, SQL URL, 'duckdb', or a spec .yaml."),
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
    json: o.Json = False,
) -> None:
    """Split the rows into train, validation and test (and folds) and show the sizes."""
    spec = o.build_spec(source, locals())
    from modelyard.orchestration.library_warnings import LibraryWarnings
    from modelyard.pipeline import prepare

    with steps(enabled=not json) as step, LibraryWarnings() as caught:
        prepared = prepare(spec, caught.tracking(step))
    summary = prepared.split.to_dict()
    summary["notes"] = list(dict.fromkeys([*prepared.dataset.notes, *summary.get("notes", []),
                                           *caught.take()]))
    summary.update(
        task=prepared.dataset.task,
        fingerprint=prepared.dataset.fingerprint,
        target=prepared.dataset.target,
    )
    if json:
        print_json(summary)
        return
    render_split(summary)
    typer.echo(f"task: {prepared.dataset.task}   target: {prepared.dataset.target}")

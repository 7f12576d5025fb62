"""``modelyard predict NAME[@ALIAS|:VERSION] INPUT -o OUTPUT``: predictions for a file of rows.

The rows go through ``serving.predict.predict_batch``, the same code the HTTP server runs, so a
file and a request give identical answers for the same rows and meet the same input rules
(``serving.inputs``): an infinite number is an error naming the column, the lines and the values;
categories training never saw follow the version's ``predict.unseen_categories`` policy (or
``--unseen-categories``) and are counted per column in the summary and ``--json``.

The file is read with the same reading flags as ``train`` (``--encoding``, ``--sep``, ...), and
the reader's hints name those flags rather than the spec keys they stand for.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.markup import escape

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.render import console, print_json
from modelyard.errors import DataError, ModelyardError, SpecError, did_you_mean
from modelyard.spec.models import FILE_FORMATS, UNSEEN_CATEGORIES, ReadOptions

OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
# spec key under data.source -> this command's flag (the reader's hints name spec keys)
FLAGS = {
    "format": "--format",
    "header": "--no-header",
    "columns": "--columns",
    "separator": "--sep",
    "encoding": "--encoding",
    "missing_values": "--missing",
    "skip_initial_space": "--skip-initial-space",
    "skip_rows": "--skip-rows",
    "quoting": "--quoting",
    "comment": "--comment",
    "on_bad_lines": "--on-bad-lines",
}
_SPEC_KEY = re.compile(r"data\.source\.([a-z_]+)(:?)")

Ref = Annotated[str, typer.Argument(help="Model: NAME, NAME@ALIAS or NAME:VERSION.")]
Input = Annotated[
    Path | None,
    typer.Argument(help="Rows to predict: CSV or Parquet (TSV, JSONL too). For a forecaster, "
                   "optional: newer observations (target filled) and the known covariates of "
                   "the forecast steps (target empty)."),
]
Horizon = Annotated[
    int | None,
    typer.Option("--horizon", min=1, help="Forecasters: steps to forecast (default: the "
                 "horizon the model was trained for)."),
]
Output = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="Where to write the rows with "
        "'prediction' and 'proba_<label>' columns (.csv/.parquet).",
    ),
]
FileFormat = Annotated[
    str | None,
    typer.Option("--format", help=f"{', '.join(FILE_FORMATS)}; inferred from the extension."),
]
Comment = Annotated[
    str | None, typer.Option("--comment", help="Lines starting with this are ignored.")
]
Unseen = Annotated[
    str | None,
    typer.Option(
        "--unseen-categories",
        help="Categories training never saw: 'error' stops and names them, 'warn' scores and "
        "counts them, 'ignore' scores them quietly (default: what the model's spec said, "
        "predict.unseen_categories).",
    ),
]


def predict_command(
    ref: Ref,
    input: Input = None,
    *,
    output: Output,
    unseen_categories: Unseen = None,
    horizon: Horizon = None,
    format: FileFormat = None,
    no_header: o.NoHeader = False,
    columns: o.Columns = None,
    sep: o.Separator = None,
    encoding: o.Encoding = None,
    missing: o.Missing = None,
    skip_initial_space: o.SkipSpace = False,
    skip_rows: o.SkipRows = None,
    quoting: o.Quoting = None,
    comment: Comment = None,
    on_bad_lines: o.OnBadLines = None,
    json: o.Json = False,
) -> None:
    """Predict every row of a file with a registered model and write them out with the answers."""
    kind = _output_format(output)
    if unseen_categories is not None and unseen_categories not in UNSEEN_CATEGORIES:
        raise SpecError(
            f"--unseen-categories must be one of {', '.join(UNSEEN_CATEGORIES)}, got "
            f"{unseen_categories!r}", hint=did_you_mean(unseen_categories, UNSEEN_CATEGORIES),
        )  # fmt: skip
    options = read_options(locals()) if input is not None else ReadOptions()
    # the data and serving stacks load only when a file is predicted
    from modelyard.data.readers_base import ReadLog
    from modelyard.data.row_lines import data_lines
    from modelyard.data.sources import read_file
    from modelyard.registry.registry import Registry
    from modelyard.serving.inputs import Origin, policy_of
    from modelyard.serving.predict import predict_batch

    log = ReadLog()  # rows --on-bad-lines skip leaves out are counted and said
    frame = None if input is None else _with_flag_hints(read_file, input, options, log=log)
    with Registry.open(current_settings()) as registry:
        loaded = registry.load(ref)
    from modelyard.model import ForecastModel

    if isinstance(loaded.model, ForecastModel):
        from modelyard.cli.forecast_out import write_forecasts

        write_forecasts(loaded, frame, output, kind, horizon, json)
        return
    if frame is None or input is None:
        raise SpecError(f"{loaded.version.ref} predicts rows: give the file of rows to predict",
                        hint=f"modelyard predict {ref} ROWS.csv -o predictions.csv")
    policy = unseen_categories or policy_of(loaded.version.tags)
    origin = Origin("file", lines=lambda: data_lines(input, options, len(frame)))
    batch = _with_flag_hints(predict_batch, loaded.model, frame, unseen_categories=policy,
                             origin=origin)
    result = frame.copy()
    for column in batch.outputs.columns:
        result[column] = batch.outputs[column]
    write_table(result, output, kind)
    unseen = batch.unseen_report()
    report: dict[str, Any] = {
        "model": loaded.version.model,
        "version": loaded.version.version,
        "rows": len(result),
        "input": str(input),
        "output": str(output),
        "columns": list(batch.outputs.columns),
        "unseen_categories_policy": policy,
    }
    if unseen is not None:
        report["unseen_categories"] = unseen
    if log.skipped_rows:
        report["skipped_rows"] = log.skipped_rows
        report["notes"] = [_flags_for_keys(note) for note in log.notes]
    if json:
        print_json(report)
        return
    console.print(
        f"{len(result)} rows predicted with {loaded.version.ref}; written to {output}",
        highlight=False, soft_wrap=True,
    )
    for note in report.get("notes", []):
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    if unseen:
        rows = sum(entry["count"] for entry in unseen.values())
        console.print(
            f"[bold yellow]warning:[/] {rows} value(s) in {len(unseen)} column(s) are categories "
            "training never saw, scored the way the model treats a value it does not know: "
            + "; ".join(u.describe(origin) for u in batch.unseen),
            highlight=False, soft_wrap=True,
        )


def read_options(flags: dict[str, Any]) -> ReadOptions:
    """The ``ReadOptions`` the reading flags make (``train``'s flags, same meaning)."""
    fmt = flags.get("format")
    if fmt is not None and fmt not in FILE_FORMATS:
        raise SpecError(
            f"--format {fmt!r} does not read a file; predict reads files: "
            f"{', '.join(FILE_FORMATS)}",
            hint=did_you_mean(fmt, FILE_FORMATS),
        )
    mapping = o.source_mapping(str(flags["input"]), flags)
    mapping.pop("path", None)
    if flags.get("comment"):
        mapping["comment"] = flags["comment"]
    try:
        return ReadOptions.model_validate(mapping)
    except ValidationError as err:
        problem = err.errors(include_url=False)[0]
        key = str(problem["loc"][0]) if problem["loc"] else ""
        flag = FLAGS.get(key, key)
        raise SpecError(f"{flag}: {problem['msg']}", hint=f"see modelyard predict --help for "
                        f"{flag}") from None


def _with_flag_hints(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``function``; the spec keys an error names become this command's flags."""
    try:
        return function(*args, **kwargs)
    except ModelyardError as err:
        err.message = _flags_for_keys(err.message)
        err.args = (err.message,)
        if err.hint:
            err.hint = _flags_for_keys(err.hint)
        raise


def _flags_for_keys(text: str) -> str:
    """'set data.source.encoding to ...' -> 'set --encoding to ...' ('key: value' -> 'flag
    value'); a key with no flag here is left as it is."""

    def flag(match: re.Match[str]) -> str:
        return FLAGS.get(match[1], match[0]) if match[1] in FLAGS else match[0]

    return _SPEC_KEY.sub(flag, text)


def _output_format(path: Path) -> str:
    kind = OUTPUT_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"cannot tell the output format of {str(path)!r} from its extension "
            f"{path.suffix or '(none)'}; expected one of {', '.join(OUTPUT_FORMATS)}",
            hint="name the output file like predictions.csv or predictions.parquet",
        )
    return kind


def write_table(frame: Any, path: Path, kind: str) -> None:
    """Write ``frame`` as CSV or Parquet atomically (a temp file renamed into place)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if kind == "csv":
            frame.to_csv(tmp, index=False)
        else:
            frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise DataError(
            f"cannot write {path}: {err}", hint="check the folder and free space"
        ) from err

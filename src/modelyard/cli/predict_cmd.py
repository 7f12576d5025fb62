"""``modelyard predict NAME[@ALIAS|:VERSION] INPUT -o OUTPUT``: predictions for a file of rows.

The rows go through ``serving.predict.predict_records``, the same code the HTTP server runs, so a
file and a request give identical answers for the same rows.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.render import console, print_json
from modelyard.data.sources import read_file
from modelyard.errors import DataError
from modelyard.registry.registry import Registry
from modelyard.serving.predict import predict_records
from modelyard.spec.models import ReadOptions

OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}

Ref = Annotated[str, typer.Argument(help="Model: NAME, NAME@ALIAS or NAME:VERSION.")]
Input = Annotated[Path, typer.Argument(help="Rows to predict: CSV or Parquet (TSV, JSONL too).")]
Output = Annotated[
    Path,
    typer.Option(
        "--output",
        "-o",
        help="Where to write the rows with "
        "'prediction' and 'proba_<label>' columns (.csv/.parquet).",
    ),
]


def predict_command(ref: Ref, input: Input, output: Output, json: o.Json = False) -> None:
    """Predict every row of a file with a registered model and write them out with the answers."""
    kind = _output_format(output)
    frame = read_file(input, ReadOptions())
    with Registry.open(current_settings()) as registry:
        loaded = registry.load(ref)
    outputs = predict_records(loaded.model, frame)
    result = frame.copy()
    for column in outputs.columns:
        result[column] = outputs[column]
    write_table(result, output, kind)
    report = {
        "model": loaded.version.model,
        "version": loaded.version.version,
        "rows": len(result),
        "input": str(input),
        "output": str(output),
        "columns": list(outputs.columns),
    }
    if json:
        print_json(report)
        return
    console.print(
        f"{len(result)} rows predicted with {loaded.version.ref}; written to {output}",
        highlight=False,
    )


def _output_format(path: Path) -> str:
    kind = OUTPUT_FORMATS.get(path.suffix.lower())
    if kind is None:
        raise DataError(
            f"cannot tell the output format of {str(path)!r} from its extension "
            f"{path.suffix or '(none)'}; expected one of {', '.join(OUTPUT_FORMATS)}",
            hint="name the output file like predictions.csv or predictions.parquet",
        )
    return kind


def write_table(frame: pd.DataFrame, path: Path, kind: str) -> None:
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

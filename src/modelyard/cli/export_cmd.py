"""``modelyard export NAME[@ALIAS|:VERSION] --format onnx --output FILE.onnx``: a registered
version as one ONNX graph, for serving it without modelyard (docs/export.md).

The graph takes the raw feature columns and answers ``prediction`` (and ``probabilities`` for a
classifier); ``model.export`` builds it. An existing output file is kept unless ``--force``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.render import console, print_json
from modelyard.errors import SpecError, did_you_mean

EXPORT_FORMATS = ("onnx",)

Ref = Annotated[str, typer.Argument(help="Model: NAME, NAME@ALIAS or NAME:VERSION.")]
Output = Annotated[Path, typer.Option("--output", "-o", help="The file to write (FILE.onnx).")]
Format = Annotated[str, typer.Option("--format", help="Export format: onnx.")]
Force = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]


def export_command(
    ref: Ref,
    output: Output,
    format: Format = "onnx",
    force: Force = False,
    json: o.Json = False,
) -> None:
    """Write a registered model version as an ONNX graph: raw columns in, predictions out."""
    if format not in EXPORT_FORMATS:
        raise SpecError(
            f"--format {format!r} is not an export format; valid: {', '.join(EXPORT_FORMATS)}",
            hint=did_you_mean(format, EXPORT_FORMATS),
        )
    from modelyard.model.export import export_onnx, input_columns
    from modelyard.registry.registry import Registry

    with Registry.open(current_settings()) as registry:
        loaded = registry.load(ref)
    export_onnx(loaded.model, output, force=force)
    proto_inputs = input_columns(loaded.model)
    outputs = ["prediction"] + ([] if loaded.model.task == "regression" else ["probabilities"])
    report = {
        "model": loaded.version.model,
        "version": loaded.version.version,
        "format": format,
        "output": str(output),
        "bytes": output.stat().st_size,
        "inputs": proto_inputs,
        "outputs": outputs,
    }
    if json:
        print_json(report)
        return
    console.print(
        f"{loaded.version.ref} exported to {output} ({format}, {report['bytes']:,} bytes): "
        f"{len(proto_inputs)} input column(s), output(s) {', '.join(outputs)}",
        highlight=False, soft_wrap=True,
    )

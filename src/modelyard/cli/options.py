"""CLI options that mirror the spec, declared once and turned into a spec mapping.

Every flag has a spec key; a flag given on the command line overrides the same key of a spec file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from modelyard.errors import SpecError
from modelyard.spec import Spec, read_spec_file, validate_spec
from modelyard.spec.yaml_reader import parse_yaml

SPEC_SUFFIXES = (".yaml", ".yml")

Format = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="csv, tsv, whitespace, parquet, jsonl, "
        "sql, duckdb or idx; inferred from the extension.",
    ),
]
NoHeader = Annotated[bool, typer.Option("--no-header", help="The file has no header row.")]
Columns = Annotated[str | None, typer.Option("--columns", help="Comma-separated column names.")]
Separator = Annotated[str | None, typer.Option("--sep", help="Field separator.")]
Encoding = Annotated[str | None, typer.Option("--encoding", help="Text encoding (default utf-8).")]
Missing = Annotated[
    list[str] | None,
    typer.Option("--missing", help="Extra missing-value marker, e.g. '?'. Repeatable."),
]
SkipSpace = Annotated[
    bool, typer.Option("--skip-initial-space", help="Drop spaces after each separator.")
]
SkipRows = Annotated[int | None, typer.Option("--skip-rows", help="Lines to skip at the top.")]
Quoting = Annotated[str | None, typer.Option("--quoting", help="'minimal' or 'none'.")]
OnBadLines = Annotated[
    str | None,
    typer.Option(
        "--on-bad-lines",
        help="A row with more or fewer fields than the header: 'error' (default) stops and names "
        "its line; 'skip' leaves such rows out and counts them.",
    ),
]
Table = Annotated[str | None, typer.Option("--table", help="SQL table (SOURCE is a URL).")]
Query = Annotated[
    str | None,
    typer.Option(
        "--query", help="SQL query (SOURCE is a URL, or 'duckdb' for DuckDB over local files)."
    ),
]
Target = Annotated[str | None, typer.Option("--target", "-t", help="Column to predict.")]
Drop = Annotated[list[str] | None, typer.Option("--drop", help="Column to leave out. Repeatable.")]
Types = Annotated[
    list[str] | None, typer.Option("--type", help="COLUMN=KIND, e.g. zip=categorical. Repeatable.")
]
TargetMap = Annotated[
    list[str] | None,
    typer.Option("--target-map", help="FROM=TO label rewrite, e.g. '>50K.=>50K'. Repeatable."),
]
Task = Annotated[
    str | None,
    typer.Option("--task", help="binary, multiclass or regression (inferred when omitted)."),
]
SplitMethod = Annotated[
    str | None, typer.Option("--split", help="auto, random, stratified, group, time or column.")
]
Ratios = Annotated[
    str | None,
    typer.Option("--ratios", help="train,validation,test fractions, e.g. 0.7,0.15,0.15."),
]
GroupColumn = Annotated[
    str | None, typer.Option("--group-column", help="Rows sharing a value stay in one part.")
]
TimeColumn = Annotated[str | None, typer.Option("--time-column", help="Test is the latest period.")]
SplitColumn = Annotated[
    str | None, typer.Option("--split-column", help="Column holding train/validation/test labels.")
]
Folds = Annotated[int | None, typer.Option("--folds", help="k-fold on the training part.")]
Seed = Annotated[int | None, typer.Option("--seed", help="Random seed (default 42).")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
Set = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="KEY.PATH=VALUE: set any spec key, e.g. model.threshold=none, search.folds=3, "
        "costs.cpu_hour=0.1. VALUE is read as YAML. Applied after the spec file and the "
        "other flags. Repeatable.",
    ),
]
Wide = Annotated[
    bool,
    typer.Option("--wide", help="Show long cells whole, wrapped, instead of cut to one line."),
]


def _pairs(items: list[str] | None, flag: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SpecError(f"{flag} expects KEY=VALUE, got {item!r}", hint=f"e.g. {flag} a=b")
        out[key] = value
    return out


def source_mapping(source: str, opts: dict[str, Any]) -> dict[str, Any]:
    """The ``data.source`` mapping for a SOURCE argument plus read-option flags."""
    raw: dict[str, Any] = {}
    if source == "duckdb":
        raw["format"] = "duckdb"
    elif "://" in source:
        raw["url"] = source
    else:
        raw["path"] = source
    flags = {
        "format": opts.get("format"),
        "separator": opts.get("sep"),
        "encoding": opts.get("encoding"),
        "skip_rows": opts.get("skip_rows"),
        "quoting": opts.get("quoting"),
        "on_bad_lines": opts.get("on_bad_lines"),
        "table": opts.get("table"),
        "query": opts.get("query"),
    }
    raw.update({k: v for k, v in flags.items() if v is not None})
    if opts.get("no_header"):
        raw["header"] = False
    if opts.get("columns"):
        raw["columns"] = [c.strip() for c in opts["columns"].split(",")]
    if opts.get("missing"):
        raw["missing_values"] = list(opts["missing"])
    if opts.get("skip_initial_space"):
        raw["skip_initial_space"] = True
    return raw


def build_spec(source: str, opts: dict[str, Any], extra: dict[str, Any] | None = None) -> Spec:
    """A validated spec from SOURCE (a YAML spec or a data source), the flags given and their
    ``--set KEY.PATH=VALUE`` items (applied last)."""
    return validate_spec(apply_sets(build_raw(source, opts, extra), opts.get("set_")))


def build_raw(source: str, opts: dict[str, Any],
              extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The spec mapping, not yet validated, that SOURCE and the flags (but not --set) make."""
    if Path(source).suffix.lower() in SPEC_SUFFIXES:
        raw = read_spec_file(source)
        if _read_flags_given(opts):
            raise SpecError(
                "read options (--format, --sep, ...) cannot be combined with a spec file",
                hint="put them under data.source in the spec",
            )
    else:
        raw = {"data": {"source": source_mapping(source, opts)}}
    data = raw.setdefault("data", {})
    if not isinstance(data, dict):
        raise SpecError("the 'data' section must be a mapping", hint="indent its keys under data:")
    if opts.get("target"):
        data["target"] = opts["target"]
    if opts.get("drop"):
        data["drop"] = list(data.get("drop", [])) + list(opts["drop"])
    if opts.get("types"):
        data["types"] = {**data.get("types", {}), **_pairs(opts["types"], "--type")}
    if opts.get("target_map"):
        data["target_map"] = {
            **data.get("target_map", {}),
            **_pairs(opts["target_map"], "--target-map"),
        }
    if opts.get("task"):
        raw["task"] = opts["task"]
    if opts.get("seed") is not None:
        raw["seed"] = opts["seed"]
    split = dict(raw.get("split") or {})
    split_flags = {
        "method": opts.get("split"),
        "group_column": opts.get("group_column"),
        "time_column": opts.get("time_column"),
        "column": opts.get("split_column"),
        "folds": opts.get("folds"),
    }
    split.update({k: v for k, v in split_flags.items() if v is not None})
    if opts.get("ratios"):
        split.update(_ratios(opts["ratios"]))
    if split:
        raw["split"] = split
    for key, value in (extra or {}).items():
        if value is not None:
            raw[key] = value
    return raw


YAML_NULLS = ("null", "Null", "NULL", "~")  # how --set clears a key


def apply_sets(raw: dict[str, Any], items: list[str] | None) -> dict[str, Any]:
    """``raw`` with each ``--set KEY.PATH=VALUE`` applied (VALUE read as YAML, so ``3`` is a
    number, ``true`` a boolean, ``[a, b]`` a list and ``none`` the word none)."""
    for item in items or []:
        path, sep, text = item.partition("=")
        keys = [k.strip() for k in path.split(".")]
        if not sep or not all(keys):
            raise SpecError(f"--set expects KEY.PATH=VALUE, got {item!r}",
                            hint="e.g. --set model.threshold=none or --set search.folds=3")
        try:  # read within the bounds of a spec file: no tags, no alias bombs
            value = parse_yaml(text, f"--set {path}") if text.strip() else text
            if value is None and text.strip() not in YAML_NULLS:
                value = text  # '#' and the like: YAML reads them as a comment, the user meant text
        except SpecError as err:
            raise SpecError(err.message, hint=f"{err.hint}; to pass the value as text, quote it: "
                            f"--set {path}='\"{text}\"'") from err
        node = raw
        for depth, key in enumerate(keys[:-1]):
            child = node.get(key)
            if child is None or isinstance(child, str) and key == "model":
                child = {"learner": child} if isinstance(child, str) else {}
                node[key] = child
            if not isinstance(child, dict):
                where = ".".join(keys[: depth + 1])
                raise SpecError(f"--set {path}: {where} holds {child!r}, not a section",
                                hint=f"set {where} itself, e.g. --set {where}=VALUE")
            node = child
        node[keys[-1]] = value
    return raw


def _ratios(text: str) -> dict[str, float]:
    try:
        parts = [float(p) for p in text.split(",")]
    except ValueError as err:
        raise SpecError(
            f"--ratios expects three numbers, got {text!r}", hint="e.g. --ratios 0.7,0.15,0.15"
        ) from err
    if len(parts) != 3:
        raise SpecError(
            f"--ratios expects train,validation,test; got {len(parts)} numbers",
            hint="e.g. --ratios 0.7,0.15,0.15",
        )
    return dict(zip(("train", "validation", "test"), parts, strict=True))


def _read_flags_given(opts: dict[str, Any]) -> bool:
    keys = (
        "format",
        "sep",
        "encoding",
        "skip_rows",
        "quoting",
        "on_bad_lines",
        "table",
        "query",
        "columns",
        "missing",
    )
    return (
        any(opts.get(k) for k in keys)
        or bool(opts.get("no_header"))
        or bool(opts.get("skip_initial_space"))
    )

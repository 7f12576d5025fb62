"""Load and validate a spec, turning pydantic's errors into one readable ``SpecError``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from modelyard.errors import SpecError, closest
from modelyard.spec.models import Spec
from modelyard.spec.yaml_reader import MAX_SPEC_BYTES, decode_spec_bytes, parse_yaml


def _model_at(root: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that owns the field at ``loc`` (for listing valid keys)."""
    model: type[BaseModel] | None = root
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            return model
        annotation = model.model_fields[part].annotation
        nested = [a for a in getattr(annotation, "__args__", (annotation,)) if _is_model(a)]
        model = nested[0] if nested else (annotation if _is_model(annotation) else None)
    return model


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def describe_validation_error(err: ValidationError, root: type[BaseModel] = Spec) -> SpecError:
    """One SpecError listing every problem, each with where it is and what is valid."""
    lines: list[str] = []
    hints: list[str] = []
    for item in err.errors():
        loc = tuple(item["loc"])
        where = ".".join(str(p) for p in loc) or "(top level)"
        if item["type"] == "extra_forbidden":
            owner = _model_at(root, loc[:-1])
            valid = sorted(owner.model_fields) if owner else []
            lines.append(f"unknown key '{where}'")
            if valid:
                near = closest(str(loc[-1]), valid)
                guess = f"did you mean {' or '.join(repr(n) for n in near)}? " if near else ""
                section = ".".join(str(p) for p in loc[:-1]) or "the top level"
                hints.append(f"'{loc[-1]}': {guess}valid keys in {section}: {', '.join(valid)}")
        elif item["type"] == "missing":
            lines.append(f"missing required key '{where}'")
            hints.append(f"add '{where}' to the spec (or --set {where}=VALUE)")
        else:
            received = item.get("input")
            shown = "" if isinstance(received, dict | list) else f" (received {received!r})"
            lines.append(f"'{where}': {item['msg']}{shown}")
            if loc:
                hints.append(f"change '{where}' in the spec (or --set {where}=VALUE)")
    message = "invalid spec: " + "; ".join(lines)
    listed = "docs/spec.md lists every key"
    return SpecError(message, hint="; ".join([*dict.fromkeys(hints), listed]))


def validate_spec(raw: dict[str, Any]) -> Spec:
    """A validated ``Spec`` from a plain mapping."""
    if not isinstance(raw, dict):
        raise SpecError(
            f"a spec must be a mapping of sections, got {type(raw).__name__}",
            hint="start the file with 'data:' and indent its keys",
        )
    try:
        return Spec.model_validate(raw)
    except ValidationError as err:
        raise describe_validation_error(err) from err


def read_spec_file(path: str | Path) -> dict[str, Any]:
    """The raw mapping in a YAML spec file, its relative data paths made relative to its folder.

    The file is read within the bounds of ``spec.yaml_reader`` (size, UTF-8, no tags, no repeated
    keys, aliases that add at most a few thousand values); each breach is a ``SpecError``.
    """
    path = Path(path)
    if path.is_dir():
        raise SpecError(
            f"the spec path {path} is a folder, not a spec file",
            hint="name a .yaml file inside it",
        )
    if path.exists() and not path.is_file():
        raise SpecError(
            f"the spec path {path} is not a regular file (a device or a pipe?)",
            hint="save the spec to a .yaml file and pass that",
        )
    if not path.is_file():
        raise SpecError(f"spec file not found: {path}", hint="check the path, or pass a data file")
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SPEC_BYTES + 1)
    except OSError as err:
        raise SpecError(f"cannot read the spec file {path}: {err.strerror or err}",
                        hint="check the file's permissions") from err
    if len(data) > MAX_SPEC_BYTES:
        raise SpecError(
            f"the spec file {path} is larger than {MAX_SPEC_BYTES:,} bytes; a spec is a few "
            "kilobytes of settings",
            hint="is it the data file? pass data files as SOURCE, or under data.source.path",
        )
    raw = parse_yaml(decode_spec_bytes(data, str(path)), str(path))
    if raw is None:
        raise SpecError(f"spec file {path} is empty", hint="it needs at least a 'data:' section")
    if not isinstance(raw, dict):
        raise SpecError(
            f"{path} must hold a mapping of sections, got a {_yaml_kind(raw)}",
            hint="start with 'data:' and indent its keys under it",
        )
    resolve_paths(raw, path.parent)
    return raw


def _yaml_kind(value: Any) -> str:
    return "list" if isinstance(value, list) else "single value" if value is not None else "null"


def resolve_paths(raw: dict[str, Any], base: Path) -> None:
    """Make the relative file paths and glob patterns of ``data.source.path`` relative to
    ``base`` (the spec file's folder), in place: one rule, whether or not the file exists.

    ``~`` is expanded first; absolute paths are kept. The folder is made absolute, so the path
    means the same file from any working directory (and in the run's stored spec).
    """
    source = raw.get("data", {}).get("source") if isinstance(raw.get("data"), dict) else None
    if not isinstance(source, dict) or "path" not in source:
        return
    if source.get("format") == "sklearn":  # path names a bundled dataset, not a file
        return
    folder = base.absolute()

    def fix(p: Any) -> Any:
        if isinstance(p, str) and p:
            expanded = Path(os.path.expanduser(p))
            return str(expanded if expanded.is_absolute() else folder / expanded)
        if isinstance(p, list):
            return [fix(x) for x in p]
        if isinstance(p, dict):
            return {k: fix(v) for k, v in p.items()}
        return p

    source["path"] = fix(source["path"])


def load_spec(path: str | Path) -> Spec:
    """Read, resolve and validate a YAML spec file."""
    return validate_spec(read_spec_file(path))

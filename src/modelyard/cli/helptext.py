"""Help that reads cleanly on an 80-column terminal: plain text, short metavars.

Typer names an option's value after its Python annotation (``<str>``, ``<list[str]>``) and shows
``<bool>`` beside flags that take no value. ``tidy`` walks the built command tree once and gives
every option that takes a value a conventional metavar (TEXT, INTEGER, NUMBER, PATH) unless the
option chose its own, and every argument its upper-cased name and no type. The help itself is
rendered by click's plain formatter (``rich_markup_mode=None`` on the app), which wraps on word
boundaries.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# Typer's name of a parameter's Python type -> the metavar shown in help
METAVARS = {"str": "TEXT", "int": "INTEGER", "float": "NUMBER", "Path": "PATH", "bool": "BOOLEAN"}


def walk(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command of a click tree with its path of names, the root first.

    Duck-typed: Typer builds its commands on its own vendored copy of click."""
    yield path, command
    for name, sub in sorted((getattr(command, "commands", None) or {}).items()):
        yield from walk(sub, (*path, name))


def tidy(root: Any) -> Any:
    """Give every parameter of the tree a short metavar (in place); returns ``root``."""
    for _, command in walk(root):
        for param in command.params:
            if param.metavar is not None:
                continue
            if param.param_type_name == "argument":
                param.metavar = (param.name or "value").upper()
                # Typer prints the annotation after an argument's name ('RUN_ID <str>'); the
                # upper-case name says enough
                param.display_type_rich = lambda ctx: None
            elif param.param_type_name == "option" and not getattr(param, "is_flag", False):
                param.metavar = _metavar(param)
    return root


def _metavar(option: Any) -> str:
    """TEXT, INTEGER, NUMBER or PATH from the option's annotation (a list: its element's)."""
    bare = option.bare_type() if hasattr(option, "bare_type") else "str"
    if bare.startswith("list[") and bare.endswith("]"):
        bare = bare[5:-1]
    return METAVARS.get(bare, "VALUE")


_MARKUP = (
    (re.compile(r":[a-z]+:`~?([^`]+)`"), r"\1"),  # reST roles: :class:`Name` -> Name
    (re.compile(r"``([^`]+)``"), r"\1"),  # reST literals: ``depth`` -> depth
    (re.compile(r"`([^`]+)`"), r"\1"),  # Markdown code: `x` -> x
)


def plain(text: str) -> str:
    """``text`` (a docstring line shown to users) without reST or Markdown inline markup."""
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text

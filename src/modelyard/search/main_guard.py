"""Refuse to start the search's worker processes from a script that would start them again.

The search's workers are *spawned*: each new interpreter runs the main script again (as
``__mp_main__``) before it takes any work. A script that calls ``modelyard.train`` at its top
level, outside ``if __name__ == "__main__":``, therefore starts a training inside every worker;
multiprocessing stops that worker at once, but the parent is then still writing the training data
into the dead worker's start-up pipe, which it holds open itself, and waits there forever.

:func:`check_main_guard` looks, before any worker starts, at the line of the main script that led
to this call: when it is a top-level statement not inside an ``if`` block, the search stops with
an error saying how to fix the script. Anything inside an ``if`` counts as guarded (the check must
never refuse a script that works); interactive sessions, notebooks and ``python -c`` have no main
script to run again, and are never refused; nor is a package's ``__main__.py`` run by
``python -m``, which the workers do not run again.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import FrameType

from modelyard.errors import SpecError


def _main_frame() -> FrameType | None:
    """The frame running the main script's top-level code, when this call comes from it."""
    main = sys.modules.get("__main__")
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "<module>" and main is not None \
                and frame.f_globals is vars(main):
            return frame
        frame = frame.f_back
    return None


def _guarded(tree: ast.Module, line: int) -> bool:
    """Whether ``line`` lies inside an ``if`` block (or a function or class body) at top level,
    or in no top-level statement of ``tree`` at all."""
    for node in tree.body:
        end = getattr(node, "end_lineno", node.lineno)
        if node.lineno <= line <= end:
            return any(isinstance(n, ast.If | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                       and n.lineno <= line <= getattr(n, "end_lineno", n.lineno)
                       for n in ast.walk(node))
    return True


def check_main_guard() -> None:
    """Raise :class:`SpecError` when the main script calls this at its top level, unguarded."""
    frame = _main_frame()
    if frame is None:
        return
    spec_name = getattr(frame.f_globals.get("__spec__"), "name", None) or ""
    if spec_name == "__main__" or spec_name.endswith(".__main__"):
        return  # a package's __main__.py (python -m package): spawned workers do not re-run it
    path = frame.f_globals.get("__file__")
    if not path or not Path(path).is_file():
        return
    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return  # a main script we cannot read is not refused
    line = frame.f_lineno
    if _guarded(tree, line):
        return
    raise SpecError(
        f"{path}, line {line}: the search starts worker processes, and each of them runs this "
        "script again first; called at the script's top level, the training would start again "
        "in every worker",
        hint='put the call under `if __name__ == "__main__":` (or in a function called from '
        "there), or run the trials in this process with parallel=1 (search.parallel: 1)",
    )

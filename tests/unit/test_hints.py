"""Every hint names something the user can do, not an internal function.

A hint is read by someone at a command line, in an HTTP answer or in a spec file, so it names a
flag, a command, a spec key or a field. This walks every ``hint=`` in the code base and fails on
the marks of an internal reference: a call (``name(``), the name of a function defined in
modelyard, or reST literals. Errors that only code calling modelyard's Python functions can meet
(a learner's contract, a store used before it is opened) may name the call to make: such a raise
carries ``# hint: python-api`` on one of its lines.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "modelyard"
CALL = re.compile(r"\b[A-Za-z_][A-Za-z0-9_.]*\(")
SQL = {"read_parquet(", "read_csv(", "read_json(", "count("}  # SQL a user writes in a query
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MARK = "# hint: python-api"
# words that name a function and also something the user types (a spec key, a flag's word, SQL)
USER_WORDS = {"read_parquet", "time_budget", "max_trials", "target_map", "on_bad_lines",
              "target_transform", "class_weight", "unseen_categories", "prediction_cpus",
              "cpu_hour"}


def _functions() -> set[str]:
    names = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) \
                    and "_" in node.name.strip("_"):
                names.add(node.name)
    return names - USER_WORDS


def _texts(node: ast.AST) -> list[str]:
    """The text a hint expression can take (f-string values as '{}', both branches of an if)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return ["".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return [a + b for a in _texts(node.left) or [""] for b in _texts(node.right) or [""]]
    if isinstance(node, ast.IfExp):
        return _texts(node.body) + _texts(node.orelse)
    return []


def _statements(tree: ast.AST) -> dict[int, tuple[int, int]]:
    """For each hint keyword's line, the lines of the statement that holds it."""
    spans: dict[int, tuple[int, int]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            for child in ast.walk(node):
                if isinstance(child, ast.keyword) and child.arg == "hint":
                    start, end = node.lineno, node.end_lineno or node.lineno
                    old = spans.get(child.value.lineno)
                    if old is None or end - start < old[1] - old[0]:
                        spans[child.value.lineno] = (start, end)
    return spans


def internal_references() -> list[str]:
    functions, found = _functions(), []
    for path in sorted(SRC.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines, tree = source.splitlines(), ast.parse(source)
        spans = _statements(tree)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.keyword) and node.arg == "hint"):
                continue
            start, end = spans.get(node.value.lineno, (node.value.lineno, node.value.lineno))
            if any(MARK in line for line in lines[max(0, start - 2):end]):  # the line above too
                continue
            for text in _texts(node.value):
                named = sorted({w for w in WORD.findall(text) if w in functions}
                               | set(CALL.findall(text)) - SQL
                               | ({"``"} if "``" in text else set()))
                if named:
                    where = path.relative_to(SRC.parent)
                    found.append(f"{where}:{node.value.lineno}: {named} in {text!r}")
    return found


def test_no_hint_names_an_internal_function():
    found = internal_references()
    assert not found, "hints naming internals (reword, or mark '# hint: python-api'):\n" + \
        "\n".join(found)

"""The test suite itself: no exact `==`/`!=` on a float literal.

A computed float (a metric, a weight, a sum, a mean, a cost, ...) compared with `==` passes on one
machine and fails on another, or after a harmless change of summation order. Every `==`/`!=` with a
float literal on either side (also inside a tuple, list, set or dict) must either compare with
`pytest.approx(...)` or carry a `# exact: <why>` comment, saying why the value is exact (a stored
value read back, the same computation run twice, ...): trailing one of the comparison's lines, or
alone on the line just above it where a trailing comment would not fit. Comparisons of two computed
values without a literal are not found here; review them by reading.
"""

from __future__ import annotations

import ast
import io
import tokenize
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent
EXACT_MARK = "# exact:"


def _has_float_literal(node: ast.AST) -> bool:
    """A float constant, possibly signed, in an expression built of literals and operators (calls
    such as ``pytest.approx(0.5)`` or ``f(0.5)`` are not looked into)."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, float)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _has_float_literal(node.operand)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_has_float_literal(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return any(_has_float_literal(v) for v in node.values)
    if isinstance(node, ast.BinOp):
        return _has_float_literal(node.left) or _has_float_literal(node.right)
    return False


def _is_approx(node: ast.AST) -> bool:
    """``approx(...)`` or ``<anything>.approx(...)``, as pytest spells it."""
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "approx") or (
        isinstance(func, ast.Attribute) and func.attr == "approx"
    )


def _exact_lines(source: str) -> tuple[set[int], set[int]]:
    """Line numbers of ``# exact:`` comments: (trailing code, alone on their line)."""
    trailing, alone = set(), set()
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT and token.string.startswith(EXACT_MARK):
            own_line = not token.line[: token.start[1]].strip()
            (alone if own_line else trailing).add(token.start[0])
    return trailing, alone


def exact_float_comparisons(source: str, name: str = "<source>") -> list[str]:
    """``name:line: code`` for every unmarked `==`/`!=` with a float literal on a side."""
    tree = ast.parse(source, filename=name)
    trailing, alone = _exact_lines(source)
    lines = source.splitlines()
    found: set[int] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for op, left, right in zip(node.ops, sides[:-1], sides[1:], strict=True):
            if not isinstance(op, (ast.Eq, ast.NotEq)):
                continue
            if not (_has_float_literal(left) or _has_float_literal(right)):
                continue
            if _is_approx(left) or _is_approx(right):
                continue
            spanned = set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
            if trailing & spanned or node.lineno - 1 in alone:
                continue
            found.add(node.lineno)
    return [f"{name}:{n}: {lines[n - 1].strip()}" for n in sorted(found)]


def scan(root: Path) -> list[str]:
    """Every unmarked exact float comparison in the Python files under ``root``."""
    found = []
    for path in sorted(root.rglob("*.py")):
        name = str(path.relative_to(root))
        found += exact_float_comparisons(path.read_text(encoding="utf-8"), name)
    return found


def test_no_exact_comparison_with_a_float_literal_in_the_tests():
    found = scan(TESTS)
    assert not found, (
        f"{len(found)} exact comparison(s) with a float literal; use pytest.approx(..., rel=/abs=) "
        "or np.testing.assert_allclose, or add '# exact: <why>' where exactness is the point:\n"
        + "\n".join(found)
    )


def test_the_check_finds_what_it_should_and_only_that():
    source = "\n".join([
        "assert score == 0.5",                              # 1: flagged
        "assert (a, b) == (1, 2.0)",                        # 2: flagged, inside a tuple
        "assert d == {'w': [0.25, -1.5]}",                  # 3: flagged, nested in a dict
        "assert x != 1e-3",                                 # 4: flagged, !=
        "assert x.tolist() == [0.0] * 3",                   # 5: flagged, a repeated list
        "assert score == pytest.approx(0.5)",               # 6: fine, approx
        "assert [0.5] == approx([x])",                      # 7: fine, approx on the other side
        "assert v == 0.9  # exact: stored value read back", # 8: fine, marked
        "assert n == 3 and name == 'a'",                    # 9: fine, no float
        "assert f(0.5) == 1",                               # 10: fine, the float is an argument
        "assert 0 < x < 1.0",                               # 11: fine, not an equality
        "assert (a ==",                                     # 12: flagged, over two lines
        "        0.5)",
        "assert (b ==",                                     # 14: fine, marked on its 2nd line
        "        0.5)  # exact: config value",
        "# exact: same computation twice",                  # 16: marks the line below
        "assert first == 0.5 and again == 0.5",             # 17: fine
        "assert third == 0.5",                              # 18: flagged, not just below
        "x = 1  # exact: a trailing mark covers its own line only",
        "assert fourth == 0.5",                             # 20: flagged
    ])
    found = exact_float_comparisons(source, "t.py")
    assert [int(f.split(":")[1]) for f in found] == [1, 2, 3, 4, 5, 12, 18, 20]
    assert found[0] == "t.py:1: assert score == 0.5"

"""Hyperparameter checks declared as data, and the one function that applies them.

A learner declares ``param_checks = {name: (is the value valid?, what is expected)}``; the same
declaration is applied twice: by ``check_params`` when a spec is checked, before any run exists
(so a bad value is a spec error that leaves nothing behind), and at the start of ``fit`` (for
Python callers who build a learner by hand).

Whatever the learner, a hyperparameter is a plain value a spec can hold: a number, a text of at
most ``MAX_TEXT`` characters, a boolean, null, a list of at most ``MAX_ITEMS`` such values or a
mapping of at most ``MAX_ITEMS`` of them (class weights). Integers stay within 32 bits, what the
C++ libraries underneath take.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from numbers import Integral, Real
from typing import Any

from modelyard.errors import SpecError
from modelyard.learners.target_transform import EXPECTED as TRANSFORM_EXPECTED
from modelyard.learners.target_transform import TRANSFORMS

Check = tuple[Callable[[Any], bool], str]  # (is the value valid?, what was expected)

TASKS = ("binary", "multiclass", "regression")
MAX_TEXT = 1_000  # characters of a text value (a device name, a folder)
MAX_ITEMS = 100  # items of a list (layer widths) or a mapping (a weight per class)
MAX_INT = 2**31 - 1  # LightGBM, XGBoost and CatBoost read integer settings as 32-bit ints


def _is_int(v: Any) -> bool:
    return isinstance(v, Integral) and not isinstance(v, bool)


def integer(low: int = 0, high: int = MAX_INT) -> Check:
    """An int (not a bool) in [low, high]."""
    span = f">= {low}" if high == MAX_INT else f"in [{low}, {high}]"
    return lambda v: _is_int(v) and low <= v <= high, f"an integer {span}"


def number(low: float | None = None, high: float | None = None, *, open_low=False) -> Check:
    """A finite real number (not a bool) in [low, high], or (low, high] with ``open_low``."""

    def valid(v: Any) -> bool:
        if not isinstance(v, Real) or isinstance(v, bool) or not math.isfinite(v):
            return False
        return (low is None or v > low or (v == low and not open_low)) and (
            high is None or v <= high
        )

    span = f" in {'(' if open_low else '['}{low}, {'inf' if high is None else high}]"
    return valid, "a number" + (span if low is not None else "")


def choice(options: tuple[Any, ...]) -> Check:
    """One of ``options``."""
    return lambda v: _hashable(v) and v in options, "one of " + ", ".join(map(repr, options))


def optional(check: Check, meaning: str = "") -> Check:
    """None (``meaning`` says what None does) or a value that passes ``check``."""
    valid, expected = check
    none = f"None ({meaning})" if meaning else "None"
    return lambda v: v is None or valid(v), f"{none} or {expected}"


def _class_code(key: Any) -> bool:
    """0, 1, ... (a stored spec, being JSON, gives them back as '0', '1', ...)."""
    if isinstance(key, str):
        return key.isdigit() and len(key) <= 9
    return _is_int(key) and 0 <= key <= MAX_INT


def _weight(value: Any) -> bool:
    return number(0)[0](value)


CLASS_WEIGHT_CHECK: Check = (
    lambda v: v is None or v == "balanced" or (
        isinstance(v, Mapping) and 0 < len(v) <= MAX_ITEMS
        and all(_class_code(k) and _weight(w) for k, w in v.items())),
    "None, 'balanced' or a mapping {class code: weight >= 0} such as {0: 1, 1: 3}",
)
COMMON_CHECKS: dict[str, Check] = {
    "task": (lambda v: v is None or v in TASKS, "None (infer from y) or " + ", ".join(TASKS)),
    "seed": integer(0),
    "n_jobs": (lambda v: v == -1 or integer(1)[0](v), "-1 (all cores) or an integer >= 1"),
    "class_weight": CLASS_WEIGHT_CHECK,
    "target_transform": (lambda v: _hashable(v) and v in TRANSFORMS, TRANSFORM_EXPECTED),
}


def _hashable(v: Any) -> bool:
    try:
        hash(v)
    except TypeError:
        return False
    return True


def plain_problem(value: Any) -> str | None:
    """What keeps ``value`` from being a plain hyperparameter value, or None when it is one."""
    if isinstance(value, list | tuple):
        if len(value) > MAX_ITEMS:
            return f"a list of {len(value):,} items (at most {MAX_ITEMS} are taken)"
        inner = [_scalar_problem(item) for item in value]
        bad = next((p for p in inner if p), None)
        return f"a list holding {bad}" if bad else None
    if isinstance(value, Mapping):
        if len(value) > MAX_ITEMS:
            return f"a mapping of {len(value):,} entries (at most {MAX_ITEMS} are taken)"
        inner = [_scalar_problem(k) or _scalar_problem(v) for k, v in value.items()]
        bad = next((p for p in inner if p), None)
        return f"a mapping holding {bad}" if bad else None
    return _scalar_problem(value)


def _scalar_problem(value: Any) -> str | None:
    if value is None or isinstance(value, bool | float):
        return None
    if _is_int(value):
        return None if abs(value) <= MAX_INT else f"the integer {_short(value)} (beyond 32 bits)"
    if isinstance(value, Real):
        return None
    if isinstance(value, str):
        return None if len(value) <= MAX_TEXT else \
            f"a text of {len(value):,} characters (at most {MAX_TEXT:,})"
    if isinstance(value, list | tuple | Mapping):
        return "a nested list or mapping"
    return f"a {type(value).__name__}"


def check_params(learner: str, params: Mapping[str, Any], checks: Mapping[str, Check],
                 defaults: Mapping[str, Any], *, task: str | None = None) -> None:
    """Raise ``SpecError`` for the first hyperparameter in ``params`` that is not a plain value,
    fails its declared check in ``checks`` or, when ``task`` is known, does not fit that task."""
    for name, value in params.items():
        problem = plain_problem(value)
        if problem:
            raise _bad(learner, name, "a number, a text, true/false, null, a short list or a "
                       "small mapping", problem, defaults)
        if name in checks and not checks[name][0](value):
            raise _bad(learner, name, checks[name][1], _short(value), defaults)
    if task is None:
        return
    if params.get("task") not in (None, task):
        raise SpecError(
            f"learner '{learner}': parameter 'task' is {params['task']!r} but the data's task is "
            f"{task!r}",
            hint="leave model.params.task out, and set the task at the top of the spec "
            "(task: ..., flag --task)",
        )
    if task == "regression" and params.get("class_weight") is not None:
        raise SpecError(
            f"learner '{learner}': parameter 'class_weight' applies to classification; this is a "
            "regression task",
            hint="leave model.params.class_weight out for regression",
        )
    if task != "regression" and params.get("target_transform") is not None:
        raise SpecError(
            f"learner '{learner}': parameter 'target_transform' applies to regression; this is "
            f"a {task} task",
            hint="leave model.params.target_transform out for classification",
        )


def _bad(learner: str, name: str, expected: str, received: str,
         defaults: Mapping[str, Any]) -> SpecError:
    default = f" ({defaults[name]!r})" if name in defaults else ""
    return SpecError(
        f"learner '{learner}': parameter '{name}' expected {expected}; got {received}",
        hint=f"fix model.params.{name} (flag --param {name}=VALUE), or leave it out to use the "
        f"default{default}",
    )


def _short(value: Any, limit: int = 80) -> str:
    """``repr(value)``, cut to ``limit`` characters (a value may be huge)."""
    if _is_int(value) and abs(value) > MAX_INT:  # str() of a huge int may itself fail
        return f"an integer of {int(abs(value).bit_length() * math.log10(2)) + 1:,} digits"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."

"""A learner's search space (``learners/space.py``: ``Int``, ``Float``, ``Choice``) for Optuna.

A point of the space is in the *search representation* (``log2_max_bin``, ``width``); the learner's
``params_from_space`` turns it into constructor parameters. This module builds the spaces a run
searches (``learner_spaces``: the learners' own, plus the target's scale where it is worth trying)
and translates spaces and points: to Optuna distributions, into the space's bounds (for portfolio
configurations written for any data size), and into plain JSON values for the leaderboard.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from modelyard.errors import SpecError
from modelyard.learners.base import get_learner
from modelyard.learners.space import Choice, Float, Int
from modelyard.learners.target_transform import TRANSFORMS


def learner_spaces(learners: list[str], task: str, n_rows: int, n_cols: int, *,
                   log_target: bool = False) -> dict[str, dict[str, Any]]:
    """Each learner's data-sized space; with ``log_target`` (a regression target that
    ``learners.target_transform.suits_log``), ``target_transform`` None or 'log' is searched too,
    for every learner that takes it."""
    spaces = {}
    for name in learners:
        cls = get_learner(name)
        space = dict(cls.search_space(n_rows, n_cols, task))
        takes = "target_transform" in inspect.signature(cls.__init__).parameters
        if log_target and task == "regression" and takes:
            space["target_transform"] = Choice(TRANSFORMS)
        spaces[name] = space
    return spaces


def to_distributions(space: dict[str, Any]) -> dict[str, BaseDistribution]:
    """``{name: Int | Float | Choice}`` -> ``{name: optuna distribution}``."""
    out: dict[str, BaseDistribution] = {}
    for name, param in space.items():
        if isinstance(param, Int):
            out[name] = IntDistribution(int(param.low), int(param.high), log=param.log)
        elif isinstance(param, Float):
            out[name] = FloatDistribution(float(param.low), float(param.high), log=param.log)
        elif isinstance(param, Choice):
            out[name] = CategoricalDistribution(tuple(param.options))
        else:
            # hint: python-api: only code that calls modelyard directly meets it
            raise SpecError(
                f"search space entry '{name}' is a {type(param).__name__}; expected Int, Float "
                "or Choice from modelyard.learners.space",
                hint="declare every hyperparameter of search_space() with Int, Float or Choice",
            )
    return out


def fit_to_space(config: dict[str, Any], space: dict[str, Any]) -> dict[str, Any]:
    """``config`` moved into ``space``: numbers clipped to the bounds, every entry of the space set.

    A value the space does not have (an unknown key, a ``Choice`` option not offered) is replaced
    by the space's own default: the first option of a ``Choice``, the geometric (log) or arithmetic
    middle of a range. Keys of ``config`` outside the space are dropped.
    """
    out: dict[str, Any] = {}
    for name, param in space.items():
        value = config.get(name)
        if isinstance(param, Choice):
            out[name] = _nearest_option(value, param) if name in config else param.options[0]
        elif value is None or isinstance(value, bool) or not isinstance(value, int | float):
            out[name] = _middle(param)
        elif isinstance(param, Int):
            out[name] = int(min(max(round(value), param.low), param.high))
        else:
            out[name] = float(min(max(float(value), param.low), param.high))
    return out


def _nearest_option(value: Any, param: Choice) -> Any:
    """``value`` when offered; else, for numbers, the closest numeric option; else the first."""
    if value in param.options:
        return value
    numbers = [o for o in param.options if isinstance(o, int | float) and not isinstance(o, bool)]
    if numbers and isinstance(value, int | float) and not isinstance(value, bool):
        return min(numbers, key=lambda o: (abs(o - value), o))
    return param.options[0]


def _middle(param: Int | Float) -> int | float:
    if param.log:
        mid = math.sqrt(param.low * param.high)
    else:
        mid = (param.low + param.high) / 2
    return int(round(mid)) if isinstance(param, Int) else float(mid)


def plain(value: Any) -> Any:
    """A JSON-ready copy of a parameter value (numpy scalars unwrapped, tuples as lists)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def quiet_optuna() -> None:
    """Keep Optuna's per-study and per-trial INFO lines out of the output (warnings stay)."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)

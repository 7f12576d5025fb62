"""Search-space primitives a learner uses to declare its hyperparameter space.

Each learner's ``search_space(n_rows, n_cols, task)`` returns ``{name: Int | Float | Choice}``.
The search representation may differ from the library's parameter (``log2_max_bin`` -> ``max_bin``);
the learner keeps that conversion next to its space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Int:
    low: int
    high: int
    log: bool = False

    def __post_init__(self) -> None:
        assert self.low <= self.high, f"Int space needs low <= high, got {self.low} > {self.high}"


@dataclass(frozen=True)
class Float:
    low: float
    high: float
    log: bool = False

    def __post_init__(self) -> None:
        assert self.low <= self.high, f"Float space needs low <= high, got {self.low} > {self.high}"
        assert not self.log or self.low > 0, "a log-scaled Float space needs low > 0"


@dataclass(frozen=True)
class Choice:
    options: tuple[Any, ...]

    def __post_init__(self) -> None:
        assert len(self.options) > 0, "a Choice space needs at least one option"


Param = Int | Float | Choice

"""``Budget``: the one object that says how much time a search has left.

Time spent is the larger of the wall clock since the budget started and the seconds charged to it
(``charge``), divided over ``workers`` when trials run side by side. Part of the total is held back
(``reserve``) for the work after the search, the final refit and the ensemble; ``remaining()``
excludes it until ``release()`` hands it back. A budget of ``None`` seconds never runs out.

Anything with a ``remaining()`` method can be passed to a learner's ``fit(..., budget=)``: LightGBM,
XGBoost and the MLP stop when it reaches 0.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from modelyard.errors import SpecError


def _seconds(value: float, what: str, *, allow_zero: bool = True) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if not ok or value < 0 or (value == 0 and not allow_zero):
        expected = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise SpecError(f"{what}: expected {expected}, received {value!r}",
                        hint="give times in seconds, e.g. 60 or 2.5")
    return float(value)


class Budget:
    """A time budget in seconds (``None``: unlimited) with time held back for the final steps.

    ``reserve_fraction`` of the total plus ``reserve_seconds`` is held back from the start;
    ``reserve(seconds)`` holds back more later. ``clock`` is injectable for tests (default
    ``time.monotonic``); the clock starts when the budget is created.
    """

    def __init__(
        self,
        seconds: float | None,
        *,
        reserve_fraction: float = 0.0,
        reserve_seconds: float = 0.0,
        workers: int = 1,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = None if seconds is None else _seconds(seconds, "time budget", allow_zero=False)
        if not 0 <= reserve_fraction < 1:
            raise SpecError(f"reserve_fraction: expected a number in [0, 1), received "
                            f"{reserve_fraction!r}", hint="hold back e.g. 0.1 of the budget")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise SpecError(f"workers: expected an integer >= 1, received {workers!r}",
                            hint="pass the number of trials that run at once")
        self.workers = workers
        self._clock = clock
        self._started = clock()
        self._charged = 0.0
        self._reserved = 0.0
        if self.total is not None:
            self._reserved = reserve_fraction * self.total
            self._reserved += _seconds(reserve_seconds, "reserve_seconds")

    # -- reading --------------------------------------------------------------------------------
    @property
    def elapsed(self) -> float:
        """Wall-clock seconds since the budget started."""
        return self._clock() - self._started

    @property
    def spent(self) -> float:
        """Seconds used: wall clock or charged work per worker, whichever is larger."""
        return max(self.elapsed, self._charged / self.workers)

    @property
    def charged(self) -> float:
        """Seconds charged by ``charge`` (summed over every worker)."""
        return self._charged

    @property
    def reserved(self) -> float:
        """Seconds currently held back from ``remaining()``."""
        return self._reserved

    @property
    def limited(self) -> bool:
        """Whether the budget has a limit at all."""
        return self.total is not None

    def remaining(self) -> float:
        """Seconds left for new work, the reserve excluded (``inf`` when unlimited; never < 0)."""
        if self.total is None:
            return math.inf
        return max(0.0, self.total - self.spent - self._reserved)

    def left(self) -> float:
        """Seconds left in total, the reserve included (``inf`` when unlimited)."""
        if self.total is None:
            return math.inf
        return max(0.0, self.total - self.spent)

    @property
    def exhausted(self) -> bool:
        """True once no time is left for new work."""
        return self.remaining() <= 0

    def can_afford(self, estimate: float) -> bool:
        """Whether work estimated at ``estimate`` seconds fits in what is left."""
        return _seconds(estimate, "cost estimate") <= self.remaining()

    # -- writing --------------------------------------------------------------------------------
    def charge(self, seconds: float) -> None:
        """Record ``seconds`` of work (a trial's duration, in any worker)."""
        self._charged += _seconds(seconds, "charged time")

    def reserve(self, seconds: float) -> None:
        """Hold back ``seconds`` more for the final steps (capped at what is left)."""
        seconds = _seconds(seconds, "reserved time")
        if self.total is not None:
            self._reserved = min(self._reserved + seconds, self.left())

    def release(self) -> float:
        """Hand the reserve back to ``remaining()``, for the final steps; returns the seconds."""
        released, self._reserved = self._reserved, 0.0
        return released

    def share(self, *, at_least: float = 0.0, reserve_fraction: float = 0.0,
              workers: int = 1) -> Budget:
        """A budget for one part of the work: what ``remaining()`` has now (at least
        ``at_least`` seconds), on the same clock; unlimited when this one is. The part spends
        wall-clock time, so this budget sees it spent too."""
        seconds = None if self.total is None else max(self.remaining(), at_least)
        if seconds is not None and seconds <= 0:
            seconds = 1e-3  # nothing left: the part stops at its first check
        return Budget(seconds, reserve_fraction=reserve_fraction, workers=workers,
                      clock=self._clock)

    def __repr__(self) -> str:
        if self.total is None:
            return "Budget(unlimited)"
        return (f"Budget({self.total:g} s: {self.spent:.1f} spent, "
                f"{self._reserved:.1f} reserved, {self.remaining():.1f} remaining)")

"""Budget arithmetic: wall clock, charges, the reserve, and unlimited budgets."""

from __future__ import annotations

import math

import pytest

from modelyard.errors import SpecError
from modelyard.search.budget import Budget


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_remaining_follows_the_clock_and_never_goes_negative():
    clock = FakeClock()
    budget = Budget(60, clock=clock)
    assert budget.remaining() == pytest.approx(60)
    clock.now += 15
    assert budget.remaining() == pytest.approx(45)
    assert budget.can_afford(45) and not budget.can_afford(45.1)
    clock.now += 100
    assert budget.remaining() == pytest.approx(0, abs=1e-12) and budget.exhausted


def test_charges_count_when_they_exceed_the_wall_clock():
    clock = FakeClock()
    budget = Budget(60, clock=clock)
    budget.charge(20)
    assert budget.spent == pytest.approx(20) and budget.remaining() == pytest.approx(40)
    clock.now += 30  # the wall clock is ahead again
    assert budget.remaining() == pytest.approx(30)


def test_charges_are_shared_over_parallel_workers():
    budget = Budget(60, workers=2, clock=FakeClock())
    budget.charge(20)
    budget.charge(20)
    assert budget.charged == pytest.approx(40) and budget.remaining() == pytest.approx(40)


def test_reserve_is_held_back_until_released():
    clock = FakeClock()
    budget = Budget(100, reserve_fraction=0.1, reserve_seconds=5, clock=clock)
    assert budget.reserved == pytest.approx(15) and budget.remaining() == pytest.approx(85)
    budget.reserve(10)
    assert budget.remaining() == pytest.approx(75) and budget.left() == pytest.approx(100)
    clock.now += 80
    assert budget.exhausted and budget.left() == pytest.approx(20)
    assert budget.release() == pytest.approx(25)
    assert budget.remaining() == pytest.approx(20) and not budget.exhausted


def test_reserve_is_capped_at_what_is_left():
    clock = FakeClock()
    budget = Budget(10, clock=clock)
    clock.now += 8
    budget.reserve(50)
    assert budget.reserved == pytest.approx(2) and budget.remaining() == pytest.approx(0, abs=1e-12)


def test_an_unlimited_budget_never_runs_out():
    budget = Budget(None, reserve_fraction=0.5)
    budget.charge(1e6)
    budget.reserve(10)
    assert budget.remaining() == math.inf and not budget.exhausted and not budget.limited
    assert budget.can_afford(1e9)


@pytest.mark.parametrize("kwargs", [{"seconds": 0}, {"seconds": -1}, {"seconds": float("nan")},
                                    {"seconds": 10, "reserve_fraction": 1.0},
                                    {"seconds": 10, "workers": 0}])
def test_invalid_budgets_are_spec_errors_with_a_hint(kwargs):
    with pytest.raises(SpecError) as err:
        Budget(**kwargs)
    assert err.value.hint


def test_negative_charges_are_refused():
    with pytest.raises(SpecError, match="charged time"):
        Budget(10).charge(-1)


def test_a_share_spends_the_same_clock_and_gets_what_is_left():
    now = [0.0]
    budget = Budget(60, clock=lambda: now[0])
    budget.reserve(9)
    now[0] = 11.0
    part = budget.share(reserve_fraction=0.1, workers=2)
    assert part.total == pytest.approx(40) and part.reserved == pytest.approx(4)
    now[0] = 31.0  # the part's time is the parent's time
    assert part.remaining() == pytest.approx(16) and budget.remaining() == pytest.approx(20)
    assert budget.share(at_least=30).total == pytest.approx(30)  # a floor for the part
    assert Budget(None).share().total is None

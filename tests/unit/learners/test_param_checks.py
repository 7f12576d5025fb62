"""Hyperparameter checks: every learner declares one for each hyperparameter, its search space
stays inside them, and values no learner can take (huge, nested, of another type) are refused
with the parameter, what was expected and what was received."""

from __future__ import annotations

import inspect
import itertools

import pytest

from modelyard.errors import SpecError
from modelyard.learners.base import available
from modelyard.learners.params import COMMON_CHECKS, MAX_ITEMS, plain_problem
from modelyard.learners.space import Float, Int

LEARNERS = sorted(available())


def _hyperparameters(cls) -> set[str]:
    return set(inspect.signature(cls.__init__).parameters) - {"self"}


@pytest.mark.parametrize("name", LEARNERS)
def test_every_hyperparameter_has_a_declared_check(name):
    cls = available()[name]
    declared = set(COMMON_CHECKS) | set(cls.param_checks)
    assert _hyperparameters(cls) <= declared, sorted(_hyperparameters(cls) - declared)


@pytest.mark.parametrize("name", LEARNERS)
def test_the_defaults_pass_the_checks(name):
    cls = available()[name]
    defaults = {k: p.default for k, p in inspect.signature(cls.__init__).parameters.items()
                if k != "self"}
    cls.check_params(defaults)


def _corners(space: dict) -> list[dict]:
    """Each end of every range and every option, combined one parameter at a time."""
    base = {k: (v.low if isinstance(v, Int | Float) else v.options[0]) for k, v in space.items()}
    points = [base]
    for key, value in space.items():
        ends = [value.low, value.high] if isinstance(value, Int | Float) else list(value.options)
        points += [{**base, key: end} for end in ends]
    return points


@pytest.mark.parametrize("name", LEARNERS)
def test_the_search_space_stays_inside_the_checks(name):
    cls = available()[name]
    for task, n_rows in itertools.product(cls.tasks, (50, 5_000, 2_000_000)):
        for point in _corners(cls.search_space(n_rows, 12, task)):
            cls.check_params(cls.params_from_space(point), task)


@pytest.mark.parametrize(("params", "says"), [
    ({"C": 10**400}, "an integer of 401 digits"),
    ({"C": [1.0] * (MAX_ITEMS + 1)}, f"a list of {MAX_ITEMS + 1} items"),
    ({"class_weight": {0: {"nested": 1}}}, "a nested list or mapping"),
    ({"class_weight": {"Yes": 2.0}}, "{class code: weight >= 0}"),
    ({"class_weight": {0: -1.0}}, "{class code: weight >= 0}"),
    ({"max_iter": 2**40}, "beyond 32 bits"),
    ({"tol": "x" * 5000}, "a text of 5,000 characters"),
    ({"C": float("inf")}, "expected a number in (0, inf]; got inf"),
    ({"C": True}, "expected a number in (0, inf]; got True"),
])
def test_values_a_learner_cannot_take_are_refused(params, says):
    cls = available()["logistic"]
    with pytest.raises(SpecError) as caught:
        cls.check_params(params)
    assert says in caught.value.message
    assert len(caught.value.message) < 300  # a huge value is described, never printed whole
    assert f"model.params.{next(iter(params))}" in caught.value.hint


def test_class_codes_read_back_from_json_are_codes():
    cls = available()["lightgbm"]
    cls.check_params({"class_weight": {"0": 1.0, "1": 3.0}}, "binary")


@pytest.mark.parametrize(("name", "params", "task", "says"), [
    ("lightgbm", {"class_weight": "balanced"}, "regression", "applies to classification"),
    ("random_forest", {"target_transform": "log"}, "binary", "applies to regression"),
    ("logistic", {"task": "multiclass"}, "binary", "the data's task is 'binary'"),
    ("mlp", {"loss": "mse"}, "binary", "'mse' does not fit a binary task"),
    ("lightgbm", {"num_leaves": 200_000}, "binary", "an integer in [2, 131072]"),
])
def test_values_that_do_not_fit_the_task_or_the_library_are_refused(name, params, task, says):
    with pytest.raises(SpecError, match="parameter") as caught:
        available()[name].check_params(params, task)
    assert says in caught.value.message


def test_plain_values_pass():
    for value in (None, True, 3, 0.5, "balanced", [128, 64], (16,), {0: 1.0, 1: 2.5}):
        assert plain_problem(value) is None, value

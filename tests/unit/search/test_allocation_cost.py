"""Learner choice by expected improvement per second, cost estimates, and the search space."""

from __future__ import annotations

import math

import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

from modelyard.errors import SpecError
from modelyard.learners.base import get_learner
from modelyard.learners.space import Choice, Float, Int
from modelyard.search.allocation import (
    expected_improvement,
    improvement_per_second,
    rank_learners,
)
from modelyard.search.cost import CostModel
from modelyard.search.portfolio import portfolio_for
from modelyard.search.space import fit_to_space, learner_spaces, to_distributions


def test_expected_improvement_closed_form():
    assert expected_improvement(0.0, 1.0, 0.0) == pytest.approx(1 / math.sqrt(2 * math.pi))
    assert expected_improvement(5.0, 1e-6, 0.0) == pytest.approx(5.0)
    assert expected_improvement(-5.0, 1.0, 0.0) < 1e-5


def test_untried_learners_come_first_then_improvement_per_second():
    utilities = {"a": [0.80, 0.82], "b": [0.81, 0.79], "c": []}
    scores = improvement_per_second(utilities, {"a": 1.0, "b": 1.0, "c": 50.0})
    assert scores["c"] == math.inf
    assert rank_learners(scores)[0] == "c"
    cheap = improvement_per_second(utilities, {"a": 10.0, "b": 0.1})
    assert rank_learners(cheap) == ["b", "a"]  # b is a bit worse but 100 times cheaper


def test_cost_model_learns_the_machine_speed_from_trials():
    cost = CostModel(fit_rows=1000, n_cols=10, n_folds=5, task="binary")
    prior = cost.estimate("lightgbm", {"n_estimators": 100})
    assert prior == pytest.approx(cost.prior("lightgbm", {"n_estimators": 100}), rel=1e-9)
    assert prior > 0
    assert cost.prior("lightgbm", {"n_estimators": 400}) > prior
    cost.observe("lightgbm", {"n_estimators": 100}, seconds=3 * prior)
    assert cost.estimate("lightgbm", {"n_estimators": 100}) == pytest.approx(3 * prior)
    assert cost.estimate("lightgbm", {"n_estimators": 100}, learned=False) == \
        pytest.approx(prior, rel=1e-9)
    # a learner without trials borrows the ratio of the others
    forest = cost.prior("random_forest", {"n_estimators": 100})
    assert cost.estimate("random_forest", {"n_estimators": 100}) == pytest.approx(3 * forest)


def test_search_space_becomes_optuna_distributions():
    space = {"n": Int(2, 64, log=True), "lr": Float(0.01, 0.3), "cw": Choice((None, "balanced"))}
    dists = to_distributions(space)
    assert dists["n"] == IntDistribution(2, 64, log=True)
    assert dists["lr"] == FloatDistribution(0.01, 0.3)
    assert dists["cw"] == CategoricalDistribution((None, "balanced"))
    with pytest.raises(SpecError, match="Int, Float or Choice"):
        to_distributions({"bad": (1, 2)})


def test_configs_are_moved_into_the_data_sized_space():
    space = get_learner("lightgbm").search_space(300, 10, "binary")
    config = fit_to_space({"n_estimators": 5000, "num_leaves": 255, "unknown": 1,
                           "class_weight": "sometimes"}, space)
    assert config["n_estimators"] == space["n_estimators"].high == 300
    assert config["num_leaves"] == space["num_leaves"].high
    assert config["class_weight"] is None and "unknown" not in config
    assert set(config) == set(space)
    mlp = get_learner("mlp").search_space(300, 10, "binary")
    assert fit_to_space({"batch_size": 256}, mlp)["batch_size"] == max(mlp["batch_size"].options)


def test_portfolio_covers_every_learner_once_at_least_and_fits_the_space():
    learners = ["lightgbm", "logistic", "random_forest"]
    cost = CostModel(fit_rows=200, n_cols=19, n_folds=3, task="binary")
    entries = portfolio_for(learners, "binary", cost, learner_spaces(learners, "binary", 200, 19))
    assert {name for name, _ in entries} == set(learners)
    for name, config in entries:
        space = get_learner(name).search_space(200, 19, "binary")
        assert fit_to_space(config, space) == config
    assert len({(n, repr(sorted(c.items()))) for n, c in entries}) == len(entries)
    plugin_free = portfolio_for(["xgboost"], "regression", cost,
                                learner_spaces(["xgboost"], "regression", 200, 5))
    assert plugin_free and all(name == "xgboost" for name, _ in plugin_free)

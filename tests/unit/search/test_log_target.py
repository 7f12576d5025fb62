"""The search tries a right-skewed, non-negative regression target on a log scale too: the
searched spaces, the portfolio, and a whole search on the committed house_prices_ames slice."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import load_table
from modelyard.learners.space import Choice
from modelyard.search import search
from modelyard.search.cost import CostModel
from modelyard.search.portfolio import portfolio_for
from modelyard.search.space import learner_spaces

LEARNERS = ["linear", "lightgbm", "random_forest", "mlp"]


@pytest.fixture(scope="module")
def ames():
    return load_table("house_prices_ames.csv", "SalePrice", "regression")


def test_the_log_scale_is_searched_only_for_regression_targets_that_suit_it():
    spaces = learner_spaces(LEARNERS, "regression", 500, 10, log_target=True)
    for name in LEARNERS:
        assert spaces[name]["target_transform"] == Choice((None, "log"))
    plain = learner_spaces(LEARNERS, "regression", 500, 10, log_target=False)
    assert not any("target_transform" in space for space in plain.values())
    classify = learner_spaces(["logistic", "lightgbm"], "binary", 500, 10, log_target=True)
    assert not any("target_transform" in space for space in classify.values())


def test_the_portfolio_adds_log_target_entries_only_where_the_space_has_them():
    cost = CostModel(fit_rows=500, n_cols=10, n_folds=3, task="regression")
    logged = portfolio_for(LEARNERS, "regression", cost,
                           learner_spaces(LEARNERS, "regression", 500, 10, log_target=True))
    on_log = {name for name, config in logged if config.get("target_transform") == "log"}
    assert on_log == {"linear", "lightgbm", "mlp"}
    plain = portfolio_for(LEARNERS, "regression", cost,
                          learner_spaces(LEARNERS, "regression", 500, 10, log_target=False))
    assert not any("target_transform" in config for _, config in plain)
    assert len(logged) == len(plain) + 3  # one log entry each; none collapses into a plain one


def test_a_search_on_house_prices_tries_the_log_scale_and_predicts_dollars(ames):
    result = search(ames.frame, ames.y, schema=ames.schema, task="regression",
                    learners=["linear", "lightgbm"], max_trials=6, folds=3, seed=0)
    records = result.leaderboard.to_records()
    transforms = {r["params"].get("target_transform") for r in records if r["status"] == "ok"}
    assert transforms == {None, "log"}
    assert any("right-skewed" in note for note in result.notes)
    pred = result.model.predict(ames.frame)
    assert 0.5 * ames.y.mean() < pred.mean() < 1.5 * ames.y.mean()  # dollars, not log-dollars


def test_a_target_with_negative_values_is_never_logged(ames):
    centred = ames.y - np.median(ames.y)
    result = search(ames.frame, centred, schema=ames.schema, task="regression",
                    learners=["linear", "lightgbm"], max_trials=4, folds=3, seed=0)
    records = result.leaderboard.to_records()
    assert all("target_transform" not in r["params"] for r in records)
    assert not any("right-skewed" in note for note in result.notes)

"""The learner bases are abstract: a learner that forgets a method fails when it is built (or,
for the prediction a task needs, when its class is defined), not at its first call."""

from __future__ import annotations

import numpy as np
import pytest

from modelyard.learners.base import Learner
from modelyard.learners.tabular import TabularLearner


def test_a_learner_without_predict_or_load_cannot_be_instantiated():
    class NoPredict(Learner):
        def fit(self, X, y, *, eval_set=None, budget=None):
            return self

        def save(self, directory):
            return None

    with pytest.raises(TypeError, match="abstract method.*load.*predict"):
        NoPredict()


def test_a_tabular_learner_without_a_save_hook_cannot_be_instantiated():
    class NoSave(TabularLearner):
        def _fit_model(self, X, y, eval_set, budget):
            self.mean_ = float(np.mean(y))

        def _load_model(self, directory, model_meta):
            return None

    with pytest.raises(TypeError, match="abstract method.*_save_model"):
        NoSave()


def test_a_learner_serving_a_task_it_cannot_predict_fails_when_defined():
    with pytest.raises(TypeError, match=r"'no_values'\) serves binary, regression but does not "
                                        "implement _values"):
        class NoValues(TabularLearner):  # noqa: F841 - defining it is the test
            name = "no_values"
            tasks = ("binary", "regression")

            def _proba(self, X):
                return np.full((len(X), 2), 0.5)

    class Unnamed(TabularLearner):  # a family's shared base: no name, no tasks checked yet
        tasks = ("regression",)

    assert Unnamed.__name__ == "Unnamed"

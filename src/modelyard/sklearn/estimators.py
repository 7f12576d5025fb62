"""The four estimators: one named learner (``Classifier``, ``Regressor``) or a budgeted search
(``AutoClassifier``, ``AutoRegressor``). Each ``__init__`` stores its arguments and nothing else;
they are read in ``fit``."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.schema import Schema
from modelyard.model import EnsembleBundle, Labels, ModelBundle, fit_model
from modelyard.search import search
from modelyard.sklearn.base import ClassifierBase, RegressorBase
from modelyard.sklearn.inputs import InvalidParameter, seed_of


# -- one learner ------------------------------------------------------------------------------
def _threads(n_jobs: Any) -> int | None:
    """A learner's threads for ``n_jobs``: None keeps the learner's default, -1 is every CPU."""
    if n_jobs is None:
        return None
    if n_jobs == -1:
        return os.cpu_count() or 1
    if isinstance(n_jobs, int) and not isinstance(n_jobs, bool) and n_jobs >= 1:
        return n_jobs
    # hint: python-api: only code that calls modelyard directly meets it
    raise InvalidParameter(f"n_jobs must be None, -1 or an integer >= 1; got {n_jobs!r}",
                           hint="e.g. n_jobs=4")


def _fit_learner(est: Any, frame: pd.DataFrame, y: np.ndarray, schema: Schema, task: str,
                 labels: Labels | None) -> ModelBundle:
    """``est.learner`` with ``est.params`` fitted on every row: no rows are held out, so a
    learner that can stop early (boosters, networks) trains its configured number of rounds."""
    params = {} if est.params is None else dict(est.params)
    fitted = fit_model(frame, y, schema=schema, task=task, learner=est.learner, params=params,
                       labels=labels, seed=seed_of(est.random_state),
                       threads=_threads(est.n_jobs))
    return fitted.bundle


class _OneLearner:
    """The parameters and fit of the one-learner estimators."""

    def __init__(self, learner: str = "lightgbm", params: dict[str, Any] | None = None,
                 random_state: Any = None, n_jobs: int | None = None) -> None:
        self.learner = learner
        self.params = params
        self.random_state = random_state
        self.n_jobs = n_jobs

    def _fit_bundle(self, frame, y, schema, task, labels):
        return _fit_learner(self, frame, y, schema, task, labels)


class Classifier(_OneLearner, ClassifierBase):
    """One modelyard learner as a scikit-learn classifier.

    ``learner``: a learner name (``modelyard learners`` lists them: 'lightgbm', 'logistic',
    'random_forest', ...). ``params``: a dict of its hyperparameters (None: its defaults).
    ``random_state``: the seed (None is 0). ``n_jobs``: the learner's threads (None: its default).
    Fitted attributes: ``model_`` (a ``ModelBundle``), ``classes_``, ``n_features_in_`` and,
    for DataFrames with string column names, ``feature_names_in_``.
    """


class Regressor(_OneLearner, RegressorBase):
    """One modelyard learner as a scikit-learn regressor (parameters as for ``Classifier``;
    'linear' is ridge regression)."""


# -- a search ---------------------------------------------------------------------------------
def _parallel(n_jobs: Any) -> int | str:
    """The search's trials at once for ``n_jobs``: None is 1, -1 is 'auto' (one per CPU)."""
    if n_jobs is None:
        return 1
    return "auto" if n_jobs == -1 else n_jobs


def _fit_search(est: Any, frame: pd.DataFrame, y: np.ndarray, schema: Schema, task: str,
                labels: Labels | None) -> ModelBundle | EnsembleBundle:
    """modelyard's search on every row (validated on its own folds or holdout); sets
    ``leaderboard_`` (one row per trial, best first) and ``oof_score_`` on ``est``."""
    learners = None if est.learners is None else list(est.learners)
    result = search(frame[schema.names], y, schema=schema, task=task, metric=est.metric,
                    time_budget=est.time_budget, max_trials=est.max_trials, learners=learners,
                    parallel=_parallel(est.n_jobs), seed=seed_of(est.random_state),
                    labels=labels)
    est.leaderboard_ = result.leaderboard.table().to_frame()  # as modelyard.train's, best first
    est.oof_score_ = result.oof_score
    return result.model


class _Search:
    """The parameters and fit of the search estimators. A search bounded by time may try more or
    fewer configurations from one fit to the next: the tags say so."""

    def __init__(self, time_budget: float | None = 60.0, max_trials: int | None = None,
                 learners: list[str] | None = None, metric: str | None = None,
                 random_state: Any = None, n_jobs: int | None = None) -> None:
        self.time_budget = time_budget
        self.max_trials = max_trials
        self.learners = learners
        self.metric = metric
        self.random_state = random_state
        self.n_jobs = n_jobs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = self.time_budget is not None
        return tags

    def _fit_bundle(self, frame, y, schema, task, labels):
        return _fit_search(self, frame, y, schema, task, labels)


class AutoClassifier(_Search, ClassifierBase):
    """modelyard's AutoML search as a scikit-learn classifier.

    ``time_budget``: seconds for the whole search (None: bounded by ``max_trials`` alone).
    ``max_trials``: most configurations to try. ``learners``: names to search (None: the
    search's defaults). ``metric``: what the search optimises (None: 'roc_auc' for two classes,
    'accuracy' for more). ``random_state``: the seed (None is 0). ``n_jobs``: trials at once
    (None is 1; -1 one per CPU, in worker processes: guard the script with
    ``if __name__ == "__main__":``). Fitted: ``model_`` (a ``ModelBundle`` or an ensemble),
    ``leaderboard_`` (a DataFrame of the trials, best first), ``oof_score_``, ``classes_``.
    """


class AutoRegressor(_Search, RegressorBase):
    """modelyard's AutoML search as a scikit-learn regressor (parameters as for
    ``AutoClassifier``; the default metric is 'rmse')."""

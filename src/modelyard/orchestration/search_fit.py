"""Fit by searching: learners, hyperparameters and an ensemble under the spec's budget.

The search sees the training and validation rows together (it validates every trial by k-fold
bagging or its own holdout); the test rows stay sealed for the final evaluation.

The time budget covers the whole ``modelyard train``, not only the trials: the search gets what is
left after the evaluation's measured extras (permutation importance and latency, whose seconds
``extras_seconds`` fixes from the budget), and the model's in-sample ("train") metrics are scored
on a seeded sample of at most ``TRAIN_METRIC_ROWS`` rows, because a bagged ensemble predicts with
every fold model of every member. What remains on top is reading the data, saving, scoring the
test rows once and registering.
"""

from __future__ import annotations

import time

import numpy as np

from modelyard.data.dataset import Dataset
from modelyard.data.split import Split
from modelyard.evaluation.leaderboard import Leaderboard
from modelyard.model import EnsembleBundle, Labels
from modelyard.model.bundle import FORMAT_NAME as BUNDLE_FORMAT
from modelyard.model.ensemble import FORMAT_NAME as ENSEMBLE_FORMAT
from modelyard.model.fit import cpu_clock
from modelyard.orchestration.evaluate import extras_seconds
from modelyard.orchestration.fit import Fitted, part_metrics
from modelyard.search import search
from modelyard.spec.models import EvaluationSpec
from modelyard.spec.search import SearchSpec

TRAIN_METRIC_ROWS = 2_000  # rows a searched model's in-sample metrics are scored on (as importance)
MIN_SEARCH_SHARE = 0.5  # the search keeps at least this share of a small budget


def search_model(
    spec: SearchSpec,
    dataset: Dataset,
    split: Split,
    y: np.ndarray,
    labels: Labels | None,
    *,
    seed: int,
    threshold_metric: str | None,
    on_step,
    evaluation: EvaluationSpec | None = None,
) -> Fitted:
    """Run the search on the train + validation rows and describe the model it returns.

    ``evaluation``: the final evaluation that will follow (None: none will), whose measured
    extras the time budget has to leave room for.
    """
    rows = np.sort(np.concatenate([split.train, split.validation]))
    frame = dataset.frame.iloc[rows][dataset.features]
    seconds, notes = search_seconds(spec.time_budget, evaluation)
    bound = f"{seconds:.3g} s" if seconds else f"{spec.max_trials} trials"
    on_step(f"searching learners and hyperparameters ({bound})")
    started, cpu_started = time.perf_counter(), cpu_clock()
    result = search(
        frame,
        y[rows],
        schema=dataset.schema,
        task=dataset.task,
        metric=spec.metric,
        time_budget=seconds,
        max_trials=spec.max_trials,
        learners=spec.learners,
        folds=spec.folds,
        parallel=spec.parallel,
        seed=seed,
        ensemble=spec.ensemble,
        labels=labels,
        threshold_metric=threshold_metric,
    )
    fit_seconds = time.perf_counter() - started
    model = result.model
    is_ensemble = isinstance(model, EnsembleBundle)
    scored = train_metric_rows(len(rows), seed)
    if len(scored) < len(rows):
        notes.append(f"train metrics on a seeded sample of {len(scored):,} of the {len(rows):,} "
                     "rows the search saw")
    metrics = {
        "train": part_metrics(model, model.transform(frame.iloc[scored]), y[rows][scored]),
        "validation": {result.metric: result.oof_score},  # out-of-fold: rows unseen by a fold
    }
    best = result.best_single
    params = {
        "search_metric": result.metric,
        "search_validation": result.validation,
        "search_time_budget": spec.time_budget,
        "search_max_trials": spec.max_trials,
        "search_parallel": result.parallel,
        "search_trials": len(result.leaderboard),
        "best_learner": best["learner"],
        **{f"best_{k}": v for k, v in best["params"].items()},
    }
    return Fitted(
        model,
        metrics,
        fit_seconds=fit_seconds,
        cpu_seconds=cpu_clock() - cpu_started,
        params=params,
        learner="ensemble" if is_ensemble else best["learner"],
        format=ENSEMBLE_FORMAT if is_ensemble else BUNDLE_FORMAT,
        leaderboard=Leaderboard(result.leaderboard.metric, result.leaderboard.greater_is_better,
                                tuple(result.leaderboard.to_records())),
        notes=notes + list(result.notes),
    )


def search_seconds(time_budget: float | None,
                   evaluation: EvaluationSpec | None) -> tuple[float | None, list[str]]:
    """The search's share of ``time_budget``: the budget less the measured extras ``evaluation``
    asks for, at least ``MIN_SEARCH_SHARE`` of it; with a note saying so."""
    if time_budget is None:
        return None, []
    importance, latency = extras_seconds(time_budget)
    held = 0.0 if evaluation is None else \
        importance * evaluation.importance + latency * evaluation.latency
    if held == 0:
        return time_budget, []
    seconds = max(MIN_SEARCH_SHARE * time_budget, time_budget - held)
    return seconds, [f"the search had {seconds:.3g} s of the {time_budget:g} s budget; the rest "
                     "is held for the evaluation's importance and latency measurements"]


def train_metric_rows(n_rows: int, seed: int) -> np.ndarray:
    """Sorted positions of the rows the in-sample metrics are scored on: all of them, or a
    seeded sample of ``TRAIN_METRIC_ROWS``."""
    if n_rows <= TRAIN_METRIC_ROWS:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, TRAIN_METRIC_ROWS, replace=False))

"""Fit by searching: learners, hyperparameters and an ensemble under the spec's budget.

The search sees the training and validation rows together (it validates every trial by k-fold
bagging or its own holdout); the test rows stay sealed for the final evaluation.

The time budget covers the whole ``modelyard train``, not only the trials: one ``Budget`` is made
when the run starts, the evaluation's measured extras (permutation importance and latency) reserve
their share of it (``reserve_extras``), and the search gets what is left (at least
``MIN_SEARCH_SHARE`` of the budget); the model's in-sample ("train") metrics are scored
on a seeded sample of at most ``TRAIN_METRIC_ROWS`` rows, because a bagged ensemble predicts with
every fold model of every member. What remains on top is reading the data, saving, scoring the
test rows once and registering.
"""

from __future__ import annotations

import time

import numpy as np

from modelyard.data.dataset import Dataset
from modelyard.data.split import Split
from modelyard.model import EnsembleBundle, Labels
from modelyard.model.bundle import FORMAT_NAME as BUNDLE_FORMAT
from modelyard.model.ensemble import FORMAT_NAME as ENSEMBLE_FORMAT
from modelyard.model.fit import cpu_clock
from modelyard.orchestration.evaluate import MIN_SEARCH_SHARE
from modelyard.orchestration.fit import Fitted, part_metrics
from modelyard.search import search
from modelyard.search.budget import Budget
from modelyard.spec.search import SearchSpec

TRAIN_METRIC_ROWS = 2_000  # rows a searched model's in-sample metrics are scored on (as importance)


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
    budget: Budget,
) -> Fitted:
    """Run the search on the train + validation rows and describe the model it returns.

    ``budget``: the run's budget, with the final evaluation's extras already reserved; the
    search spends what it has left.
    """
    rows = np.sort(np.concatenate([split.train, split.validation]))
    frame = dataset.frame.iloc[rows][dataset.features]
    share, notes = search_share(budget)
    seconds = share.total
    bound = f"{seconds:.3g} s" if seconds else f"{spec.max_trials} trials"
    on_step(f"searching learners and hyperparameters ({bound})")
    started, cpu_started = time.perf_counter(), cpu_clock()
    result = search(
        frame,
        y[rows],
        schema=dataset.schema,
        task=dataset.task,
        metric=spec.metric,
        time_budget=share,
        max_trials=spec.max_trials,
        learners=spec.learners,
        folds=spec.folds,
        parallel=spec.parallel,
        seed=seed,
        ensemble=spec.ensemble,
        labels=labels,
        threshold_metric=threshold_metric,
        deploy=spec.deploy,
        max_latency_ms=spec.max_latency_ms,
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
        "search_deploy": spec.deploy,
        "search_max_latency_ms": spec.max_latency_ms,
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
        leaderboard=result.leaderboard.table(),
        notes=notes + list(result.notes),
        deployment=result.deployment,
    )


def search_share(budget: Budget) -> tuple[Budget, list[str]]:
    """The search's part of the run's ``budget``: what it has left (at least
    ``MIN_SEARCH_SHARE`` of the total), with a note when time is held for the evaluation."""
    if not budget.limited:
        return budget.share(), []
    share = budget.share(at_least=MIN_SEARCH_SHARE * budget.total)
    if budget.reserved <= 0:
        return share, []
    return share, [f"the search had {share.total:.3g} s of the {budget.total:g} s budget; "
                   f"{budget.reserved:.3g} s is held for the evaluation's importance and latency "
                   "measurements, and the rest went to reading and splitting the data"]


def train_metric_rows(n_rows: int, seed: int) -> np.ndarray:
    """Sorted positions of the rows the in-sample metrics are scored on: all of them, or a
    seeded sample of ``TRAIN_METRIC_ROWS``."""
    if n_rows <= TRAIN_METRIC_ROWS:
        return np.arange(n_rows)
    return np.sort(np.random.default_rng(seed).choice(n_rows, TRAIN_METRIC_ROWS, replace=False))

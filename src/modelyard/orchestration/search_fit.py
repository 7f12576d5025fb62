"""Fit by searching: learners, hyperparameters and an ensemble under the spec's budget.

The search sees the training and validation rows together (it validates every trial by k-fold
bagging or its own holdout); the test rows stay sealed for the final evaluation.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from modelyard.data.dataset import Dataset
from modelyard.data.split import Split
from modelyard.learners.ensemble import FORMAT_NAME as ENSEMBLE_FORMAT
from modelyard.orchestration.fit import Fitted, cpu_clock, part_metrics
from modelyard.search import EnsembleBundle, search
from modelyard.spec.search import SearchSpec


def search_model(
    spec: SearchSpec,
    dataset: Dataset,
    split: Split,
    y: np.ndarray,
    classes: list[Any] | None,
    *,
    seed: int,
    threshold_metric: str | None,
    on_step,
) -> Fitted:
    """Run the search on the train + validation rows and describe the model it returns."""
    rows = np.sort(np.concatenate([split.train, split.validation]))
    frame = dataset.frame.iloc[rows][dataset.features]
    bound = f"{spec.time_budget:g} s" if spec.time_budget else f"{spec.max_trials} trials"
    on_step(f"searching learners and hyperparameters ({bound})")
    started, cpu_started = time.perf_counter(), cpu_clock()
    result = search(
        frame,
        y[rows],
        schema=dataset.schema,
        task=dataset.task,
        metric=spec.metric,
        time_budget=spec.time_budget,
        max_trials=spec.max_trials,
        learners=spec.learners,
        folds=spec.folds,
        parallel=spec.parallel,
        seed=seed,
        ensemble=spec.ensemble,
        classes=classes,
        threshold_metric=threshold_metric,
    )
    fit_seconds = time.perf_counter() - started
    model = result.model
    is_ensemble = isinstance(model, EnsembleBundle)
    metrics = {
        "train": part_metrics(model, model.transform(frame), y[rows]),
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
        format=ENSEMBLE_FORMAT if is_ensemble else "modelyard.bundle",
        leaderboard=result.leaderboard.to_records(),
        notes=list(result.notes),
    )

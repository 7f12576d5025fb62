"""``search``: the best model a time budget (or a trial count) can buy, and what was tried.

It receives only the rows it may learn from (training, plus validation if the caller merges them);
test rows never reach it. The work lives elsewhere: validation plan (``bagging``), proposals
(``searcher``), running trials (``runner``), the final model (``final``). This function wires them.

With ``parallel > 1`` (or ``"auto"`` on a machine with several cores) trials run in worker processes
started with the *spawn* method: a script that calls ``search`` must guard its entry point with
``if __name__ == "__main__":``. That is why ``parallel`` defaults to 1 here, while the spec (and so
the CLI) defaults to ``"auto"``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.schema import Schema
from modelyard.errors import DataError, SpecError
from modelyard.learners.base import available, get_learner
from modelyard.learners.target_transform import suits_log
from modelyard.model import EnsembleBundle, Labels, ModelBundle
from modelyard.search.bagging import plan_validation
from modelyard.search.budget import Budget
from modelyard.search.cost import CostModel
from modelyard.search.deploy import Deployment, check_deploy
from modelyard.search.final import finalize
from modelyard.search.leaderboard import Leaderboard
from modelyard.search.runner import run_trials
from modelyard.search.scoring import search_metric
from modelyard.search.scratch import trial_scratch
from modelyard.search.searcher import Searcher
from modelyard.search.trial import TrialData
from modelyard.search.workers import resolve_workers
from modelyard.spec.search import DEFAULT_SEARCH_METRIC

RESERVE_FRACTION = 0.05  # of the time budget, held back for the final step from the start
# held back besides under k-fold with deploy 'refit': each ensemble member is fitted once more on
# every row (about a fold's fit each, most weighted member first). The refits may spend at least
# this share even when the last trials and the selection ran into the reserve (on a loaded
# machine they do): what they overran is not taken from the refit.
REFIT_RESERVE_FRACTION = 0.10


@dataclass
class SearchResult:
    """The final model, every trial, the best single trial, the ensemble and its OOF score."""

    model: ModelBundle | EnsembleBundle
    leaderboard: Leaderboard
    best_single: dict[str, Any]  # the best trial's leaderboard record
    ensemble_weights: dict[int, float]  # trial number -> weight in the final model
    oof_score: float  # the final model's out-of-fold score on the search metric
    metric: str
    validation: str  # 'kfold' or 'holdout'
    seconds: float
    parallel: int = 1  # trials that ran at once
    notes: list[str] = field(default_factory=list)
    deployment: Deployment | None = None  # the variants (refit, bagged) built and measured

    def to_dict(self) -> dict[str, Any]:
        """Everything but the model, JSON-ready (for the run record and the report)."""
        return {
            "metric": self.metric, "validation": self.validation, "oof_score": self.oof_score,
            "best_single": self.best_single, "seconds": round(self.seconds, 3),
            "parallel": self.parallel,
            "ensemble_weights": {str(k): v for k, v in self.ensemble_weights.items()},
            "leaderboard": self.leaderboard.to_records(), "notes": list(self.notes),
            "deployment": self.deployment.to_dict() if self.deployment else None,
        }


def search(frame_train: pd.DataFrame, y_train: np.ndarray, *, schema: Schema, task: str,
           metric: str | None = None, time_budget: float | Budget | None = None,
           max_trials: int | None = None, learners: list[str] | None = None,
           folds: int | None = None, parallel: int | str = 1, seed: int = 0, ensemble: bool = True,
           labels: Labels | None = None, threshold_metric: str | None = None,
           deploy: str = "refit", max_latency_ms: float | None = None,
           on_trial: Callable[[dict[str, Any]], None] | None = None) -> SearchResult:
    """Search learners and hyperparameters on ``frame_train`` / ``y_train`` (codes or floats).

    ``labels``: the original labels by class code (required for classification; the model
    answers in them; ``model.encode_target`` gives them with the codes);
    ``threshold_metric`` ('f1', 'balanced_accuracy', ...) tunes a binary model's decision
    threshold on the out-of-fold predictions; ``on_trial`` receives each trial's leaderboard
    record as it finishes. ``parallel``: trials at once (``"auto"``: see ``resolve_workers``).
    ``deploy``: 'refit' (each ensemble member fitted once more on every row) or 'bagged' (its
    fold models); ``SearchResult.deployment`` describes both variants (``search.deploy``).
    ``max_latency_ms``: the chosen model's single-row p99 limit (``search.max_latency_ms``).
    ``time_budget``: seconds, or a ``Budget`` whose ``remaining()`` time the search shares.
    """
    check_deploy(deploy)
    outer = time_budget if isinstance(time_budget, Budget) else None
    if outer is not None:
        time_budget = outer.total  # the limit to check; the search spends what outer has left
    _check_arguments(frame_train, y_train, schema, task, labels, time_budget, max_trials)
    parallel = resolve_workers(parallel, timed=time_budget is not None,
                               data_bytes=int(frame_train.memory_usage(deep=True).sum()))
    if outer is not None:
        budget = outer.share(reserve_fraction=RESERVE_FRACTION, workers=parallel)
    else:
        budget = Budget(time_budget, reserve_fraction=RESERVE_FRACTION, workers=parallel)
    metric_obj = search_metric(metric or DEFAULT_SEARCH_METRIC.get(task, ""), task)
    names = search_learners(learners, task)
    y = np.asarray(y_train)
    classes = None if labels is None else list(labels.classes)
    plan = plan_validation(y, task, folds=folds, seed=seed, classes=classes)
    refit_allowance = 0.0
    if deploy == "refit" and plan.kind == "kfold" and budget.limited:
        refit_allowance = REFIT_RESERVE_FRACTION * budget.total
        budget.reserve(refit_allowance)
    n_classes = None if labels is None else len(labels)
    data = TrialData(frame_train[schema.names], y, schema, task, labels, plan.folds,
                     metric_obj.name, seed, n_classes=n_classes)
    cost = CostModel(plan.fit_rows, len(schema.names), len(plan.folds), task, n_classes)
    log_target = task == "regression" and suits_log(y)
    searcher = Searcher(names, task=task, n_rows=plan.fit_rows, n_cols=len(schema.names),
                        metric=metric_obj, cost=cost, seed=seed, timed=time_budget is not None,
                        log_target=log_target)
    board = Leaderboard(metric_obj.name, metric_obj.greater_is_better, notes=list(plan.notes))
    if log_target:
        board.notes.append("the target is non-negative and right-skewed: learners are also tried "
                           "on log(1 + target) (target_transform 'log')")

    def record(result) -> None:
        entry = board.add(result)
        if on_trial is not None:
            on_trial(entry.to_record())

    with trial_scratch() as scratch:
        results = run_trials(searcher, data, plan, budget, max_trials=max_trials,
                             parallel=parallel, on_result=record, models_dir=scratch)
        board.notes += [f"{name}: {why}" for name, why in searcher.dropped.items()]
        budget.release()
        final = finalize(results, data, plan, budget, metric=metric_obj, ensemble=ensemble,
                         threshold_metric=threshold_metric, deploy=deploy,
                         refit_seconds=refit_allowance, max_latency_ms=max_latency_ms)
    board.set_weights(final.weights)
    best = next(e for e in board.entries if e.trial == final.best.spec.number)
    return SearchResult(final.model, board, best.to_record(), final.weights, final.oof_score,
                        metric_obj.name, plan.kind, budget.elapsed, parallel,
                        board.notes + final.notes, final.deployment)


def search_learners(names: list[str] | None, task: str) -> list[str]:
    """The learners to search: the ones named (checked), else every one serving ``task`` that is
    searched by default."""
    serving = list(available(task))
    if names is None:
        return [name for name in serving if get_learner(name).searched_by_default]
    for name in names:
        if task not in get_learner(name).tasks:  # get_learner lists valid names when unknown
            raise SpecError(f"learner '{name}' does not serve {task} tasks",
                            hint=f"learners for {task}: " + ", ".join(serving))
    return list(dict.fromkeys(names))


def _check_arguments(frame: pd.DataFrame, y: np.ndarray, schema: Schema, task: str,
                     labels: Labels | None, time_budget: float | None,
                     max_trials: int | None) -> None:
    """What ``Budget`` does not check already (it checks the time and the worker count)."""
    if (labels is None) != (task == "regression"):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            f"a {task} search needs "
            + ("no labels: its target is values" if labels is not None else "the target's labels"),
            hint="encode the target with encode_target and pass what it returns")
    if time_budget is None and max_trials is None:
        # hint: python-api: only code that calls modelyard directly meets it
        raise SpecError("a search needs a bound: time_budget or max_trials (or both)",
                        hint="e.g. search(..., time_budget=120) or max_trials=20")
    if max_trials is not None and (isinstance(max_trials, bool) or not isinstance(max_trials, int)
                                   or max_trials < 1):
        raise SpecError(f"max_trials must be an integer >= 1; got {max_trials!r}",
                        hint="e.g. max_trials=20")
    if len(frame) != len(np.asarray(y)):
        raise DataError(f"the search got {len(frame)} rows but {len(np.asarray(y))} targets",
                        hint="pass one target per training row")
    missing = [c for c in schema.names if c not in frame.columns]
    if missing:
        raise DataError(f"the training rows lack schema column(s) {missing}",
                        hint="pass the frame the schema was inferred from")

"""Stopping a trial that is clearly losing, from its score after each fold.

A trial reports, after fold ``s``, the mean score of its folds so far. Optuna's ``MedianPruner``
decides: a trial is pruned when that running mean is worse than the median of the completed
trials of the same learner at the same fold. ``PruningHistory`` is plain data (the completed
trials' running means), so the decision can be taken wherever the trial runs, a worker process
included: ``FoldPruner`` rebuilds a small in-memory Optuna study from it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import optuna
from optuna.trial import TrialState, create_trial

from modelyard.search.space import quiet_optuna

# A pruner needs this many completed trials of the learner before it prunes anything, and never
# prunes before this many folds are done: one fold's score is too noisy to judge a trial by.
N_STARTUP_TRIALS = 4
N_WARMUP_STEPS = 1


@dataclass(frozen=True)
class PruningHistory:
    """The running fold means of a learner's completed trials, and the optimisation direction."""

    direction: str  # "maximize" or "minimize"
    completed: tuple[dict[int, float], ...] = field(default_factory=tuple)
    n_startup_trials: int = N_STARTUP_TRIALS
    n_warmup_steps: int = N_WARMUP_STEPS


class FoldPruner:
    """``should_prune(step, value)`` for one trial, judged by Optuna's MedianPruner."""

    def __init__(self, history: PruningHistory) -> None:
        self.active = len(history.completed) >= history.n_startup_trials
        if not self.active:
            return
        pruner = optuna.pruners.MedianPruner(
            n_startup_trials=history.n_startup_trials, n_warmup_steps=history.n_warmup_steps
        )
        quiet_optuna()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            study = optuna.create_study(direction=history.direction, pruner=pruner)
            study.add_trials([
                create_trial(state=TrialState.COMPLETE, value=_final(steps),
                             intermediate_values=dict(steps))
                for steps in history.completed
            ])
        self._trial = study.ask()

    def should_prune(self, step: int, value: float) -> bool:
        """Report the running mean ``value`` after fold ``step`` (0-based); True: stop now."""
        if not self.active:
            return False
        self._trial.report(float(value), step)
        return bool(self._trial.should_prune())


def _final(steps: dict[int, float]) -> float:
    return float(steps[max(steps)])

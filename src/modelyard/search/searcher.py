"""The searcher: proposes the next trial and learns from every result.

First the portfolio (known-good configurations, best value per second first), then Bayesian
optimisation: one Optuna study per learner (TPE over the learner's data-sized space, seeded), the
learner picked by expected improvement per second (``allocation.py``). Portfolio trials are
trials of the learner's study too, so TPE starts from them. A proposal whose estimated seconds do
not fit in the budget is never started. A learner that fails twice in a row, or runs out of
memory, is dropped with a note.

Time enters the choices only when the search has a time budget (``timed``); bounded by a trial
count alone, every choice follows from the seed and the scores, so a run is reproducible.
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections import deque
from typing import Any

import optuna
from optuna.trial import TrialState

from modelyard.evaluation.metrics import Metric
from modelyard.learners.base import get_learner
from modelyard.search.allocation import improvement_per_second, rank_learners
from modelyard.search.budget import Budget
from modelyard.search.cost import CostModel
from modelyard.search.portfolio import portfolio_for
from modelyard.search.pruning import PruningHistory
from modelyard.search.scoring import utility
from modelyard.search.space import (
    fit_to_space,
    learner_spaces,
    plain,
    quiet_optuna,
    to_distributions,
)
from modelyard.search.trial import TrialResult, TrialSpec

SAFETY = 1.2  # a trial starts only when SAFETY x its estimated seconds are left
MAX_CONSECUTIVE_FAILURES = 2
TPE_STARTUP_TRIALS = 5  # random draws per learner before TPE models the scores


class Searcher:
    """Proposes ``TrialSpec``s for ``learners`` and records their ``TrialResult``s."""

    def __init__(self, learners: list[str], *, task: str, n_rows: int, n_cols: int,
                 metric: Metric, cost: CostModel, seed: int, timed: bool,
                 log_target: bool = False) -> None:
        quiet_optuna()
        self.learners = list(learners)
        self.task, self.metric, self.cost = task, metric, cost
        self.seed, self.timed = seed, timed
        self.spaces = learner_spaces(self.learners, task, n_rows, n_cols, log_target=log_target)
        self.distributions = {name: to_distributions(space) for name, space in self.spaces.items()}
        self.queue = deque(portfolio_for(self.learners, task, cost, self.spaces))
        self.studies: dict[str, optuna.Study] = {}
        self.pending: dict[int, optuna.trial.Trial] = {}
        self.utilities: dict[str, list[float]] = {name: [] for name in self.learners}
        self.failures: dict[str, int] = dict.fromkeys(self.learners, 0)
        self.dropped: dict[str, str] = {}
        self.best_config: dict[str, dict[str, Any]] = {}
        self.count = 0

    # -- proposing ------------------------------------------------------------------------------
    def propose(self, budget: Budget) -> TrialSpec | None:
        """The next trial to run, or None when nothing left is worth (or fits in) the budget."""
        while self.queue:
            learner, config = self.queue.popleft()
            if learner in self.dropped or not self._fits(learner, config, budget):
                continue
            return self._start(learner, config, "portfolio")
        for learner in self._learner_order():
            trial = self._study(learner).ask(self.distributions[learner])
            config = dict(trial.params)
            if self._fits(learner, config, budget):
                return self._start(learner, config, "optuna", trial)
            self._study(learner).tell(trial, state=TrialState.FAIL)  # never run: too slow now
        return None

    def _learner_order(self) -> list[str]:
        live = [name for name in self.learners if name not in self.dropped]
        seconds = {name: self._typical_seconds(name) for name in live}
        return rank_learners(improvement_per_second(self.utilities, seconds))

    def _typical_seconds(self, learner: str) -> float:
        config = self.best_config.get(learner) or fit_to_space({}, self.spaces[learner])
        return self._estimate(learner, config)

    def _estimate(self, learner: str, config: dict[str, Any]) -> float:
        params = get_learner(learner).params_from_space(config)
        return self.cost.estimate(learner, params, learned=self.timed)

    def _fits(self, learner: str, config: dict[str, Any], budget: Budget) -> bool:
        return not budget.limited or budget.can_afford(SAFETY * self._estimate(learner, config))

    def _start(self, learner: str, config: dict[str, Any], source: str,
               trial: optuna.trial.Trial | None = None) -> TrialSpec:
        if trial is None:  # a portfolio entry: a trial of the learner's study all the same
            study = self._study(learner)
            study.enqueue_trial(config)
            trial = study.ask(self.distributions[learner])
        config = {k: plain(v) for k, v in trial.params.items()}
        params = get_learner(learner).params_from_space(config)
        spec = TrialSpec(self.count, learner, config, params, source)
        self.pending[spec.number] = trial
        self.count += 1
        return spec

    def _study(self, learner: str) -> optuna.Study:
        if learner not in self.studies:
            offset = zlib.crc32(learner.encode()) % 100_000  # a stable per-learner seed
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                sampler = optuna.samplers.TPESampler(
                    seed=self.seed + offset, n_startup_trials=TPE_STARTUP_TRIALS,
                    multivariate=True,
                )
            direction = "maximize" if self.metric.greater_is_better else "minimize"
            self.studies[learner] = optuna.create_study(
                direction=direction, sampler=sampler, study_name=f"modelyard-{learner}"
            )
        return self.studies[learner]

    # -- learning -------------------------------------------------------------------------------
    def record(self, result: TrialResult) -> None:
        """Tell the learner's study, the cost model and the failure count about ``result``."""
        spec = result.spec
        trial = self.pending.pop(spec.number)
        study = self._study(spec.learner)
        for step, value in result.running_means().items():
            trial.report(value, step)
        if result.status == "ok":
            study.tell(trial, result.score)
            self.utilities[spec.learner].append(utility(self.metric, result.score))
            best = max(self.utilities[spec.learner])
            if utility(self.metric, result.score) >= best:
                self.best_config[spec.learner] = spec.config
        elif result.status == "failed":
            study.tell(trial, state=TrialState.FAIL)
        else:  # pruned, or out of time: a partial trial
            study.tell(trial, state=TrialState.PRUNED)
        if result.status != "failed" and result.seconds > 0:
            self.cost.observe(spec.learner, spec.params, result.seconds, result.folds_done or 1)
        self._count_failure(result)

    def _count_failure(self, result: TrialResult) -> None:
        learner = result.spec.learner
        if result.status != "failed":
            self.failures[learner] = 0
            return
        self.failures[learner] += 1
        note = result.note or ""
        if "out of memory" in note:
            self.dropped[learner] = f"dropped: {note}"
        elif self.failures[learner] >= MAX_CONSECUTIVE_FAILURES:
            self.dropped[learner] = (f"dropped after {self.failures[learner]} failed trials in a "
                                     f"row; last: {note}")

    def pruning_history(self, learner: str) -> PruningHistory:
        """The learner's completed trials, as plain data for the pruner."""
        done = self._study(learner).get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        completed = tuple(dict(t.intermediate_values) for t in done if t.intermediate_values)
        direction = "maximize" if self.metric.greater_is_better else "minimize"
        return PruningHistory(direction=direction, completed=completed)

    @property
    def exhausted(self) -> bool:
        """True when every learner has been dropped."""
        return len(self.dropped) == len(self.learners)

    def best_utility(self) -> float:
        scores = [u for values in self.utilities.values() for u in values]
        return max(scores) if scores else -math.inf

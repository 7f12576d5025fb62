"""Running the trials the searcher proposes: in this process, or in local worker processes.

``run_trials`` asks the searcher for trials until it has none left, ``max_trials`` were started or
the budget is spent, and records every result (searcher, leaderboard callback, budget charge).

* ``parallel == 1``: trials run here, one after another; the fitted fold models of the best
  ``KEEP_MODELS`` trials stay in memory, so the final model needs no refit.
* ``parallel > 1``: a ``ProcessPoolExecutor`` (spawn) runs them. Each worker gets the training data
  once, at start; trials and results travel as plain data. A fitted model never travels: given a
  ``models_dir``, a worker saves each finished trial's fold models there in modelyard's model
  format, and the final step loads the ones it picks instead of fitting them again (the saved
  models of trials that drop out of the best ``KEEP_MODELS`` are deleted as the search goes). With
  a time budget a new trial starts as soon as a worker is free; without one, trials run in waves
  of ``parallel`` and are recorded in the order they were proposed, so a run is reproducible.
  A worker that dies fails the trials it was running (with a note) and the pool is restarted.

While the search runs, the budget holds back what the final step is expected to need (refits of
the leading candidates whose models are not at hand, loading the saved ones, and the ensemble
selection: its rounds x candidates metric calls, each timed on the leading trial's out-of-fold
predictions, since a ranking metric on many rows costs far more than an error rate).
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib
import multiprocessing
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from modelyard.learners.base import BUILTIN_MODULES, get_learner, register
from modelyard.search.bagging import ValidationPlan, refit_seconds
from modelyard.search.budget import Budget
from modelyard.search.ensemble import score_seconds, selection_seconds
from modelyard.search.final import ensemble_candidates
from modelyard.search.main_guard import check_main_guard
from modelyard.search.scoring import utility
from modelyard.search.searcher import Searcher
from modelyard.search.space import quiet_optuna
from modelyard.search.trial import (
    TrialData,
    TrialResult,
    TrialSpec,
    drop_saved,
    run_trial,
)

KEEP_MODELS = 8  # trials whose fold models are kept (in memory, or saved by a worker)
MAX_SAVED_BYTES = 2 * 1024**3  # saved fold models beyond this (best trials first) are deleted
RESERVE_LEADERS = 3  # the final step is budgeted for refitting this many leading candidates
MAX_RESERVE_SHARE = 0.3  # never hold back more than this share of the budget for the final step

OnResult = Callable[[TrialResult], None]


def run_trials(searcher: Searcher, data: TrialData, plan: ValidationPlan, budget: Budget, *,
               max_trials: int | None, parallel: int, on_result: OnResult,
               models_dir: Path | None = None) -> list[TrialResult]:
    """Run trials until none is left to propose, ``max_trials`` started, or time is out.

    ``models_dir``: where worker processes save fold models (``parallel > 1``); without it the
    final step fits the chosen candidates again.
    """
    loop = _Loop(searcher, data, plan, budget, max_trials, on_result)
    if parallel == 1:
        loop.sequential()
    else:
        loop.pooled(parallel, models_dir)
    return loop.results


class _Loop:
    def __init__(self, searcher: Searcher, data: TrialData, plan: ValidationPlan, budget: Budget,
                 max_trials: int | None, on_result: OnResult) -> None:
        self.searcher, self.data, self.plan, self.budget = searcher, data, plan, budget
        self.max_trials, self.on_result = max_trials, on_result
        self.results: list[TrialResult] = []
        self.started = 0
        self._score_seconds: float | None = None  # one metric call on the out-of-fold rows

    def _next(self) -> TrialSpec | None:
        if self.max_trials is not None and self.started >= self.max_trials:
            return None
        if self.budget.exhausted or self.searcher.exhausted:
            return None
        spec = self.searcher.propose(self.budget)
        self.started += spec is not None
        return spec

    def _time_limit(self) -> float | None:
        return self.budget.remaining() if self.budget.limited else None

    def _record(self, result: TrialResult) -> None:
        self.budget.charge(result.seconds)
        self.searcher.record(result)
        self.results.append(result)
        self._keep_best_models()
        self._reserve_for_final()
        self.on_result(result)

    def _ranked(self) -> list[TrialResult]:
        ok = [r for r in self.results if r.status == "ok"]
        return sorted(ok, key=lambda r: (-utility(self.searcher.metric, r.score), r.spec.number))

    def _keep_best_models(self) -> None:
        keep_best_models(self._ranked())

    def _reserve_for_final(self) -> None:
        if not self.budget.limited:
            return
        n = len(self.data.frame)
        ranked = self._ranked()
        needed = sum(refit_seconds(self.plan, r, n) for r in ranked[:RESERVE_LEADERS])
        needed += sum(r.save_seconds for r in ranked[RESERVE_LEADERS:KEEP_MODELS] if r.saved)
        needed += self._selection_seconds(ranked)
        extra = min(needed, MAX_RESERVE_SHARE * self.budget.total) - self.budget.reserved
        if extra > 0:
            self.budget.reserve(extra)

    def _selection_seconds(self, ranked: list[TrialResult]) -> float:
        """Seconds the ensemble selection will take: a metric call per candidate and round."""
        if not ranked:
            return 0.0
        if self._score_seconds is None:
            rows = self.plan.scored_rows
            self._score_seconds = score_seconds(ranked[0].oof[rows], self.data.y[rows],
                                                metric=self.searcher.metric, task=self.data.task)
        return selection_seconds(len(ensemble_candidates(ranked)), self._score_seconds)

    # -- in this process ------------------------------------------------------------------------
    def sequential(self) -> None:
        while (spec := self._next()) is not None:
            result = run_trial(self.data, spec, time_limit=self._time_limit(),
                               pruning=self.searcher.pruning_history(spec.learner),
                               keep_models=True)
            self._record(result)

    # -- in worker processes --------------------------------------------------------------------
    def pooled(self, workers: int, models_dir: Path | None) -> None:
        self._workers, self._models_dir = workers, models_dir
        check_main_guard()  # before a worker starts: an unguarded script would never return
        self._pool = self._new_pool()
        self._pool_of: dict[cf.Future, cf.ProcessPoolExecutor] = {}
        try:
            if self.budget.limited:
                self._as_they_finish()
            else:
                self._in_waves()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def _new_pool(self) -> cf.ProcessPoolExecutor:
        return _start_pool(self._workers, self.data, self.searcher.learners, self._models_dir)

    def _submit(self, spec: TrialSpec) -> cf.Future:
        future = self._pool.submit(_work, spec, self._time_limit(),
                                   self.searcher.pruning_history(spec.learner))
        self._pool_of[future] = self._pool
        return future

    def _in_waves(self) -> None:
        while True:
            specs = [s for s in (self._next() for _ in range(self._workers)) if s is not None]
            if not specs:
                return
            futures = [(spec, self._submit(spec)) for spec in specs]
            for spec, future in futures:
                self._record(self._outcome(spec, future))

    def _as_they_finish(self) -> None:
        running: dict[cf.Future, TrialSpec] = {}
        while True:
            while len(running) < self._workers and (spec := self._next()) is not None:
                running[self._submit(spec)] = spec
            if not running:
                return
            done, _ = cf.wait(running, return_when=cf.FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: running[f].number):
                self._record(self._outcome(running.pop(future), future))

    def _outcome(self, spec: TrialSpec, future: cf.Future) -> TrialResult:
        """The trial's result; a dead worker becomes a failed trial and a fresh pool."""
        pool = self._pool_of.pop(future)
        try:
            return future.result()
        except BrokenProcessPool as err:
            if pool is self._pool:  # the first trial to see this crash restarts the pool
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            note = f"a worker process died while this trial ran ({err or 'crashed'})"
        except Exception as err:  # noqa: BLE001 - a result that cannot come back is a failure
            note = f"{type(err).__name__} in the worker: {err}"
        return TrialResult(spec=spec, status="failed", note=note[:300])


def keep_best_models(ranked: list[TrialResult], keep: int = KEEP_MODELS,
                     max_bytes: int = MAX_SAVED_BYTES) -> None:
    """Free the fitted models of ``ranked`` (best first) that the final step is unlikely to use.

    The best ``keep`` trials keep theirs, and so does each learner's best trial: the rule that
    picks the ensemble's candidates (``final.ensemble_candidates``), one per learner. Saved
    models also share a disk allowance: walking down the ranking, a trial whose saved models
    would take the total past ``max_bytes`` has them deleted (the best trial's are always kept);
    the final step fits such a trial again if the ensemble picks it. Large forests are what this
    bounds: ~45 MB a fold on 12,000 rows.
    """
    kept = {id(r) for r in ensemble_candidates(ranked, top=keep, per_learner=1)}
    on_disk = 0
    for rank, result in enumerate(ranked):
        if id(result) not in kept:
            result.models = None
            drop_saved(result)
        elif result.saved is not None:
            if rank > 0 and on_disk + result.saved_bytes > max_bytes:
                drop_saved(result)
            else:
                on_disk += result.saved_bytes


def _start_pool(workers: int, data: TrialData, learners: list[str],
                models_dir: Path | None) -> cf.ProcessPoolExecutor:
    plugins = {}
    for name in learners:  # learners registered outside modelyard are registered in each worker
        cls = get_learner(name)
        if name not in BUILTIN_MODULES:
            plugins[name] = (cls.__module__, cls.__qualname__)
    return cf.ProcessPoolExecutor(max_workers=workers,
                                  mp_context=multiprocessing.get_context("spawn"),
                                  initializer=_init_worker, initargs=(data, plugins, models_dir))


_WORKER_DATA: TrialData | None = None
_WORKER_MODELS_DIR: Path | None = None


def _init_worker(data: TrialData, plugins: dict[str, tuple[str, str]],
                 models_dir: Path | None) -> None:
    """Runs once in each worker: keep the training data and models folder, register plugins."""
    global _WORKER_DATA, _WORKER_MODELS_DIR
    _WORKER_DATA, _WORKER_MODELS_DIR = data, models_dir
    quiet_optuna()
    for module, qualname in plugins.values():
        obj = importlib.import_module(module)
        for part in qualname.split("."):
            obj = getattr(obj, part)
        register(obj)


def _work(spec: TrialSpec, time_limit: float | None, pruning) -> TrialResult:
    assert _WORKER_DATA is not None, "worker started without its data (initializer not run)"
    return run_trial(_WORKER_DATA, spec, time_limit=time_limit, pruning=pruning,
                     save_dir=_WORKER_MODELS_DIR)

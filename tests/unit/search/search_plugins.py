"""Learners that misbehave on purpose, registered by the tests that need them (never globally).

They follow the learner contract (``TabularLearner``: a constant model, saved as its constant) and
fail inside ``fit``: with an exception, with ``MemoryError``, or by killing the process (only ever
run in a worker process); or they use all the time they are given and then predict slowly
(``SlowToPredict``).
"""

from __future__ import annotations

import os
import time

import numpy as np

from modelyard.learners.tabular import TabularLearner


class _Failing(TabularLearner):
    tasks = ("binary", "multiclass", "regression")
    input_kind = "dense"

    def __init__(self, task=None, seed=0):
        self.task = task
        self.seed = seed

    def _proba(self, X):  # every class alike
        return np.full((len(X), len(self.classes_)), 1.0 / len(self.classes_))

    def _values(self, X):
        return np.full(len(X), self.mean_)

    def _save_model(self, directory):
        return {"mean": getattr(self, "mean_", None)}

    def _load_model(self, directory, model_meta):
        self.mean_ = model_meta["mean"]


class AlwaysFails(_Failing):
    name = "always_fails"

    def _fit_model(self, X, y, eval_set, budget):
        raise RuntimeError("this learner always fails")


class RunsOutOfMemory(_Failing):
    name = "runs_out_of_memory"

    def _fit_model(self, X, y, eval_set, budget):
        raise MemoryError("cannot allocate 1 TiB")


class KillsWorker(_Failing):
    name = "kills_worker"

    def _fit_model(self, X, y, eval_set, budget):
        os._exit(3)  # a hard crash: the worker process dies without a Python exception


SEEN_THREADS: dict[str, int] = {}


class ReportsThreads(_Failing):
    """Fits a constant; records the thread counts its fit saw (PyTorch imported inside fit)."""

    name = "reports_threads"
    library = "torch"

    def _fit_model(self, X, y, eval_set, budget):
        import torch
        from threadpoolctl import threadpool_info

        SEEN_THREADS["torch"] = torch.get_num_threads()
        SEEN_THREADS["pools"] = max(pool["num_threads"] for pool in threadpool_info())
        self.mean_ = float(y.mean())


class SlowToPredict(_Failing):
    """Fits for as long as its budget lasts (as boosting does), then predicts as slowly."""

    name = "slow_to_predict"

    def _fit_model(self, X, y, eval_set, budget):
        started = time.perf_counter()
        while budget is not None and budget.remaining() > 0 and time.perf_counter() - started < 5:
            time.sleep(0.005)
        self.fit_seconds_ = time.perf_counter() - started
        self.stop_reason_ = "budget"
        self.mean_ = float(np.mean(y))

    def _values(self, X):
        time.sleep(self.fit_seconds_)
        return np.full(len(X), self.mean_)

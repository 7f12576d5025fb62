"""Learners that fail on purpose, registered by the tests that need them (never globally).

They follow the learner contract (``TabularLearner``) and fail inside ``fit``: with an exception,
with ``MemoryError``, or by killing the process (only ever run in a worker process).
"""

from __future__ import annotations

import os

from modelyard.learners.tabular import TabularLearner


class _Failing(TabularLearner):
    tasks = ("binary", "multiclass", "regression")
    input_kind = "dense"

    def __init__(self, task=None, seed=0):
        self.task = task
        self.seed = seed


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

    def _values(self, X):
        import numpy as np

        return np.full(len(X), self.mean_)

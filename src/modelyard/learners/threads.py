"""How many threads a fitted learner predicts with.

A learner's ``n_jobs`` is how many threads it *trained* with. A searched model trains inside a
worker that shares the CPU with other trials, so it is saved with ``n_jobs=1``; predicting with
that one thread after the search (the final evaluation, ``modelyard predict``, the server) would
leave the other cores idle while the ensemble's fold models score their rows one after another.
So the tree boosters predict with ``predict_threads()`` threads instead: every core this process
may use, unless a caller that shares the CPU capped it with ``capped_predict_threads`` (a search
trial does, for the held-out rows it scores). Predictions are the same whatever the thread count:
the libraries split the rows among threads, each row is scored by one.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

from modelyard.evaluation.kpis import cpus_available

_cap: int | None = None  # set by capped_predict_threads; None: every usable core


def predict_threads() -> int:
    """Threads a fitted learner may predict with now."""
    return _cap if _cap is not None else max(1, cpus_available())


@contextlib.contextmanager
def capped_predict_threads(threads: int) -> Iterator[None]:
    """Predict with at most ``threads`` threads inside the block (restored after it)."""
    global _cap
    before = _cap
    _cap = max(1, int(threads))
    try:
        yield
    finally:
        _cap = before


@contextlib.contextmanager
def pinned_threads(threads: int) -> Iterator[None]:
    """Every fitted learner predicts on at most ``threads`` threads inside the block.

    Covers the three thread pools a prediction can use: the tree boosters' and forests' own
    (``capped_predict_threads``), BLAS and OpenMP (linear models, scikit-learn) through
    threadpoolctl, and PyTorch's intra-op pool when PyTorch is loaded. The evaluation measures
    latency and throughput inside it, so the cores it prices are the cores the measurement used.
    """
    from threadpoolctl import threadpool_limits

    threads = max(1, int(threads))
    torch = sys.modules.get("torch")  # only a model that uses PyTorch has imported it
    torch_before = torch.get_num_threads() if torch is not None else None
    try:
        with threadpool_limits(limits=threads), capped_predict_threads(threads):
            if torch is not None:
                torch.set_num_threads(threads)
            yield
    finally:
        if torch is not None and torch_before is not None:
            torch.set_num_threads(torch_before)

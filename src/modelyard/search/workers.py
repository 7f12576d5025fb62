"""How many trials a search runs at once: ``parallel`` as a number, or ``"auto"``."""

from __future__ import annotations

from modelyard.errors import SpecError
from modelyard.evaluation.kpis import cpus_available

MAX_AUTO_WORKERS = 8  # 'auto' never starts more workers than this (each holds the data)
WORKER_MEMORY_FACTOR = 4  # a worker's memory, in multiples of the training frame's size


def resolve_workers(parallel: int | str, *, timed: bool, data_bytes: int = 0,
                    free_bytes: int | None = None) -> int:
    """How many trials run at once for ``parallel``: a number as given, or ``"auto"``.

    ``"auto"``: one worker per CPU this process may use (at most ``MAX_AUTO_WORKERS``) when the
    search has a time budget, and no more than the free memory holds, each worker needing about
    ``WORKER_MEMORY_FACTOR`` x ``data_bytes`` (its copy of the data, the fold's preprocessed copy,
    the model); 1 when a trial count alone bounds the search, since the order in which parallel
    trials report back shapes the proposals, and such a run should give the same leaderboard on
    every machine. ``free_bytes`` defaults to the memory the system reports as available.
    """
    if parallel == "auto":
        if not timed:
            return 1
        workers = min(max(1, cpus_available()), MAX_AUTO_WORKERS)
        free = _free_memory() if free_bytes is None else free_bytes
        if data_bytes > 0 and free is not None:
            workers = min(workers, max(1, free // (WORKER_MEMORY_FACTOR * data_bytes)))
        return int(workers)
    if isinstance(parallel, bool) or not isinstance(parallel, int) or parallel < 1:
        raise SpecError(f"parallel must be 'auto' or an integer >= 1; got {parallel!r}",
                        hint="e.g. parallel='auto' (one trial per core) or parallel=2")
    return parallel


def _free_memory() -> int | None:
    """Bytes of memory available to new processes (Linux's MemAvailable), None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None

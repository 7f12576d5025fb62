"""Is the process that started a run still alive? Used to mark runs whose process died.

A pid can be reused after its process ends. On Linux the process start time in ``/proc`` tells a
reused pid apart: a process that started after the run began cannot be the one running it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

PROC = Path("/proc")
# the start time in /proc has clock-tick resolution; allow for that and clock rounding
START_SLACK = timedelta(seconds=2)


def process_alive(pid: int, run_started: datetime | None = None) -> bool:
    """Whether ``pid`` on this host is a live process that may own a run started at ``run_started``.

    Where this cannot be checked safely (Windows, where signal 0 is not a probe) the answer is True,
    so that a live run is never marked dead.
    """
    if pid <= 0:
        return False
    if os.name == "nt":
        return True
    try:
        os.kill(pid, 0)  # signal 0 probes for existence without delivering anything
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    stat = _proc_stat(pid)
    if stat is None:
        return True  # no /proc (macOS): existence is all we know
    state, started = stat
    if state in {"Z", "X"}:  # zombie or dead: ended, only waiting to be reaped
        return False
    return not (
        run_started is not None and started is not None and started > run_started + START_SLACK
    )


def _proc_stat(pid: int) -> tuple[str, datetime | None] | None:
    """(state, start time) from ``/proc/<pid>/stat``, or None where there is no /proc."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except FileNotFoundError:
        return ("X", None) if PROC.is_dir() else None
    except OSError:
        return None
    # the command name (field 2) may contain spaces and parentheses: split after the last ')'
    fields = text[text.rindex(")") + 2 :].split()
    state, start_ticks = fields[0], int(fields[19])  # fields 3 and 22 of proc(5)
    boot = _boot_time()
    if boot is None:
        return state, None
    return state, boot + timedelta(seconds=start_ticks / os.sysconf("SC_CLK_TCK"))


def _boot_time() -> datetime | None:
    try:
        for line in (PROC / "stat").read_text().splitlines():
            if line.startswith("btime "):
                return datetime.fromtimestamp(int(line.split()[1]), UTC)
    except (OSError, ValueError):
        return None
    return None

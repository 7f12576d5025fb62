"""The temporary folder where worker processes save fold models while a search runs.

It is named ``modelyard-trials-<pid>-<random>`` in the system's temporary folder and deleted when
the search ends, error or not. A search killed outright (SIGKILL, the machine's OOM killer) cannot
delete it, so every search first deletes the folders of searches whose process no longer runs.
Folders of live processes, of other users (no permission to signal them), and folders without a
process id in their name are left alone.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

PREFIX = "modelyard-trials-"


@contextlib.contextmanager
def trial_scratch(root: Path | None = None) -> Iterator[Path]:
    """A fresh folder for this search's saved fold models, deleted on exit."""
    sweep_orphans(root)
    with tempfile.TemporaryDirectory(prefix=f"{PREFIX}{os.getpid()}-", dir=root) as path:
        yield Path(path)


def sweep_orphans(root: Path | None = None) -> list[Path]:
    """Delete the scratch folders left by searches whose process has died; return them."""
    root = Path(root) if root is not None else Path(tempfile.gettempdir())
    removed = []
    for path in sorted(root.glob(f"{PREFIX}*")):
        owner = _owner(path.name)
        if owner is None or owner == os.getpid() or _alive(owner) or not path.is_dir():
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _owner(name: str) -> int | None:
    head = name[len(PREFIX):].split("-", 1)[0]
    return int(head) if head.isdigit() else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours to clean up
        return True
    return True

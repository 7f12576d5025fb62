"""Where and with what a run executes: host, pid, Python, library versions, git commit.

Library versions come from installed package metadata (nothing is imported); the git commit from
``git rev-parse HEAD`` in the working directory, when that is a repository and git is installed.
"""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import metadata

# library name as reported -> distributions that provide it (xgboost ships as 'xgboost-cpu' too)
LIBRARIES: dict[str, tuple[str, ...]] = {
    "modelyard": ("modelyard",),
    "numpy": ("numpy",),
    "pandas": ("pandas",),
    "scikit-learn": ("scikit-learn",),
    "lightgbm": ("lightgbm",),
    "xgboost": ("xgboost", "xgboost-cpu"),
    "catboost": ("catboost",),
    "torch": ("torch",),
}
GIT_TIMEOUT_S = 5


@dataclass(frozen=True)
class Environment:
    """The facts recorded on every new run."""

    host: str
    pid: int
    python_version: str
    library_versions: dict[str, str]
    git_commit: str | None


def current_environment(cwd: str | None = None) -> Environment:
    """The environment of this process (library versions and commit are looked up once)."""
    return Environment(
        host=socket.gethostname(),
        pid=os.getpid(),
        python_version=f"{platform.python_implementation()} {platform.python_version()}",
        library_versions=dict(library_versions()),
        git_commit=git_commit(cwd or os.getcwd()),
    )


@cache
def library_versions() -> dict[str, str]:
    """Versions of the installed libraries in ``LIBRARIES``; missing ones are left out."""
    found: dict[str, str] = {}
    for name, distributions in LIBRARIES.items():
        for distribution in distributions:
            try:
                found[name] = metadata.version(distribution)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


@lru_cache(maxsize=16)
def git_commit(cwd: str) -> str | None:
    """The commit checked out in ``cwd``, or None outside a repository or without git."""
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    commit = done.stdout.strip()
    return commit if done.returncode == 0 and commit else None

"""Drive the real command line in a subprocess, as a user would."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(tmp_path):
    """Run `modelyard ARGS` in a fresh process with its own MODELYARD_HOME."""
    env = {**os.environ, "MODELYARD_HOME": str(tmp_path / "home"), "COLUMNS": "200"}
    env.pop("MODELYARD_DEBUG", None)

    def run(*args: str, cwd: Path | None = None, timeout: int = 240) -> Result:
        proc = subprocess.run(
            [sys.executable, "-m", "modelyard", *map(str, args)],
            capture_output=True,
            text=True,
            env=env,
            cwd=cwd or tmp_path,
            timeout=timeout,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    return run

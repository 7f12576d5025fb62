"""examples/python_api/train_churn.py runs as its README says (with a quick bound)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_churn_example_runs(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "examples/python_api/train_churn.py"), "--max-trials", "2",
         "--home", str(tmp_path / "home")],
        capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "promoted: churn:1" in proc.stdout
    assert proc.stdout.count(": Yes") + proc.stdout.count(": No") == 5

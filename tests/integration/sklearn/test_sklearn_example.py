"""examples/sklearn/compare.py runs end to end with a search bounded by two trials."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_the_comparison_example_runs():
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "sklearn" / "compare.py"),
         "--max-trials", "2", "--folds", "2"],
        capture_output=True, text=True, timeout=240, cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr
    rows = re.findall(r"^(modelyard|sklearn) .*? (\d\.\d{4}) \+- ", done.stdout, re.MULTILINE)
    assert [who for who, _ in rows] == ["modelyard", "sklearn", "sklearn"], done.stdout
    assert all(0.5 < float(auc) <= 1 for _, auc in rows), done.stdout

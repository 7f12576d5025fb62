"""The command line starts light: listing models or reading help must not load the training,
data and serving stacks (a second or more of imports before every command)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("sklearn", "torch", "fastapi", "uvicorn", "lightgbm", "xgboost", "catboost", "pandas",
         "scipy", "matplotlib", "duckdb", "pyarrow")


def test_importing_the_cli_loads_none_of_the_heavy_libraries():
    probe = ("import json, sys, modelyard.cli; "
             f"print(json.dumps([m for m in {list(HEAVY)!r} if m in sys.modules]))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True)
    assert json.loads(done.stdout) == [], "import them inside the command that needs them"

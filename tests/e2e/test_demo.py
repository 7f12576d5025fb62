"""`make demo`'s script, as a new user runs it: train, register, promote, serve, one prediction."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
@pytest.mark.timeout(960)  # the demo's own subprocess limit is 900 s
def test_demo_answers_one_http_prediction(tmp_path, require_service):
    if not (ROOT / ".venv" / "bin" / "modelyard").exists():
        require_service("the demo runs the project's .venv; `make demo` creates it")
    env = {**os.environ, "MODELYARD_HOME": str(tmp_path / "home"),
           "MODELYARD_DEMO_PORT": str(_free_port())}
    done = subprocess.run(["bash", str(ROOT / "examples/churn/demo.sh")], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert '"model": "churn"' in done.stdout
    assert '"predictions"' in done.stdout and '"probabilities"' in done.stdout
    assert "registered churn version 1" in done.stdout.replace("\n", " ")

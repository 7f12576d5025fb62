"""The spec the retrain and watch tests train from: logistic churn on a copy of the Telco slice
(so a test may change the file), quick evaluation, and the test's own `retrain:` section."""

from __future__ import annotations

import shutil
from pathlib import Path


def telco_copy(tmp_path: Path, data_dir: Path) -> Path:
    path = tmp_path / "telco.csv"
    shutil.copy(data_dir / "telco_churn.csv", path)
    return path


def churn_spec(tmp_path: Path, data: Path, name: str, retrain: str) -> Path:
    spec = tmp_path / f"{name}.yaml"
    spec.write_text(f"""
name: {name}
data:
  source: {{path: {data}}}
  target: Churn
model: logistic
evaluation: {{bootstrap: 100, importance: false, latency: false}}
retrain: {retrain}
seed: 1
""")
    return spec

"""Models the single-row benchmarks share (``single_row.py``, ``export_onnx.py``): what they fit
on which table, how they build each one, and how they time a call and record its percentiles."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from modelyard.data.infer import infer_schema
from modelyard.model import EnsembleBundle, ModelBundle, encode_target, fit_model

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"
TELCO = ("telco_churn/Telco-Customer-Churn.csv", "Churn", "binary")
HOUSING = ("california_housing/housing.csv", "median_house_value", "regression")
MODELS = [  # (label, data, learners with their parameters: several make an ensemble)
    ("telco logistic", TELCO, [("logistic", {})]),
    ("telco lightgbm", TELCO, [("lightgbm", {"n_estimators": 100})]),
    ("telco xgboost", TELCO, [("xgboost", {"n_estimators": 100})]),
    ("telco catboost", TELCO, [("catboost", {"n_estimators": 100})]),
    ("telco mlp", TELCO, [("mlp", {"epochs": 5})]),
    ("telco ensemble", TELCO, [("lightgbm", {"n_estimators": 100}), ("logistic", {})]),
    ("housing lightgbm", HOUSING, [("lightgbm", {"n_estimators": 100})]),
]


def build(data: Path, target: str, task: str, learners: list,
          directory: Path) -> tuple[ModelBundle | EnsembleBundle, pd.DataFrame]:  # fmt: skip
    """(model loaded from disk, raw frame without the target) for one entry of ``MODELS``."""
    raw = pd.read_csv(data)
    frame, schema = infer_schema(raw, target=target)
    y, labels = encode_target(frame[target], task)
    members = []
    for position, (learner, params) in enumerate(learners):
        bundle = fit_model(frame, y, schema=schema, task=task, learner=learner, params=params,
                           labels=labels, threads=1).bundle
        members.append(ModelBundle.load(bundle.save(directory / str(position))))
    model = members[0] if len(members) == 1 else EnsembleBundle(
        schema, task, members, [1.0] * len(members), labels=labels)
    return model, raw.drop(columns=[target])


def timed(call: Callable[[int], object], n: int) -> np.ndarray:
    """Milliseconds per call of ``call(i)`` for i in 0..n-1, after a warm-up."""
    for i in range(min(n, 20)):
        call(i)
    times = np.empty(n)
    for i in range(n):
        begin = time.perf_counter()
        call(i)
        times[i] = time.perf_counter() - begin
    return times * 1000.0


def add_times(entry: dict, times: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each timing's p50/p99 and raw milliseconds into ``entry``; returns the percentiles."""
    p = {k: np.percentile(v, [50, 99]) for k, v in times.items()}
    for kind, (p50, p99) in p.items():
        entry[f"{kind}_p50_ms"] = round(float(p50), 4)
        entry[f"{kind}_p99_ms"] = round(float(p99), 4)
    entry.update({f"{kind}_ms": [round(float(t), 4) for t in v] for kind, v in times.items()})
    return p

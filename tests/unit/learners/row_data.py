"""Real rows for the single-row predictor tests: the committed telco slice (binary, category
columns, missing values) and california housing slice (regression, and ocean proximity as a
five-class target), and the float matrix a learner predicts from (``predict_matrix``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from modelyard.learners.gbdt_lightgbm import _codes

DATA = Path(__file__).parents[2] / "data"


def telco() -> tuple[pd.DataFrame, np.ndarray]:
    raw = pd.read_csv(DATA / "telco_churn.csv")
    frame = raw[["tenure", "MonthlyCharges", "Contract", "InternetService", "PaymentMethod"]].copy()
    frame["TotalCharges"] = pd.to_numeric(raw["TotalCharges"], errors="coerce")
    rng = np.random.default_rng(0)
    frame["MonthlyCharges"] = frame["MonthlyCharges"].mask(rng.random(len(frame)) < 0.2)
    for col in ("Contract", "InternetService", "PaymentMethod"):
        frame[col] = frame[col].astype("category")
    return frame, (raw["Churn"] == "Yes").to_numpy(np.int64)


def housing(task: str) -> tuple[pd.DataFrame, np.ndarray]:
    raw = pd.read_csv(DATA / "california_housing.csv")
    if task == "regression":
        y = raw.pop("median_house_value").to_numpy(np.float64)
        raw = raw.drop(columns="ocean_proximity")
    else:
        y = pd.factorize(raw.pop("ocean_proximity"), sort=True)[0].astype(np.int64)
    return raw, y


def rows(task: str) -> tuple[pd.DataFrame, np.ndarray]:
    """(features, target) of ``task``: binary, multiclass or regression."""
    return telco() if task == "binary" else housing(task)


def layout_matrix(learner, frame: pd.DataFrame) -> np.ndarray:
    """``frame`` as ``predict_matrix`` takes it: the layout's columns, category codes (NaN for
    missing) and numbers."""
    return _codes(learner._input(frame))

"""A perfect model is a result with a leakage warning, and no metric leaves its range."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from modelyard.evaluation.leakage import determining_columns, is_perfect, leakage_warning
from modelyard.evaluation.metrics import METRICS


@pytest.mark.parametrize(("name", "raw", "clamped"), [
    ("average_precision", 1.0000000000000002, 1.0),
    ("roc_auc", -1e-17, 0.0),
    ("log_loss", -2e-16, 0.0),
    ("rmse", -1e-300, 0.0),
    ("r2", -3.5, -3.5),  # R² has no floor
    ("r2", 1.0 + 1e-15, 1.0),
    ("accuracy", 0.75, 0.75),
])
def test_metrics_are_clamped_to_their_range(name, raw, clamped):
    metric = dataclasses.replace(METRICS[name], fn=lambda *_: raw)
    assert metric.value(None, None, None) == pytest.approx(clamped, abs=0.0)


def test_a_column_that_encodes_the_target_is_named(data_dir):
    rows = pd.read_csv(data_dir / "telco_churn.csv")
    y = (rows.pop("Churn") == "Yes").to_numpy().astype(int)
    rows["status_after"] = np.where(y == 1, "closed", "open")  # known only after the outcome
    rows["score_after"] = y * 10.0 + 1.0
    assert determining_columns("binary", rows, y) == ["status_after", "score_after"]
    warning = leakage_warning("binary", {"roc_auc": 1.0}, "roc_auc", rows, y)
    assert "status_after, score_after" in warning and "data.drop" in warning
    assert leakage_warning("binary", {"roc_auc": 0.93}, "roc_auc", rows, y) is None


def test_identifiers_and_ordinary_columns_are_not_suspects(data_dir):
    rows = pd.read_csv(data_dir / "telco_churn.csv")
    y = (rows.pop("Churn") == "Yes").to_numpy().astype(int)
    assert determining_columns("binary", rows, y) == []  # customerID determines any target
    warning = leakage_warning("binary", {"roc_auc": 1.0}, "roc_auc", rows, y)
    assert "No single column determines the target" in warning


def test_regression_perfection_and_its_suspect(data_dir):
    rows = pd.read_csv(data_dir / "house_prices_ames.csv")
    y = rows.pop("SalePrice").to_numpy(dtype=float)
    rows["price_in_thousands"] = y / 1000
    assert is_perfect("regression", {"rmse": 0.1, "r2": 0.9999999}, "rmse")
    assert not is_perfect("regression", {"rmse": 2e4, "r2": 0.9}, "rmse")
    assert determining_columns("regression", rows, y) == ["price_in_thousands"]

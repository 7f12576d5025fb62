"""The over-fitting check."""

from __future__ import annotations

import pytest

from modelyard.errors import SpecError
from modelyard.evaluation.overfit import overfit_check


def test_warning_triggers_on_a_large_train_validation_gap():
    parts = {"train": {"roc_auc": 0.99}, "validation": {"roc_auc": 0.81},
             "test": {"roc_auc": 0.80}}
    result = overfit_check("binary", parts, "roc_auc")
    assert result["overfitting"] is True
    assert result["gaps"]["train_validation"] == pytest.approx(0.18)
    assert result["gaps"]["validation_test"] == pytest.approx(0.01)
    assert result["warnings"] == [
        "risk of overfitting: train roc_auc 0.99 vs validation 0.81 (gap 0.18 > 0.05)"]
    assert result["gap_kind"] == "absolute"


def test_no_warning_when_parts_agree():
    parts = {"train": {"accuracy": 0.86}, "validation": {"accuracy": 0.84},
             "test": {"accuracy": 0.85}}
    result = overfit_check("multiclass", parts, "accuracy")
    assert result["overfitting"] is False and result["warnings"] == []


def test_losses_use_the_relative_gap_and_optimistic_validation_is_flagged():
    parts = {"train": {"rmse": 100.0}, "validation": {"rmse": 102.0}, "test": {"rmse": 125.0}}
    result = overfit_check("regression", parts, "rmse", threshold=0.1)
    assert result["gap_kind"] == "relative"
    assert result["gaps"]["train_validation"] == pytest.approx(2 / 102)
    assert result["gaps"]["validation_test"] == pytest.approx(23 / 125)
    assert result["overfitting"] is False
    assert len(result["warnings"]) == 1
    assert result["warnings"][0].startswith("validation score was optimistic: validation rmse 102")


def test_missing_parts_give_no_gap_and_zero_losses_are_defined():
    result = overfit_check("regression", {"train": {"mae": 0.0}, "test": {"mae": 0.0}}, "mae")
    assert result["gaps"] == {"train_validation": None, "validation_test": None}
    assert result["values"]["validation"] is None and result["overfitting"] is False
    both_zero = overfit_check("regression", {"train": {"mae": 0.0}, "validation": {"mae": 0.0}},
                              "mae")
    assert both_zero["gaps"]["train_validation"] == pytest.approx(0.0, abs=1e-12)
    perfect_train = overfit_check("regression", {"train": {"mae": 0.0},
                                                 "validation": {"mae": 3.0}}, "mae")
    assert perfect_train["gaps"]["train_validation"] == pytest.approx(1.0, rel=1e-9)
    assert perfect_train["overfitting"]


def test_bad_metric_or_threshold():
    with pytest.raises(SpecError, match="does not apply to regression"):
        overfit_check("regression", {}, "accuracy")
    with pytest.raises(SpecError, match="threshold"):
        overfit_check("binary", {}, "accuracy", threshold=-0.1)

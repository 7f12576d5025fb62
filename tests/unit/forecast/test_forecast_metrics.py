"""Forecast metrics against values worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from modelyard.evaluation.forecast_metrics import (
    aggregate,
    coverage,
    seasonal_scale,
    smape_series,
    wql,
)


def test_smape_is_the_m4_definition():
    y, f = np.array([100.0, 200.0, 0.0]), np.array([110.0, 180.0, 0.0])
    expected = 200 / 3 * (10 / 210 + 20 / 380 + 0)
    assert smape_series(y, f) == pytest.approx(expected)


def test_mase_scales_by_the_seasonal_naive_error_of_the_history():
    history = np.array([1.0, 2.0, 3.0, 5.0, 6.0, 7.0])  # season 3: |5-1|, |6-2|, |7-3| -> 4
    assert seasonal_scale(history, 3) == pytest.approx(4.0)
    out = aggregate([np.array([10.0, 12.0])], [np.array([8.0, 12.0])], [history], 3)
    assert out["mae"] == pytest.approx(1.0) and out["mase"] == pytest.approx(0.25)
    assert out["rmse"] == pytest.approx(np.sqrt(2.0))


def test_flat_history_keeps_mase_finite():
    assert seasonal_scale(np.ones(10), 2) == 1.0  # exact: the fallback scale itself


def test_coverage_and_quantile_loss():
    y = [np.array([1.0, 2.0, 3.0, 4.0])]
    assert coverage(y, [np.array([0, 2.5, 2, 5.0])],
                    [np.array([2, 3, 4, 6.0])]) == pytest.approx(0.5)
    perfect = wql(y, {0.5: y})
    assert perfect == pytest.approx(0.0, abs=1e-12)
    # median forecast 0: pinball 0.5 * y summed, times 2, over sum |y| -> 1
    assert wql(y, {0.5: [np.zeros(4)]}) == pytest.approx(1.0)

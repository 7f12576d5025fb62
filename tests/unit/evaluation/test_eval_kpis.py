"""Latency and cost KPIs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from modelyard.errors import DataError, SpecError
from modelyard.evaluation.kpis import (
    DEFAULT_CPU_HOUR,
    cost_per_1000,
    cpus_available,
    measure_latency,
    training_cost,
)


@pytest.fixture(scope="module")
def housing(data_dir):
    frame = pd.read_csv(data_dir / "california_housing.csv")
    y = frame.pop("median_house_value")
    features = frame.select_dtypes("number").fillna(0.0)
    model = Ridge().fit(features, y)
    return features, model


def test_latency_percentiles_are_ordered_and_throughput_positive(housing):
    rows, model = housing
    result = measure_latency(model.predict, rows, n_single=50, batch_size=200, repeats=2,
                             warmup=3)
    assert 0 < result["p50_ms"] <= result["p95_ms"] <= result["p99_ms"]
    assert result["throughput_rows_per_s"] > 0
    assert result["n_single"] == 50 and result["batch_size"] == 200 and result["repeats"] == 2
    assert result["cpus"] == cpus_available() >= 1


def test_batches_are_sampled_with_replacement_when_rows_are_few(housing):
    rows, model = housing
    seen: list[int] = []

    def predict(frame: pd.DataFrame) -> np.ndarray:
        seen.append(len(frame))
        assert set(frame.index) <= set(rows.index[:20])
        return model.predict(frame)

    measure_latency(predict, rows.iloc[:20], n_single=30, batch_size=100, repeats=3, warmup=2)
    assert seen == [1] * (2 + 30) + [100] * 3  # warm-up, single rows, then the batches


def test_latency_rejects_bad_arguments(housing):
    rows, model = housing
    with pytest.raises(DataError, match="non-empty DataFrame"):
        measure_latency(model.predict, rows.iloc[:0])
    with pytest.raises(SpecError, match="n_single"):
        measure_latency(model.predict, rows, n_single=0)


def test_cost_arithmetic():
    # 1,000 rows at 500 rows/s = 2 s of one CPU; at 0.36 per CPU-hour that is 0.0002
    assert cost_per_1000(500.0, 0.36) == pytest.approx(0.0002)
    assert cost_per_1000(500.0, 0.36, cpus=4) == pytest.approx(0.0008)
    assert cost_per_1000(1000.0) == pytest.approx(DEFAULT_CPU_HOUR / 3600)
    assert training_cost(7200.0, 0.05) == pytest.approx(0.1)
    assert training_cost(0.0) == 0.0


def test_cost_rejects_bad_numbers():
    with pytest.raises(DataError, match="throughput"):
        cost_per_1000(0.0, 0.05)
    with pytest.raises(SpecError, match="cpu_hour_price"):
        cost_per_1000(10.0, -1.0)
    with pytest.raises(DataError, match="cpu_seconds"):
        training_cost(-5.0)

"""Latency and cost KPIs."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import Ridge

from modelyard.errors import DataError, SpecError
from modelyard.evaluation import kpis
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


class FakeClock:
    """A perf_counter that only moves when the fake model predicts: seconds per row or batch."""

    def __init__(self, per_row: float, per_batch: float) -> None:
        self.now, self.per_row, self.per_batch = 0.0, per_row, per_batch

    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        self.now += self.per_row if len(frame) == 1 else self.per_batch
        return np.zeros(len(frame))


def _latency_with_clock(monkeypatch, clock: FakeClock, rows: pd.DataFrame, **options) -> dict:
    monkeypatch.setattr(kpis, "time", SimpleNamespace(perf_counter=lambda: clock.now,
                                                      process_time=lambda: clock.now))
    return measure_latency(clock.predict, rows, **options)


def test_a_slow_model_is_measured_for_about_max_seconds(monkeypatch, housing):
    """The cap covers the whole measurement: warm-up, single rows and batches together."""
    rows, _ = housing
    # 0.5 s a row: one warm-up call, then single rows until 3.5 s (6 rows: the minimum of 5
    # ends at 3.0 s), one batch (the minimum) and no more: 6.5 s for the 5 s cap
    clock = FakeClock(0.5, 3.0)
    slow = _latency_with_clock(monkeypatch, clock, rows, batch_size=50)
    assert slow["n_single"] == 6 and slow["repeats"] == 1
    assert clock.now == pytest.approx(6.5)
    assert slow["p50_ms"] == pytest.approx(500.0) and slow["p99_ms"] == pytest.approx(500.0)
    # 0.125 s a row: 4 warm-up calls (0.5 s), single rows until 3.5 s (24 rows), then 1 s
    # batches until the cap: 2 of them, 5.5 s in all instead of the 8 s that capping each loop
    # on its own allowed
    clock = FakeClock(0.125, 1.0)
    medium = _latency_with_clock(monkeypatch, clock, rows, batch_size=50)
    assert medium["n_single"] == 24 and medium["repeats"] == 2
    assert clock.now == pytest.approx(5.5)
    # no cap: every requested row and batch
    uncapped = _latency_with_clock(monkeypatch, FakeClock(0.5, 3.0), rows, batch_size=50,
                                   max_seconds=None)
    assert uncapped["n_single"] == 200 and uncapped["repeats"] == 3
    # fewer rows asked for than the minimum: all of them, whatever the cap
    few = _latency_with_clock(monkeypatch, FakeClock(1.0, 1.0), rows, batch_size=50,
                              n_single=5, max_seconds=0.5)
    assert few["n_single"] == 5 and few["repeats"] == 1


def test_the_time_cap_keeps_the_report_keys(monkeypatch, housing):
    rows, _ = housing
    result = _latency_with_clock(monkeypatch, FakeClock(1.0, 10.0), rows, batch_size=50,
                                 min_single=3, max_seconds=2.0)
    assert set(result) == {"p50_ms", "p95_ms", "p99_ms", "mean_ms", "n_single", "batch_size",
                           "repeats", "batch_seconds", "batch_cpu_seconds",
                           "throughput_rows_per_s", "cpus"}
    assert result["n_single"] == 3 and result["repeats"] == 1
    assert result["throughput_rows_per_s"] == pytest.approx(5.0)
    for bad in (0, -1.0, float("nan"), "5", True):
        with pytest.raises(SpecError, match="max_seconds"):
            measure_latency(np.zeros_like, rows, max_seconds=bad)
    with pytest.raises(SpecError, match="min_single"):
        measure_latency(np.zeros_like, rows, min_single=0)


def test_cost_arithmetic():
    # 1,000 rows at 500 rows/s = 2 s of one CPU; at 0.36 per CPU-hour that is 0.0002
    assert cost_per_1000(500.0, 0.36) == pytest.approx(0.0002)
    assert cost_per_1000(500.0, 0.36, cpus=4) == pytest.approx(0.0008)
    assert cost_per_1000(1000.0) == pytest.approx(DEFAULT_CPU_HOUR / 3600)
    assert training_cost(7200.0, 0.05) == pytest.approx(0.1)
    assert training_cost(0.0) == pytest.approx(0.0, abs=1e-12)


def test_cost_rejects_bad_numbers():
    with pytest.raises(DataError, match="throughput"):
        cost_per_1000(0.0, 0.05)
    with pytest.raises(SpecError, match="cpu_hour_price"):
        cost_per_1000(10.0, -1.0)
    with pytest.raises(DataError, match="cpu_seconds"):
        training_cost(-5.0)

"""Cost per 1,000 predictions is priced at the cores the throughput was measured on.

The evaluation pins every thread pool a prediction uses to ``costs.prediction_cpus`` (default:
every usable CPU) while it measures, records that number as ``latency.cpus`` and prices at it.
Before, the boosters predicted on every core while the price assumed one CPU.
"""

from __future__ import annotations

import json
from pathlib import Path

import lightgbm
import pytest

from modelyard.evaluation.kpis import cpus_available
from modelyard.learners.threads import pinned_threads, predict_threads
from modelyard.pipeline import train
from modelyard.settings import load_settings
from modelyard.spec import validate_spec

PRICE = 0.36  # USD per CPU-hour: 0.0001 per CPU-second, easy to check by hand


def _train(tmp_path: Path, data_dir: Path, cpus: int | None, monkeypatch) -> tuple[dict, list]:
    """Train LightGBM on telco with ``costs.prediction_cpus = cpus``; return the report and the
    thread counts LightGBM was asked to predict with on 1,000-row batches."""
    threads_seen: list[int] = []
    real_predict = lightgbm.Booster.predict

    def spying_predict(self, data, *args, **kwargs):  # LightGBM's own predict, observed
        if len(data) >= 1000:
            threads_seen.append(kwargs.get("num_threads"))
        return real_predict(self, data, *args, **kwargs)

    monkeypatch.setattr(lightgbm.Booster, "predict", spying_predict)
    costs = {"cpu_hour": PRICE} | ({"prediction_cpus": cpus} if cpus is not None else {})
    spec = validate_spec({
        "data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
        "model": {"learner": "lightgbm", "params": {"n_estimators": 40}},
        "evaluation": {"importance": False, "bootstrap": 10},
        "costs": costs,
        "seed": 3,
    })
    result = train(spec, load_settings(tmp_path / "home"))
    report = json.loads(Path(result.report.json).read_text())
    return report, threads_seen


def _expected_cost(report: dict) -> float:
    lat = report["latency"]
    return PRICE * lat["cpus"] * (1000.0 / lat["throughput_rows_per_s"]) / 3600.0


@pytest.mark.parametrize("asked", [1, 2])
def test_a_learner_pinned_to_n_threads_is_priced_at_n_cpus(tmp_path, data_dir, monkeypatch, asked):
    report, threads_seen = _train(tmp_path, data_dir, asked, monkeypatch)
    used = min(asked, cpus_available())  # a 1-core machine measures 2 on 1, and says so
    assert report["latency"]["cpus"] == used
    assert report["costs"]["prediction_cpus"] == used
    assert threads_seen and set(threads_seen) == {used}  # LightGBM really predicted on `used`
    assert report["costs"]["per_1000_predictions"] == pytest.approx(_expected_cost(report),
                                                                    rel=1e-9)
    label = next(k["label"] for k in report["kpis"] if k["key"] == "cost_per_1000_predictions")
    assert f"on {used} CPU" in label
    if asked > used:
        assert any("prediction_cpus is 2" in note for note in report["notes"])


def test_by_default_the_measurement_and_the_price_use_every_usable_core(tmp_path, data_dir,
                                                                          monkeypatch):
    report, threads_seen = _train(tmp_path, data_dir, None, monkeypatch)
    every = cpus_available()
    assert set(threads_seen) == {every}
    assert report["costs"]["prediction_cpus"] == report["latency"]["cpus"] == every
    assert report["costs"]["per_1000_predictions"] == pytest.approx(_expected_cost(report),
                                                                    rel=1e-9)


def test_pinned_threads_limits_every_pool_and_restores_them():
    torch = pytest.importorskip("torch")
    from threadpoolctl import threadpool_info

    torch_before = torch.get_num_threads()
    with pinned_threads(1):
        assert predict_threads() == 1
        assert torch.get_num_threads() == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    assert predict_threads() == max(1, cpus_available())
    assert torch.get_num_threads() == torch_before

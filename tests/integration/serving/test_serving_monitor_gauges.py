"""/metrics shows the monitoring values modelyard watch stored: drift per column, the live
metric and the last retrain time, read from the metadata store over real HTTP."""

from __future__ import annotations

import pytest

from modelyard.registry.registry import Registry
from modelyard.registry.watch_state import WatchState
from serving_helpers import metric_value


def test_metrics_shows_the_stored_monitoring_gauges(churn, serve, settings):
    with Registry.open(settings) as registry:
        state = WatchState(registry.store)
        state.set_gauges("churn", "drift_score", {"": 0.42, "tenure": 0.31})
        state.set_gauges("churn", "live_metric", {"f1": 0.66})
        state.set_gauges("churn", "last_retrain_timestamp", {"": 1.7e9})
    _, client = serve()
    assert metric_value(client, 'modelyard_drift_score{column="tenure",model="churn"}') \
        == pytest.approx(0.31)
    assert metric_value(client, 'modelyard_drift_score{column="",model="churn"}') \
        == pytest.approx(0.42)
    assert metric_value(client, 'modelyard_live_metric{metric="f1",model="churn"}') \
        == pytest.approx(0.66)
    assert metric_value(client, 'modelyard_last_retrain_timestamp_seconds{model="churn"}') \
        == pytest.approx(1.7e9)

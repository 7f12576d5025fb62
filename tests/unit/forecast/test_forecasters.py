"""Each forecaster on real series: shapes, saving without pickles, the same forecast after
loading, and the properties that define it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from modelyard.data.series import build_panel
from modelyard.errors import DataError, SpecError
from modelyard.evaluation.forecast_metrics import aggregate
from modelyard.learners.forecast import forecaster_names, get_forecaster, load_forecaster


@pytest.fixture(scope="module")
def series(data_dir):
    frame = pd.read_parquet(data_dir / "forecast/m4_hourly.parquet")
    p = build_panel(frame, time_column="timestamp", target="value", series_column="series_id",
                    static=["category"])
    return p.cut(24), p.tail(24)


def test_the_registry_lists_every_family():
    assert set(forecaster_names()) >= {"seasonal_naive", "theta", "ets", "lightgbm"}
    with pytest.raises(SpecError, match="unknown forecaster 'arima2'"):
        get_forecaster("arima2")
    with pytest.raises(SpecError, match="unknown parameter"):
        get_forecaster("lightgbm")(24, leaves=3)


def test_seasonal_naive_repeats_the_last_season(series):
    train, _ = series
    out = get_forecaster("seasonal_naive")(24).fit(train, 30).predict(train, 30)
    np.testing.assert_array_equal(out[0][:24], train.values[0][-24:])
    np.testing.assert_array_equal(out[0][24:], train.values[0][-24:-18])


@pytest.mark.parametrize("name,params", [
    ("theta", {}), ("ets", {}), ("lightgbm", {}), ("lightgbm", {"strategy": "direct"}),
])  # fmt: skip
def test_forecasts_are_finite_and_survive_saving(tmp_path, series, name, params):
    train, test = series
    forecaster = get_forecaster(name)(24, **params).fit(train, 24)
    out = forecaster.predict(train, 24)
    assert len(out) == 6 and all(o.shape == (24,) and np.isfinite(o).all() for o in out)
    forecaster.save(tmp_path / "f")
    assert not list(tmp_path.rglob("*.pkl"))
    json.loads((tmp_path / "f" / "forecaster.json").read_text())
    again = load_forecaster(tmp_path / "f").predict(train, 24)
    for a, b in zip(out, again, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # better than nothing: below the error of forecasting the series' mean
    flat = [np.full(24, v.mean()) for v in train.values]
    assert aggregate(test.values, out, train.values, 24)["mae"] < \
        aggregate(test.values, flat, train.values, 24)["mae"]


def test_lightgbm_learns_a_weekly_shape_from_lags(series):
    """A series made of its own day profile times a level: the recursive model, scaled per row,
    follows a level it never saw in training."""
    train, _ = series
    hours = np.arange(24 * 20)
    profile = 1.0 + 0.5 * np.sin(2 * np.pi * hours / 24)
    values = tuple(profile * level for level in (10.0, 100.0, 1000.0))
    times = tuple(pd.date_range("2020-01-01", periods=len(hours), freq="h") for _ in values)
    panel = type(train)(("a", "b", "c"), times, values, "h")
    model = get_forecaster("lightgbm")(24).fit(panel, 24)
    shifted = type(train)(("a",), (times[0],), (profile * 50.0,), "h")
    out = model.predict(shifted, 24)[0]
    expected = (profile * 50.0)[:24]
    assert np.mean(np.abs(out - expected)) / 50.0 < 0.05


def test_direct_refuses_a_longer_horizon(series):
    train, _ = series
    model = get_forecaster("lightgbm")(24, strategy="direct", rounds=20).fit(train, 12)
    with pytest.raises(DataError, match="trained for 12 steps"):
        model.predict(train, 24)

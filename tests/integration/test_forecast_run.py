"""A forecast run end to end on real series: backtest search, sealed test window, report,
registry, and the forecaster served over real HTTP."""

from __future__ import annotations

import json

import httpx
import numpy as np
import pandas as pd
import pytest

from modelyard.data.series import build_panel
from modelyard.errors import DataError, SpecError
from modelyard.evaluation.forecast_metrics import aggregate
from modelyard.model import ForecastModel
from modelyard.pipeline import train
from modelyard.registry.registry import Registry
from modelyard.serving.app import create_app
from modelyard.settings import load_settings
from modelyard.spec import validate_spec
from serving_helpers import live_server, loopback_config, wait_ready

HORIZON = 24


def m4_spec(data_dir, **search) -> dict:
    return {
        "name": "m4-fc",
        "task": "forecast",
        "data": {"source": {"path": str(data_dir / "forecast/m4_hourly.parquet")},
                 "target": "value"},
        "forecast": {"time_column": "timestamp", "series_column": "series_id",
                     "horizon": HORIZON, "static_covariates": ["category"],
                     "backtest_windows": 2},
        "search": {"time_budget": 120, "learners": ["seasonal_naive", "theta", "lightgbm"],
                   **search},
    }


def walmart_spec(data_dir) -> dict:
    return {
        "name": "walmart-fc",
        "task": "forecast",
        "data": {"source": {"path": str(data_dir / "forecast/walmart.csv")},
                 "target": "Weekly_Sales"},
        "forecast": {"time_column": "Date", "series_column": "Store", "horizon": 8,
                     "date_format": "%d/%m/%y", "backtest_windows": 2,
                     "known_covariates": ["Holiday_Flag", "Fuel_Price"]},
        "model": {"learner": "lightgbm", "params": {"rounds": 60}},
    }


@pytest.fixture(scope="module")
def m4_run(tmp_path_factory, data_dir):
    home = tmp_path_factory.mktemp("fc") / "home"
    settings = load_settings(home)
    return train(validate_spec(m4_spec(data_dir)), settings), settings


def test_search_registers_a_forecaster_evaluated_on_the_sealed_window(m4_run, data_dir):
    result, settings = m4_run
    assert result.task == "forecast" and result.version == 1
    test = result.metrics.to_dict()["test"]
    assert {"mase", "smape", "mae", "rmse", "coverage", "wql"} <= set(test)
    frame = pd.read_parquet(data_dir / "forecast/m4_hourly.parquet")
    panel = build_panel(frame, time_column="timestamp", target="value",
                        series_column="series_id")
    # the backtest never reached the test window: seasonal naive's window scores, recomputed
    # on the points before it, are the leaderboard's
    before = panel.cut(HORIZON)
    expected = []
    for w in (2, 1):
        history, target = before.cut(w * HORIZON), before.cut((w - 1) * HORIZON).tail(HORIZON)
        naive = [np.resize(v[-24:], HORIZON) for v in history.values]
        expected.append(aggregate(target.values, naive, history.values, 24)["mase"])
    report = json.loads(open(result.report.json).read())
    naive_row = next(r for r in report["leaderboard"] if r["forecaster"] == "seasonal_naive")
    np.testing.assert_allclose(naive_row["windows"], expected, rtol=1e-9)
    # the test metrics are those of the model's forecast of the test window from before it
    assert report["baseline"]["name"] == "seasonal_naive"
    html = open(result.report.html).read()
    assert "Forecasts against actuals" in html and html.count("<svg") >= 6
    with Registry.open(settings) as registry:
        loaded = registry.load("m4-fc")
    assert isinstance(loaded.model, ForecastModel)
    assert loaded.model.history.lengths.tolist() == [288] * 6  # serves from every point
    pd.testing.assert_frame_equal(loaded.model.forecast(), result.model.forecast())


def test_forecaster_over_http(m4_run):
    result, settings = m4_run
    expected = result.model.forecast(series=["H10"], horizon=5)
    app = create_app(settings, loopback_config(models=("m4-fc",)))
    with live_server(app) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        wait_ready(client)
        ok = client.post("/v1/models/m4-fc/forecast", json={"series": "H10", "horizon": 5})
        assert ok.status_code == 200, ok.text
        body = ok.json()
        assert body["version"] == 1 and body["horizon"] == 5
        got = body["forecasts"][0]
        assert got["series"] == "H10" and len(got["timestamps"]) == 5
        np.testing.assert_allclose(got["forecast"], expected["forecast"], rtol=1e-12)
        assert all(lo <= f <= hi for lo, f, hi in
                   zip(got["lower"], got["forecast"], got["upper"], strict=True))
        everything = client.post("/v1/models/m4-fc/forecast", json={}).json()
        assert len(everything["forecasts"]) == 6
        for body, status, needle in [
            ({"series": "H9"}, 422, "unknown series"),
            ({"horizon": 500}, 422, "horizon must be between 1 and 24"),
            ({"horizon": 0}, 422, "horizon"),
            ({"series": "H1", "bogus": 1}, 422, "bogus"),
        ]:
            bad = client.post("/v1/models/m4-fc/forecast", json=body)
            assert bad.status_code == status and needle in bad.text, (body, bad.text)
        junk = client.post("/v1/models/m4-fc/forecast", content=b"{nope",
                           headers={"content-type": "application/json"})
        assert junk.status_code == 400 and "not valid JSON" in junk.text
        rows = client.post("/v1/models/m4-fc/predict", json={"timestamp": 1})
        assert rows.status_code == 400 and "/forecast" in rows.json()["error"]["hint"]


def test_known_covariates_must_come_with_the_request(tmp_path, data_dir):
    settings = load_settings(tmp_path / "home")
    result = train(validate_spec(walmart_spec(data_dir)), settings)
    model = result.model
    assert model.layout.known == ("Holiday_Flag", "Fuel_Price")
    with pytest.raises(DataError, match="future values of"):
        model.forecast()
    last = pd.Timestamp("2012-10-26")
    future = pd.DataFrame([{"Store": s, "Date": (last + pd.Timedelta(weeks=k)).strftime(
        "%d/%m/%y"), "Holiday_Flag": 0, "Fuel_Price": 3.9} for s in (1, 2, 3, 4)
        for k in range(1, 9)])
    app = create_app(settings, loopback_config(models=("walmart-fc",)))
    with live_server(app) as server, httpx.Client(base_url=server.url, timeout=60) as client:
        wait_ready(client)
        missing = client.post("/v1/models/walmart-fc/forecast", json={"series": "1"})
        assert missing.status_code == 422 and "Holiday_Flag" in missing.text
        ok = client.post("/v1/models/walmart-fc/forecast",
                         json={"series": ["1", "3"], "future": future.to_dict("records")})
        assert ok.status_code == 200, ok.text
        first = ok.json()["forecasts"][0]
        assert first["timestamps"][0].startswith("2012-11-02") and len(first["forecast"]) == 8
        short = future[future.Date != "02/11/12"]
        gap = client.post("/v1/models/walmart-fc/forecast",
                          json={"series": "1", "future": short.to_dict("records")})
        assert gap.status_code == 422 and "2012-11-02" in gap.text
        iso = future.assign(Date="2012-11-02")
        wrong = client.post("/v1/models/walmart-fc/forecast",
                            json={"series": "1", "future": iso.to_dict("records")})
        assert wrong.status_code == 422 and "'%d/%m/%y'" in wrong.text
        no_time = client.post("/v1/models/walmart-fc/forecast", json={
            "series": "1", "future": future.drop(columns="Date").to_dict("records")})
        assert no_time.status_code == 422 and "Date" in no_time.text
        # a newer week (Store sent as a number, dates as the file wrote them) moves the start on
        week = {"Store": 1, "Date": "02/11/12", "Weekly_Sales": 1.5e6, "Holiday_Flag": 0,
                "Fuel_Price": 3.9}
        later = future.assign(Date=lambda f: (pd.to_datetime(f.Date, format="%d/%m/%y")
                                              + pd.Timedelta(weeks=1)).dt.strftime("%d/%m/%y"))
        moved = client.post("/v1/models/walmart-fc/forecast", json={
            "series": "1", "history": [week], "future": later.to_dict("records")})
        assert moved.status_code == 200, moved.text
        assert moved.json()["forecasts"][0]["timestamps"][0].startswith("2012-11-09")


@pytest.mark.parametrize("change,needle", [
    (lambda s: s.pop("task"), "needs 'task: forecast'"),
    (lambda s: s.update(split={"method": "random"}), "remove the 'split' section"),
    (lambda s: s["search"].update(folds=3), "do not apply to a forecast"),
    (lambda s: s["forecast"].update(known_covariates=["timestamp"]), "named twice"),
])  # fmt: skip
def test_spec_mistakes_are_spec_errors(data_dir, change, needle):
    spec = m4_spec(data_dir)
    change(spec)
    with pytest.raises(SpecError, match=needle):
        validate_spec(spec)


def test_unknown_forecaster_fails_before_a_run(tmp_path, data_dir):
    settings = load_settings(tmp_path / "home")
    spec = m4_spec(data_dir, learners=["seasonal_naive", "prophet"])
    with pytest.raises(SpecError, match="unknown forecaster 'prophet'"):
        train(validate_spec(spec), settings)
    with Registry.open(settings) as registry:
        assert registry.store.list_runs().items == ()


def test_drift_and_retraining_say_they_do_not_cover_forecasters(m4_run):
    from modelyard.monitoring.reference import reference_for
    from modelyard.orchestration.retrain import find_champion, retrain

    _, settings = m4_run
    with Registry.open(settings) as registry:
        version = registry.store.resolve("m4-fc")
        with pytest.raises(DataError, match="is a forecaster") as err:
            reference_for(registry, version)
        assert "retrain" in err.value.hint
        with pytest.raises(SpecError, match="is a forecaster") as err:
            retrain(registry, settings, find_champion(registry, "m4-fc"))
        assert "modelyard models promote" in err.value.hint

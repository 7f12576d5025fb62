"""The drift trigger's live-metric form on a regression model: `drift: {metric: rmse, above: X}`
fires when the latest labelled window's rmse is over X; `below` on an error metric (which would
fire while the model does well) is refused with a message saying to write `above`.

Real data (tests/data/bike_sharing_drift.csv: trained on Jan-Mar 2011), June 2011 predicted
through the real HTTP server, the truth fed back with `modelyard monitor feedback`, then
`modelyard retrain` without --force checks the triggers."""

from __future__ import annotations

import pandas as pd
import pytest

from modelyard.serving import create_app
from modelyard.settings import load_settings
from serving_helpers import DATA, json_records, live_server, loopback_config, wait_ready

SLICE = DATA / "bike_sharing_drift.csv"
SPEC = """\
name: {name}
data: {{source: {{path: {source}}}, target: users}}
task: regression
split: {{method: time, time_column: date_time}}
model: {{learner: lightgbm, params: {{n_estimators: 100}}}}
retrain: {{triggers: {{drift: {{metric: rmse, {side}: 60}}}}}}
"""


@pytest.fixture
def served(cli, tmp_path):
    """Models 'above' and 'below' trained on the winter hours, June answered and labelled."""
    hours = pd.read_csv(SLICE, dtype={"date_time": str})
    winter, june = hours[hours["date_time"] < "2011-04"], hours[hours["date_time"] >= "2011-06"]
    winter.to_csv(tmp_path / "winter.csv", index=False)
    for side in ("above", "below"):
        spec = tmp_path / f"{side}.yaml"
        spec.write_text(SPEC.format(name=side, source=tmp_path / "winter.csv", side=side))
        trained = cli("train", spec)
        assert trained.code == 0, trained.err
    home = tmp_path / "home"
    app = create_app(load_settings(home), loopback_config(models=("above", "below"),
                                                          log_flush_s=60))  # fmt: skip
    days = [day for _, day in june.groupby(june["date_time"].str[:10])]
    labels = {"above": [], "below": []}
    with live_server(app) as server:
        import httpx

        with httpx.Client(base_url=server.url, timeout=30) as client:
            wait_ready(client)
            for name in labels:
                for day in days:
                    body = json_records(day.drop(columns=["users"]))
                    answer = client.post(f"/v1/models/{name}/predict", json=body).json()
                    labels[name] += [(answer["request_id"], i, y)
                                     for i, y in enumerate(day["users"])]
    for name, rows in labels.items():  # the server flushed its log on shutdown
        path = tmp_path / f"{name}_labels.csv"
        pd.DataFrame(rows, columns=["request_id", "row", "label"]).to_csv(path, index=False)
        fed = cli("monitor", "feedback", name, path)
        assert fed.code == 0, fed.err
    return cli


def test_rmse_above_fires_and_retrains_and_below_is_refused(served):
    result = served("retrain", "above", "--json")
    assert result.code == 0, result.err
    done = result.json()
    [check] = done["checks"]
    assert check["trigger"] == "drift" and check["fired"], check
    assert check["detail"].startswith("live rmse ") and "is above 60" in check["detail"]
    assert check["values"]["rmse"] > 60 and check["values"]["above"] == pytest.approx(60)
    assert done["retrained"] and done["outcome"]["trigger"] == "drift"

    result = served("retrain", "below", "--json")  # rmse below 60 would fire on a good model
    assert result.code == 0, result.err
    done = result.json()
    [check] = done["checks"]
    assert not check["fired"] and not done["retrained"]
    assert "below: 60.0 for rmse, where lower is better" in check["detail"]

"""``modelyard serve --workers 2``: two processes answer on one port, /metrics adds up what both
did, and stopping the server flushes both prediction logs."""

from __future__ import annotations

import httpx
import pyarrow.parquet as pq
from bad_input.http import PREDICT, RECORD, serving

from modelyard.settings import load_settings
from serving_helpers import build_bundle, metric_value, register

LOADS = 'modelyard_model_load_seconds_count{model="churn",version="1"}'
PREDICTED = 'modelyard_predicted_rows_total{model="churn",version="1"}'
REQUESTS = 30


def test_two_workers_answer_on_one_port_and_count_together(tmp_path):
    home = tmp_path / "home"
    register(load_settings(home), "churn", build_bundle(tmp_path / "churn", C=1.0))
    log = tmp_path / "serve.log"
    with serving(home, log, "--workers", "2", "--swap-interval", "0.2") as client:
        # each worker loads the model in its own first round: both loads show in one scrape
        # (a scrape answered by one worker alone would show 1)
        for _ in range(600):
            if metric_value(client, LOADS) >= 2:
                break
            client.get("/healthz")  # a short request as a pause
        assert metric_value(client, LOADS) == 2  # exact: a count
        url = str(client.base_url)
        for _ in range(REQUESTS):  # a new connection each time: either worker may take it
            with httpx.Client(base_url=url, timeout=30) as fresh:
                assert fresh.post(PREDICT, json=RECORD).status_code == 200
        assert metric_value(client, PREDICTED) == REQUESTS  # exact: a count
    text = log.read_text()
    assert "2 worker processes" in text and "Traceback" not in text
    files = sorted((home / "predictions" / "churn" / "v1").glob("*.parquet"))
    assert sum(pq.read_metadata(f).num_rows for f in files) == REQUESTS  # every row, flushed
    assert len({f.name.split("-")[1] for f in files}) <= 2  # files carry their worker's pid

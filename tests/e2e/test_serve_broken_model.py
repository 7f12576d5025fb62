"""A real ``modelyard serve`` over a store where one model's stored files are corrupt: the other
model answers, the broken one gets a 503 that names the problem and no server folder, /readyz
reports both, and the log says it once (not every round) while keeping the full text, with the
request id, for the operator."""

from __future__ import annotations

from bad_input.http import PREDICT, RECORD, serving

from modelyard.settings import load_settings
from serving_helpers import build_bundle, corrupt_own_file, metric_value, register

FRAUD = "/v1/models/fraud/predict"


def test_serve_answers_with_the_good_model_and_reports_the_broken_one(tmp_path):
    home = tmp_path / "home"
    settings = load_settings(home)
    register(settings, "churn", build_bundle(tmp_path / "churn", C=1.0))
    register(settings, "fraud", build_bundle(tmp_path / "fraud", C=0.01))
    corrupt_own_file(settings, "fraud", "churn")
    log = tmp_path / "serve.log"
    with serving(home, log, "--swap-interval", "0.1") as client:
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "degraded"
        assert ready.json()["models"] == {"churn": 1}
        assert "corrupt" in ready.json()["errors"]["fraud"]["message"]
        assert client.post(PREDICT, json=RECORD).status_code == 200
        broken = client.post(FRAUD, json=RECORD, headers={"x-request-id": "probe-fraud-1"})
        assert broken.status_code == 503
        error = broken.json()["error"]
        assert "fraud:1" in error["message"] and "corrupt" in error["message"] and error["hint"]
        for text in (broken.text, ready.text):
            assert str(home) not in text and "sqlite:" not in text and "Traceback" not in text

        refresh_errors = 'modelyard_model_refresh_errors_total{ref="fraud"}'
        deadline = 600  # rounds the server gets to fail ten times (0.1 s apart: about a second)
        while metric_value(client, refresh_errors) < 10 and deadline:
            deadline -= 1
            client.get("/healthz")  # one short request: a small pause without a sleep
        assert metric_value(client, refresh_errors) >= 10
        assert client.post(PREDICT, json=RECORD).status_code == 200
    text = log.read_text()
    assert text.count("cannot load fraud:1") == 1, text[-3000:]
    assert str(home / "artifacts") in text  # the operator's log names the folder...
    assert "probe-fraud-1" in text  # ...and the request the client can quote
    assert "Traceback" not in text

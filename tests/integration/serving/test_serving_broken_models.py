"""A model whose stored files are corrupt is unavailable (503, a clear message) while every other
model keeps answering; /readyz says which answer and why the others cannot; the failure is
logged once, not every round, and the model answers again once its files are restored."""

from __future__ import annotations

import logging
import time

import httpx

from serving_helpers import (
    churn_rows,
    corrupt_own_file,
    feature_records,
    metric_value,
    move_alias,
    register,
    wait_ready,
)


def poll(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while not (result := check()):
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)
    return result


def refresh_errors(client: httpx.Client, ref: str) -> float:
    """modelyard_model_refresh_errors_total for ``ref``: one per round in which it failed."""
    return metric_value(client, f'modelyard_model_refresh_errors_total{{ref="{ref}"}}')


def warnings_about(caplog, words: str) -> int:
    return sum(words in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


def test_a_corrupt_model_is_unavailable_and_the_others_keep_serving(
    churn, serve, settings, bundle_v1, bundle_v2, caplog
):
    caplog.set_level(logging.INFO, logger="modelyard")
    register(settings, "fraud", bundle_v2)
    broken, good = corrupt_own_file(settings, "fraud", "churn")
    _, client = serve(swap_interval_s=0.05)
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]

    ready = wait_ready(client)
    assert ready["status"] == "degraded" and ready["models"] == {"churn": 1}
    reason = ready["errors"]["fraud"]
    assert reason["type"] == "ModelUnavailable" and "corrupt" in reason["message"]
    assert "/readyz" in reason["hint"]
    assert client.post("/v1/models/churn/predict", json=record).status_code == 200
    answer = client.post("/v1/models/fraud/predict", json=record)
    assert answer.status_code == 503
    error = answer.json()["error"]
    assert error["type"] == "ModelUnavailable" and "fraud:1" in error["message"]
    assert "corrupt" in error["message"] and error["hint"]
    for text in (answer.text, client.get("/readyz").text):
        assert str(settings.home) not in text and "sqlite:" not in text and 'File "' not in text
    assert client.get("/readyz", params={"model": "churn"}).status_code == 200
    one = client.get("/readyz", params={"model": "fraud"})
    assert one.status_code == 503 and one.json()["status"] == "unavailable"

    poll(lambda: refresh_errors(client, "fraud") >= 8)  # eight rounds failed...
    assert warnings_about(caplog, "cannot load fraud:1") == 1  # ...and said so once
    assert str(settings.artifact_root) in caplog.text  # the log names the store's folder
    assert client.post("/v1/models/churn/predict", json=record).status_code == 200

    broken.write_bytes(good)  # the operator restores the object
    assert poll(lambda: client.get("/readyz").json()["status"] == "ready")
    assert client.post("/v1/models/fraud/predict", json=record).json()["version"] == 1
    assert "fraud:1 loads again" in caplog.text


def test_an_alias_moved_to_a_corrupt_version_keeps_answering_with_the_old_one(
    churn, serve, settings, bundle_v1, bundle_v2, caplog
):
    caplog.set_level(logging.INFO, logger="modelyard")
    _, client = serve(models=("churn@production",), swap_interval_s=0.05)
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    wait_ready(client)
    register(settings, "churn", bundle_v2)
    corrupt_own_file(settings, "churn:2", "churn:1")
    move_alias(settings, "churn", "production", 2)

    degraded = poll(lambda: (body := client.get("/readyz").json())["status"] == "degraded"
                    and body)  # fmt: skip
    assert degraded["models"] == {"churn@production": 1}
    assert "churn:2" in degraded["errors"]["churn@production"]["message"]
    answer = client.post("/v1/models/churn@production/predict", json=record)
    assert answer.status_code == 200 and answer.json()["version"] == 1


def test_a_broken_version_asked_for_by_requests_is_not_reread_per_request(
    churn, serve, settings, bundle_v1, bundle_v2, caplog
):
    caplog.set_level(logging.INFO, logger="modelyard")
    register(settings, "churn", bundle_v2)
    corrupt_own_file(settings, "churn:2", "churn:1")
    _, client = serve(models=("churn@production",), swap_interval_s=600)  # no retry round
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    wait_ready(client)
    for _ in range(5):
        answer = client.post("/v1/models/churn:2/predict", json=record)
        assert answer.status_code == 503 and "churn:2" in answer.json()["error"]["message"]
    assert warnings_about(caplog, "cannot load churn:2") == 1
    assert client.post("/v1/models/churn:1/predict", json=record).status_code == 200

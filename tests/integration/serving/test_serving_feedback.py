"""``POST /v1/models/{name}/feedback`` over real HTTP: labels for the predictions the same server
answered, joined by request id (and row) or by a logged input column, stored under
MODELYARD_HOME/feedback; the route always needs a key, and a bad body is a 422."""

from __future__ import annotations

import pandas as pd

from modelyard.registry.keys import ApiKeys
from modelyard.registry.registry import Registry
from serving_helpers import churn_rows, feature_records

PREDICT, FEEDBACK = "/v1/models/churn/predict", "/v1/models/churn/feedback"


def create_key(settings, name: str, models: list[str] | None = None) -> str:
    with Registry.open(settings) as registry:
        return ApiKeys(registry.store).create(name, models)[1]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_feedback_by_request_id_and_key_over_http(churn, serve, settings, bundle_v1):
    key = create_key(settings, "labeller")
    server, client = serve(models=("churn@production",), log_flush_s=0.05)
    rows = churn_rows().iloc[:6]
    records = feature_records(bundle_v1, rows)
    single = client.post(PREDICT, json=records[0]).json()["request_id"]
    batch = client.post(PREDICT, json=records[1:]).json()["request_id"]
    server.stop()  # flushes the log
    server, client = serve(models=("churn@production",))
    truth = [bool(v == "Yes") for v in rows["Churn"]]
    body = [{"request_id": single, "label": truth[0]}] + [
        {"request_id": batch, "row": i, "label": truth[i + 1]} for i in range(5)
    ] + [{"request_id": "never-seen", "label": True}, {"request_id": batch, "row": 1,
                                                        "label": "perhaps"}]
    answer = client.post(FEEDBACK, json=body, headers=bearer(key))
    assert answer.status_code == 200, answer.text
    summary = answer.json()
    assert summary["stored"] == summary["predictions"] == 6
    assert summary["unknown"] == 1 and summary["examples"]["unknown"] == ["never-seen"]
    assert summary["wrong_type"] == 1 and summary["examples"]["wrong_type"] == ["perhaps"]
    assert "file" not in summary  # no server paths in an answer
    [stored] = (settings.home / "feedback" / "churn").glob("*.parquet")
    frame = pd.read_parquet(stored)
    assert sorted(frame["row"].tolist()) == [0, 0, 1, 2, 3, 4]
    assert set(frame["label"]) <= {"True", "False"}

    by_key = [{"tenure": int(rows["tenure"].iloc[0]), "label": truth[0]}]
    keyed = client.post(FEEDBACK, json=by_key, headers=bearer(key))
    assert keyed.status_code == 200, keyed.text
    assert keyed.json()["stored"] == 1 and keyed.json()["predictions"] >= 1


def test_feedback_needs_a_key_checks_the_body_and_the_model(churn, serve, settings):
    key = create_key(settings, "labeller")
    other = create_key(settings, "other-team", ["churn"])
    with Registry.open(settings) as registry:  # a key for another model only
        ApiKeys(registry.store).revoke("other-team")
    limited = create_key(settings, "limited", ["churn"])
    _, client = serve(models=("churn@production",))
    body = [{"request_id": "x", "label": True}]
    assert client.post(FEEDBACK, json=body).status_code == 401  # keys optional, but not here
    assert client.post(FEEDBACK, json=body, headers=bearer(other)).status_code == 401
    assert client.post("/v1/models/fraud/feedback", json=body,
                       headers=bearer(limited)).status_code == 403  # fmt: skip
    unknown = client.post("/v1/models/fraud/feedback", json=body, headers=bearer(key))
    assert unknown.status_code == 404
    for bad in ({"request_id": "x", "label": 1}, [], [{"request_id": "x"}],
                [{"request_id": "x", "row": "first", "label": True}],
                [{"request_id": "x", "label": True}, {"tenure": 3, "label": True}],
                [{"request_id": "x", "tenure": 3, "label": True}]):
        answer = client.post(FEEDBACK, json=bad, headers=bearer(key))
        assert answer.status_code == 422, (bad, answer.text)
        assert answer.json()["error"]["hint"]
    nothing = client.post(FEEDBACK, json=body, headers=bearer(key))
    assert nothing.status_code == 422 and "none of the 1 labels" in nothing.json()["error"][
        "message"]  # fmt: skip
    assert not (settings.home / "feedback").exists()

"""What a server serves over time: readiness waits for configured models, new models are picked up
in serve-all mode, and references asked for on demand are loaded, kept fresh and bounded."""

from __future__ import annotations

import time

from serving_helpers import churn_rows, feature_records, move_alias, register, wait_ready


def poll(check, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.05)


def test_not_ready_until_the_configured_alias_exists(churn, serve, settings, bundle_v2):
    _, client = serve(models=("churn@staging",), swap_interval_s=0.2)
    poll(lambda: client.get("/readyz").json()["status"] != "loading", timeout=30)
    response = client.get("/readyz")  # the first round is over and found no such alias
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["models"] == {}
    assert "staging" in body["errors"]["churn@staging"]["message"]
    assert client.get("/healthz").status_code == 200
    move_alias(settings, "churn", "staging", 1)
    assert wait_ready(client, timeout=5)["models"] == {"churn@staging": 1}


def test_serve_all_mode_picks_up_new_models(churn, serve, settings, bundle_v1, bundle_v2):
    _, client = serve(swap_interval_s=0.2)
    wait_ready(client)
    register(settings, "fraud", bundle_v2)

    def fraud_listed() -> bool:
        return "fraud" in {m["model"] for m in client.get("/v1/models").json()["models"]}

    poll(fraud_listed)
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    assert client.post("/v1/models/fraud/predict", json=record).json()["version"] == 1
    spec = client.get("/openapi.json").json()
    assert "/v1/models/fraud/predict" in spec["paths"]


def test_on_demand_references_follow_their_alias_and_stay_bounded(
    churn, serve, settings, bundle_v1, bundle_v2
):
    v2 = register(settings, "churn", bundle_v2, alias="staging")
    _, client = serve(models=("churn@production",), swap_interval_s=0.2, max_dynamic_slots=1)
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]

    def version_of(ref: str) -> int:
        return client.post(f"/v1/models/{ref}/predict", json=record).json()["version"]

    assert version_of("churn@staging") == v2
    move_alias(settings, "churn", "staging", 1)
    poll(lambda: version_of("churn@staging") == 1)
    assert version_of("churn:2") == v2  # evicts churn@staging (one on-demand slot at most)
    refs = {m["ref"] for m in client.get("/v1/models").json()["models"]}
    assert refs == {"churn@production", "churn:2"}
    assert version_of("churn@staging") == 1  # loaded again on demand

"""Hot swap under load: while client threads send requests without pause, the alias moves; no
request fails or is dropped, and answers come from the new version within a few seconds."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from modelyard.model import ModelBundle
from modelyard.serving import predict_records
from serving_helpers import churn_rows, feature_records, move_alias, register, wait_ready

CLIENTS = 4
SWAP_WITHIN_S = 5.0


def test_alias_move_swaps_versions_with_no_failed_request(
    churn, serve, settings, bundle_v1, bundle_v2
):
    v2 = register(settings, "churn", bundle_v2)  # registered, not yet production
    server, client = serve(models=("churn@production",), swap_interval_s=0.2)
    wait_ready(client)
    rows = churn_rows().iloc[:1]
    record = feature_records(bundle_v1, rows)[0]
    expected = {
        1: predict_records(ModelBundle.load(bundle_v1), rows)["proba_True"].iloc[0],
        v2: predict_records(ModelBundle.load(bundle_v2), rows)["proba_True"].iloc[0],
    }
    assert expected[1] != pytest.approx(expected[v2], rel=1e-9)  # the answers tell them apart

    stop = threading.Event()
    seen: list[list[tuple[float, int]]] = [[] for _ in range(CLIENTS)]
    failures: list[str] = []

    def hammer(i: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as own:
            while not stop.is_set():
                try:
                    response = own.post("/v1/models/churn@production/predict", json=record)
                except httpx.HTTPError as err:  # a dropped connection is a failure too
                    failures.append(f"client {i}: {type(err).__name__}: {err}")
                    continue
                if response.status_code != 200:
                    failures.append(f"client {i}: {response.status_code} {response.text[:200]}")
                    continue
                body = response.json()
                if body["probabilities"][0]["True"] != pytest.approx(expected[body["version"]],
                                                                    rel=1e-9):
                    failures.append(f"client {i}: version {body['version']} answered wrongly")
                seen[i].append((time.monotonic(), body["version"]))

    threads = [threading.Thread(target=hammer, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.8)
        moved_at = time.monotonic()
        move_alias(settings, "churn", "production", v2)
        deadline = moved_at + SWAP_WITHIN_S
        while time.monotonic() < deadline and not all(
            any(v == v2 for _, v in answers) for answers in seen
        ):
            time.sleep(0.05)
        time.sleep(0.5)  # keep the load on for a moment after the swap
    finally:
        stop.set()
        for t in threads:
            t.join(30)

    assert not failures, failures[:5]
    answers = [a for per_client in seen for a in per_client]
    assert len(answers) > 20, "the clients barely sent anything"
    assert any(v == 1 for _, v in answers), "no answer before the swap"
    first_new = min(t for t, v in answers if v == v2)
    assert first_new - moved_at < SWAP_WITHIN_S
    for per_client in seen:  # per client, requests are sequential: never back to the old one
        versions = [v for _, v in per_client]
        assert v2 in versions
        assert 1 not in versions[versions.index(v2) :]
    described = client.get("/v1/models/churn@production").json()
    assert described["version"] == v2 and described["version_aliases"] == ["production"]
    metrics = client.get("/metrics").text
    assert 'modelyard_model_swaps_total{ref="churn@production"} 1.0' in metrics
    assert f'modelyard_served_version{{ref="churn@production"}} {float(v2)}' in metrics


def test_a_pinned_version_never_moves(churn, serve, settings, bundle_v1, bundle_v2):
    v2 = register(settings, "churn", bundle_v2)
    _, client = serve(models=("churn:1", "churn@production"), swap_interval_s=0.2)
    wait_ready(client)
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    move_alias(settings, "churn", "production", v2)
    deadline = time.monotonic() + SWAP_WITHIN_S
    while client.post("/v1/models/churn@production/predict", json=record).json()["version"] != v2:
        assert time.monotonic() < deadline, "the alias move was not picked up"
        time.sleep(0.05)
    assert client.post("/v1/models/churn:1/predict", json=record).json()["version"] == 1

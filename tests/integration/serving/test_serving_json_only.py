"""JSON routes take JSON only, on every route with a body (those added later too), and routes that
change the store need a key even where keys are optional: what a web page can make a browser send
cross-origin without asking (text/plain, forms, no Authorization header) is refused."""

from __future__ import annotations

import json

import httpx
from fastapi import Depends

from modelyard.registry.keys import ApiKeys
from modelyard.registry.registry import Registry
from modelyard.serving import create_app
from modelyard.serving.auth import require_write_key
from serving_helpers import (
    churn_rows,
    feature_records,
    live_server,
    loopback_config,
    register,
    wait_ready,
)

PREDICT = "/v1/models/churn/predict"
CHANGE = "/v1/models/{ref}/change"  # a route that changes the store, as feedback will


def test_a_browser_page_cannot_post_to_a_keyless_loopback_server(churn, serve, bundle_v1):
    _, client = serve()  # loopback, no keys: the case a cross-origin page would aim at
    wait_ready(client)
    data = json.dumps(feature_records(bundle_v1, churn_rows().iloc[:1])[0]).encode()
    for kind in ("text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
                 "multipart/form-data; boundary=x"):  # fmt: skip
        refused = client.post(PREDICT, content=data, headers={"content-type": kind})
        assert refused.status_code == 415, refused.text
        error = refused.json()["error"]
        assert error["type"] == "UnsupportedMediaType" and "application/json" in error["hint"]
    assert client.post(PREDICT, content=data).status_code == 415  # no Content-Type at all
    assert client.post(PREDICT, content=data,
                       headers={"content-type": "application/json"}).status_code == 200
    preflight = client.options(PREDICT, headers={
        "origin": "https://evil.example", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})  # fmt: skip
    assert "access-control-allow-origin" not in preflight.headers  # the browser stops there


def test_routes_that_change_the_store_need_a_key_and_json(churn, settings, bundle_v1):
    register(settings, "fraud", bundle_v1)
    with Registry.open(settings) as registry:
        keys = ApiKeys(registry.store)
        ops, churn_only = keys.create("ops")[1], keys.create("checkout", ["churn"])[1]
    app = create_app(settings, loopback_config(swap_interval_s=0.2))  # keys optional

    @app.put(CHANGE, dependencies=[Depends(require_write_key)])
    async def change(ref: str) -> dict[str, str]:
        return {"changed": ref}

    with live_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        wait_ready(client)
        url = CHANGE.format(ref="churn")
        anonymous = client.put(url, json={})
        assert anonymous.status_code == 401 and "needs an API key" in anonymous.json()["error"][
            "message"]  # fmt: skip
        assert "keys create" in anonymous.json()["error"]["hint"]
        bearer = {"authorization": f"Bearer {ops}"}
        assert client.put(url, json={}, headers=bearer).json() == {"changed": "churn"}
        plain = client.put(url, content=b"{}", headers={**bearer, "content-type": "text/plain"})
        assert plain.status_code == 415  # a key does not make a non-JSON body acceptable
        other = client.put(CHANGE.format(ref="fraud"), json={},
                           headers={"authorization": f"Bearer {churn_only}"})  # fmt: skip
        assert other.status_code == 403
        assert client.get("/v1/models").status_code == 200  # reading still needs no key here

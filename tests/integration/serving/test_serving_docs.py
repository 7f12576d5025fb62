"""The API docs over real HTTP: /openapi.json, /docs and /redoc need a key wherever /v1 does (a
browser's Basic prompt or a Bearer header), a key limited to some models sees only their schemas,
the pages load no asset from another host, and /metrics is documented as Prometheus text."""

from __future__ import annotations

import re

import httpx

from modelyard.registry.keys import ApiKeys
from modelyard.registry.registry import Registry
from modelyard.serving import create_app
from serving_helpers import live_server, register, wait_ready

DOC_PATHS = ("/openapi.json", "/docs", "/redoc")


def create_key(settings, name: str, models: list[str] | None = None) -> str:
    with Registry.open(settings) as registry:
        return ApiKeys(registry.store).create(name, models)[1]


def test_the_app_factory_requires_keys_for_v1_and_the_docs(churn, settings):
    with live_server(create_app(settings)) as server, httpx.Client(base_url=server.url) as client:
        for path in (*DOC_PATHS, "/v1/models", "/v1/models/churn"):
            response = client.get(path)
            assert response.status_code == 401, (path, response.text)
            assert "churn" not in response.text and "Partner" not in response.text
        assert client.get("/healthz").status_code == 200  # probes stay open


def test_a_key_sees_the_docs_of_the_models_it_may_use(churn, serve, settings, bundle_v2):
    register(settings, "fraud", bundle_v2)
    everything = create_key(settings, "ops")
    churn_only = create_key(settings, "checkout", ["churn"])
    _, client = serve(require_keys=True)
    wait_ready(client)

    for path in DOC_PATHS:  # a browser asks for the key: a Basic challenge
        missing = client.get(path)
        assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith(
            'Basic realm="modelyard API docs"'
        )
        assert "password" in missing.json()["error"]["hint"]
        assert client.get(path, auth=("", "myk_wrong")).status_code == 401
        assert client.get(path, headers={"Authorization": "Basic !!"}).status_code == 401
        assert client.get(path, auth=("anyone", everything)).status_code == 200
    assert client.get("/v1/models").headers["www-authenticate"] == "Bearer"  # API clients
    assert client.get("/v1/models", auth=("", churn_only)).status_code == 200  # curl -u :KEY
    assert client.get("/v1/models/fraud", auth=("", churn_only)).status_code == 403

    whole = client.get("/openapi.json", headers={"Authorization": f"Bearer {everything}"}).json()
    assert {"/v1/models/churn/predict", "/v1/models/fraud/predict"} <= set(whole["paths"])
    assert {"churn_v1_Record", "fraud_v1_Record"} <= set(whole["components"]["schemas"])

    limited = client.get("/openapi.json", auth=("", churn_only))
    assert limited.status_code == 200
    document = limited.json()
    assert "/v1/models/churn/predict" in document["paths"]
    assert "/v1/models/{ref}/predict" in document["paths"]  # the generic routes stay
    assert "churn_v1_Record" in document["components"]["schemas"]
    assert "fraud" not in limited.text  # neither its path nor its schema
    # the limited view is a copy: the whole document is unchanged for the next key
    again = client.get("/openapi.json", auth=("", everything)).json()
    assert again == whole


def test_the_docs_pages_load_their_assets_from_this_server(churn, serve):
    _, client = serve()  # loopback: keys optional, the docs open without one
    wait_ready(client)
    for page in ("/docs", "/redoc"):
        html = client.get(page)
        assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
        urls = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html.text)
        urls += re.findall(r"""url: ?["']([^"']+)["']""", html.text)  # the spec Swagger UI loads
        urls += re.findall(r"""spec-url=["']([^"']+)["']""", html.text)  # ... and ReDoc
        assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
        assert "cdn." not in html.text and "fonts.googleapis" not in html.text
        assert "validatorUrl" not in html.text or '"validatorUrl": null' in html.text
        for url in urls:
            asset = client.get(url)
            assert asset.status_code == 200 and len(asset.content) > 200, url
    bundle = client.get("/docs/assets/swagger-ui-bundle.js")
    assert "javascript" in bundle.headers["content-type"] and b"SwaggerUIBundle" in bundle.content


def test_metrics_are_documented_as_prometheus_text(churn, serve):
    _, client = serve()
    operation = client.get("/openapi.json").json()["paths"]["/metrics"]["get"]
    content = operation["responses"]["200"]["content"]
    assert set(content) == {"text/plain"} and content["text/plain"]["schema"] == {"type": "string"}
    assert "Prometheus" in operation["responses"]["200"]["description"]
    scraped = client.get("/metrics")
    assert scraped.headers["content-type"].startswith("text/plain")
    assert "# TYPE modelyard_requests_total counter" in scraped.text

"""The model server over real HTTP: answers, errors (never 500), probes, metrics, OpenAPI, and the
one predict path shared with `modelyard predict`."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from modelyard.data.sources import read_file
from modelyard.model import ModelBundle
from modelyard.serving import predict_records
from modelyard.spec.models import ReadOptions
from serving_helpers import CHURN_CSV, churn_rows, feature_records, wait_ready

PREDICT = "/v1/models/churn@production/predict"


def test_one_record_and_a_list_get_predictions_version_and_request_id(churn, serve, bundle_v1):
    _, client = serve(models=("churn@production",))
    wait_ready(client)
    records = feature_records(bundle_v1, churn_rows().iloc[:5])

    one = client.post(PREDICT, json=records[0], headers={"X-Request-ID": "req-123"})
    assert one.status_code == 200, one.text
    body = one.json()
    assert body["model"] == "churn" and body["version"] == churn == 1
    assert body["ref"] == "churn@production"
    assert body["request_id"] == "req-123" == one.headers["x-request-id"]
    assert len(body["predictions"]) == 1 and set(body["probabilities"][0]) == {"False", "True"}
    assert abs(sum(body["probabilities"][0].values()) - 1) < 1e-9

    many = client.post(PREDICT, json=records)
    assert many.status_code == 200, many.text
    assert len(many.json()["predictions"]) == 5
    assert many.json()["predictions"][0] == body["predictions"][0]
    assert len(many.headers["x-request-id"]) == 32  # generated when the client sends none


def test_name_alias_and_version_references(churn, serve, bundle_v1):
    _, client = serve(models=("churn@production",))
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    for ref in ("churn", "churn@production", "churn:1"):
        response = client.post(f"/v1/models/{ref}/predict", json=record)
        assert response.status_code == 200, (ref, response.text)
        assert response.json()["version"] == 1
    for ref, needle in (
        ("churn@staging", "staging"),
        ("churn:7", "version 7"),
        ("fraud", "fraud"),
        ("churn@", "reference"),
    ):
        response = client.post(f"/v1/models/{ref}/predict", json=record)
        assert response.status_code == 404, (ref, response.text)
        assert needle in response.json()["error"]["message"]


def test_bad_requests_get_4xx_naming_the_field(churn, serve, bundle_v1):
    _, client = serve(models=("churn@production",), max_body_bytes=64 * 1024)
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]

    def post(body: bytes) -> tuple[int, dict]:
        response = client.post(PREDICT, content=body, headers={"content-type": "application/json"})
        return response.status_code, response.json()

    missing = {k: v for k, v in record.items() if k != "tenure"}
    status, body = post(json.dumps(missing).encode())
    assert status == 422 and body["error"]["details"][0]["field"] == "tenure"
    assert "tenure" in body["error"]["message"] and "tenure" in body["error"]["hint"]

    status, body = post(json.dumps({**record, "colour": "red"}).encode())
    assert status == 422 and "colour" in body["error"]["message"]

    status, body = post(json.dumps({**record, "tenure": "twelve"}).encode())
    assert status == 422 and body["error"]["details"][0]["field"] == "tenure"

    for bad in ("NaN", "Infinity", "-Infinity"):
        status, body = post(json.dumps(record).replace('"tenure": 1', f'"tenure": {bad}').encode())
        assert status == 422 and "tenure" in body["error"]["message"], bad
        assert "finite" in body["error"]["message"]

    status, body = post(json.dumps([record, {**record, "Contract": 5}]).encode())
    assert status == 422 and body["error"]["details"][0]["field"] == "[1].Contract"

    status, body = post(b"[]")
    assert status == 422 and "empty" in body["error"]["message"]
    status, body = post(b'{"tenure": ')
    assert status == 400 and "not valid JSON" in body["error"]["message"]
    status, body = post(b"")
    assert status == 400
    status, body = post(b'"just a string"')
    assert status == 422
    status, body = post(json.dumps({**record, "gender": "x" * 70_000}).encode())
    assert status == 413 and "65536" in body["error"]["message"]

    status, body = post(json.dumps({**record, "gender": "x" * 5_000}).encode())
    assert status == 422 and "gender" in body["error"]["message"]
    assert client.get("/healthz").json() == {"status": "ok"}


def test_models_listing_description_probes_and_metrics(churn, serve, bundle_v1):
    _, client = serve(models=("churn@production",))
    ready = wait_ready(client)
    assert ready == {"status": "ready", "models": {"churn@production": 1}}
    assert client.get("/healthz").status_code == 200

    listing = client.get("/v1/models").json()
    assert [(m["ref"], m["version"]) for m in listing["models"]] == [("churn@production", 1)]
    described = client.get("/v1/models/churn@production").json()
    assert described["version"] == 1 and described["aliases"] == {"production": 1}
    assert described["metrics"] == {"roc_auc": 0.8}  # exact: stored value read back
    assert described["outputs"] == ["prediction", "proba_False", "proba_True"]
    schema = described["input_schema"]
    assert schema["additionalProperties"] is False
    assert set(schema["required"]) == set(ModelBundle.load(bundle_v1).schema.names)
    assert client.get("/v1/models/nope").status_code == 404

    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    client.post(PREDICT, json=record)
    client.post(PREDICT, json={"bad": 1})
    text = client.get("/metrics").text
    assert (
        'modelyard_requests_total{endpoint="predict",model="churn",status="200",version="1"}'
        in text
    )
    assert (
        'modelyard_request_errors_total{endpoint="predict",model="churn",status="422",'
        'version="1"}' in text
    )
    assert 'modelyard_request_duration_seconds_bucket{endpoint="predict"' in text
    assert 'modelyard_model_load_seconds_count{model="churn",version="1"} 1.0' in text
    assert 'modelyard_served_version{ref="churn@production"} 1.0' in text


def test_openapi_has_a_request_schema_per_served_model(churn, serve, settings, bundle_v2):
    from serving_helpers import register

    register(settings, "fraud", bundle_v2)
    _, client = serve()  # no models named: every registered model by name
    wait_ready(client)
    spec = client.get("/openapi.json").json()
    for name in ("churn", "fraud"):
        operation = spec["paths"][f"/v1/models/{name}/predict"]["post"]
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["oneOf"][0]["$ref"]
        component = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert "tenure" in component["properties"] and component["additionalProperties"] is False
    assert "/v1/models/{ref}/predict" in spec["paths"]
    assert client.get("/docs").status_code == 200


def test_a_file_and_http_give_identical_answers(churn, serve, settings, tmp_path, cli_app):
    rows = read_file(CHURN_CSV, ReadOptions()).iloc[250:]  # rows the model did not train on
    _, client = serve(models=("churn@production",))
    wait_ready(client)  # the server has the version's files in place once it answers
    bundle = ModelBundle.load(next(settings.artifact_root.rglob("bundle.json")).parent)
    direct = predict_records(bundle, rows)

    payload = feature_records(next(settings.artifact_root.rglob("bundle.json")).parent, rows)
    answer = client.post(PREDICT, json=payload).json()
    assert answer["predictions"] == direct["prediction"].tolist()
    http_true = [p["True"] for p in answer["probabilities"]]
    # the same predict code, on rows that reached it as JSON and as a frame: a tolerance
    assert http_true == pytest.approx(direct["proba_True"].tolist(), rel=1e-9)

    out = tmp_path / "scored.parquet"
    rows.to_csv(tmp_path / "rows.csv", index=False)
    args = ["predict", "churn@production", str(tmp_path / "rows.csv"), "-o", str(out), "--json"]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == len(rows)
    scored = pd.read_parquet(out)
    assert list(scored.columns[: len(rows.columns)]) == list(rows.columns)
    assert scored["prediction"].tolist() == answer["predictions"]
    assert scored["proba_True"].tolist() == pytest.approx(http_true, rel=1e-9)

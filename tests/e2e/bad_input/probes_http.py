"""Requests a client gets wrong, or an attacker crafts, against a served churn model."""

from __future__ import annotations

import json

from bad_input.http import PREDICT, RECORD, HttpProbe

HUGE = "99999999999999999999999"


def _raw(field: str, literal: str) -> bytes:
    """RECORD as JSON with ``field`` set to a literal json.dumps would not write (NaN, 1e400)."""
    return json.dumps({**RECORD, field: 0}).replace(f'"{field}": 0', f'"{field}": {literal}') \
        .encode()

FEEDBACK = "/v1/models/churn/feedback"
WRITE = {"Authorization": "Bearer {key}"}  # filled in with the key the test's server has

PROBES = [
    HttpProbe("predict-ok", PREDICT, 200, json=RECORD, says=('"version"',)),
    HttpProbe("unknown-model", "/v1/models/nosuchmodel/predict", 404, json=RECORD,
              says=("nosuchmodel",)),
    HttpProbe("version-too-large", f"/v1/models/churn:{HUGE}/predict", 404, json=RECORD,
              says=("version numbers run from 1",)),
    HttpProbe("unknown-alias", "/v1/models/churn@nosuchalias/predict", 404, json=RECORD,
              says=("nosuchalias",)),
    HttpProbe("malformed-json", PREDICT, 400, content=b'{"gender": "Female",',
              headers={"content-type": "application/json"}, says=("json",)),
    HttpProbe("missing-field", PREDICT, 422,
              json={k: v for k, v in RECORD.items() if k != "tenure"}, says=("tenure",)),
    HttpProbe("unknown-field", PREDICT, 422, json={**RECORD, "surprise": 1},
              says=("surprise",)),
    HttpProbe("number-as-text", PREDICT, 422, json={**RECORD, "tenure": "twelve"},
              says=("tenure",)),
    HttpProbe("empty-list", PREDICT, 422, json=[]),
    HttpProbe("wrong-bearer-key", PREDICT, 401, json=RECORD,
              headers={"authorization": "Bearer myk_not_a_key"}, says=("not valid",)),
    HttpProbe("sql-in-a-model-name", "/v1/models/churn';drop table models;--/predict", 404,
              json=RECORD),
    # JSON routes take JSON only (a browser page can post the other types cross-origin unasked)
    HttpProbe("json-sent-as-text-plain", PREDICT, 415, content=json.dumps(RECORD).encode(),
              headers={"content-type": "text/plain"}, says=("application/json", "'text/plain'")),
    HttpProbe("form-encoded-body", PREDICT, 415, content=b"gender=Female&tenure=1",
              headers={"content-type": "application/x-www-form-urlencoded"},
              says=("application/json", "x-www-form-urlencoded")),
    HttpProbe("multipart-body", PREDICT, 415, content=b"--x\r\n\r\n{}\r\n--x--\r\n",
              headers={"content-type": "multipart/form-data; boundary=x"},
              says=("application/json", "multipart/form-data")),
    HttpProbe("no-content-type", PREDICT, 415, content=json.dumps(RECORD).encode(),
              says=("Content-Type", "application/json")),
    HttpProbe("json-in-latin-1", PREDICT, 415, content=json.dumps(RECORD).encode(),
              headers={"content-type": "application/json; charset=latin-1"},
              says=("UTF-8", "latin-1")),
    HttpProbe("json-declared-utf-8", PREDICT, 200, content=json.dumps(RECORD).encode(),
              headers={"content-type": "Application/JSON; charset=UTF-8"}, says=('"version"',)),
    # server paths and store URLs never reach a client; readiness per model
    HttpProbe("unknown-version", "/v1/models/churn:99/predict", 404, json=RECORD,
              says=("99",)),
    HttpProbe("readyz-per-model", "/readyz?model=churn", 200, method="GET",
              says=('"ready"', '"version"')),
    HttpProbe("readyz-unknown-model", "/readyz?model=nosuchmodel", 404, method="GET",
              says=("nosuchmodel", "churn")),
    # numbers: one finite-number rule, the sentence modelyard predict uses (serving/inputs.py)
    HttpProbe("infinity-literal", PREDICT, 422, json={**RECORD, "tenure": float("inf")},
              says=("tenure: Infinity is not a finite number", "expected a finite number",
                    "null for a missing value")),
    HttpProbe("nan-literal", PREDICT, 422, content=_raw("MonthlyCharges", "NaN"),
              headers={"content-type": "application/json"},
              says=("MonthlyCharges: NaN is not a finite number",)),
    HttpProbe("number-beyond-a-double", PREDICT, 422, content=_raw("TotalCharges", "-1e400"),
              headers={"content-type": "application/json"},
              says=("TotalCharges: -Infinity is not a finite number", "1e400")),
    HttpProbe("integer-beyond-a-double", PREDICT, 422, content=_raw("tenure", "1" + "0" * 400),
              headers={"content-type": "application/json"},
              says=("tenure: Infinity is not a finite number",)),
    HttpProbe("nan-in-second-record", PREDICT, 422,
              json=[RECORD, {**RECORD, "tenure": float("nan")}],
              says=("[1].tenure: NaN is not a finite number",)),
    HttpProbe("huge-finite-number-is-served", PREDICT, 200, json={**RECORD, "tenure": 1e308},
              says=('"predictions"',)),
    # unseen categories (the churn model's policy is the default, warn): scored and reported
    HttpProbe("unseen-category-in-other-case", PREDICT, 200,
              json={**RECORD, "Contract": "month-to-month"},
              says=('"unseen_categories":{"Contract":{"count":1,"values":["month-to-month"]',
                    '"near":{"month-to-month":"Month-to-month"}')),
    HttpProbe("unseen-categories-counted-in-metrics", "/metrics", 200, method="GET",
              says=("modelyard_unseen_categories_total",)),
    HttpProbe("model-name-against-the-rule", "/v1/models/-x/predict", 404, json=RECORD,
              says=("'-x'",)),
    HttpProbe("reference-with-an-empty-alias", "/v1/models/churn@/predict", 404, json=RECORD,
              says=("churn@",)),
    HttpProbe("reference-with-two-separators", "/v1/models/churn@a:1/predict", 404, json=RECORD,
              says=("churn@a:1",)),
    # POST /v1/models/{name}/feedback: a write route, so a key is needed ({key}: the one the
    # server fixture creates); the store has no logged prediction, and nothing may be stored
    HttpProbe("feedback-without-key", FEEDBACK, 401, json=[{"request_id": "r1", "label": "Yes"}],
              says=("key",)),
    HttpProbe("feedback-malformed-json", FEEDBACK, 400, content=b'[{"request_id": "r1",',
              headers={**WRITE, "content-type": "application/json"}, says=("not JSON",)),
    HttpProbe("feedback-wrong-content-type", FEEDBACK, 415,
              content=b'[{"request_id": "r1", "label": "Yes"}]',
              headers={**WRITE, "content-type": "text/plain"}, says=("application/json",)),
    HttpProbe("feedback-empty-list", FEEDBACK, 422, json=[], headers=WRITE,
              says=("non-empty JSON array",)),
    HttpProbe("feedback-not-a-list", FEEDBACK, 422, json={"request_id": "r1", "label": "Yes"},
              headers=WRITE, says=("non-empty JSON array",)),
    HttpProbe("feedback-huge-body", FEEDBACK, 413, headers={**WRITE, "content-type":
              "application/json"}, content=b"[" + b'{"request_id": "r", "label": "Yes"},' *
              300_000 + b"{}]", says=("at most",)),
    HttpProbe("feedback-unknown-model", "/v1/models/nosuchmodel/feedback", 404, headers=WRITE,
              json=[{"request_id": "r1", "label": "Yes"}], says=("nosuchmodel",)),
    HttpProbe("feedback-no-label", FEEDBACK, 422, json=[{"request_id": "r1"}], headers=WRITE,
              says=("has no 'label'",)),
    HttpProbe("feedback-row-not-a-number", FEEDBACK, 422, headers=WRITE,
              json=[{"request_id": "r1", "row": "one", "label": "Yes"}], says=("'row'",)),
    HttpProbe("feedback-wrong-label-types", FEEDBACK, 422, headers=WRITE,
              json=[{"request_id": "r1", "label": {"a": 1}}, {"request_id": "r2", "label": [1]},
                    {"request_id": "r3", "label": None}, {"request_id": "r4", "label": True}],
              says=("label",)),
    HttpProbe("feedback-unknown-ids", FEEDBACK, 422, headers=WRITE,
              json=[{"request_id": "nope", "label": "Yes"}], says=("no logged prediction", "nope")),
]


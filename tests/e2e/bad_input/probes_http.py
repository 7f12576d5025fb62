"""Requests a client gets wrong, or an attacker crafts, against a served churn model."""

from __future__ import annotations

from bad_input.http import PREDICT, RECORD, HttpProbe

HUGE = "99999999999999999999999"

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
]

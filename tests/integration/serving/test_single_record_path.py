"""A request of one record takes the model's compiled single-row path (no DataFrame): the same
answer to the last bit, the same unseen-category report and refusal, and the same prediction-log
rows as the same record sent in a list (the vectorised batch path)."""

from __future__ import annotations

import math

from modelyard.model import fastpath
from modelyard.model.fastpath import row_path
from modelyard.serving.predlog import read_log
from serving_helpers import churn_rows, feature_records, wait_ready

PREDICT = "/v1/models/churn/predict"


def records(bundle_dir) -> list[dict]:
    """Real rows the model did not train on, one with a missing number and an unseen category,
    one with a category that differs from training only in case."""
    rows = feature_records(bundle_dir, churn_rows().iloc[260:272])
    rows[1]["tenure"] = None
    rows[2]["PaymentMethod"] = "Crypto"
    rows[3]["Contract"] = rows[3]["Contract"].lower()
    return rows


def same(a, b) -> bool:
    return (a is None and b is None) or (isinstance(a, float) and math.isnan(a)
                                         and isinstance(b, float) and math.isnan(b)) or a == b


def test_one_record_answers_and_logs_as_a_list_of_one(churn, serve, settings, bundle_v1):
    server, client = serve(models=("churn",))
    wait_ready(client)
    rows = records(bundle_v1)
    for i, record in enumerate(rows):
        one = client.post(PREDICT, json=record, headers={"x-request-id": f"one-{i}"})
        listed = client.post(PREDICT, json=[record], headers={"x-request-id": f"list-{i}"})
        assert one.status_code == listed.status_code == 200
        a, b = one.json(), listed.json()
        assert a["predictions"] == b["predictions"]
        assert a["probabilities"] == b["probabilities"]  # exact: the same bits by design
        assert a["unseen_categories"] == b["unseen_categories"]
    unseen = client.post(PREDICT, json=rows[2]).json()["unseen_categories"]
    assert unseen["PaymentMethod"]["values"] == ["Crypto"]
    original = feature_records(bundle_v1, churn_rows().iloc[263:264])[0]["Contract"]
    near = client.post(PREDICT, json=rows[3]).json()["unseen_categories"]["Contract"]["near"]
    assert near == {rows[3]["Contract"]: original}

    served = server.app.state.serving.pool.lookup("churn")
    assert row_path(served.bundle) is not None
    assert fastpath._CACHE in vars(served.bundle)  # the single records went the compiled way
    assert served.row.ms is not None  # timed, so later ones were answered on the event loop
    server.stop()  # flushes the log

    log = read_log(settings.home / "predictions", "churn")
    by_id = {rid: row for rid, row in zip(log["request_id"], log.to_dict("records"), strict=True)}
    columns = [c for c in log.columns if c.startswith(("input.", "output."))]
    for i in range(len(rows)):
        one, listed = by_id[f"one-{i}"], by_id[f"list-{i}"]
        different = [c for c in columns if not same(one[c], listed[c])]
        assert not different, (i, {c: (one[c], listed[c]) for c in different})



def test_inline_and_thread_pool_answers_are_the_same(churn, serve, bundle_v1):
    """A fast model's one-record requests run on the event loop after the first (timed in the
    thread pool); with ``inline_ms=0`` every one goes through the pool. The answers agree to the
    bit, an invalid record is refused the same way on either path, and a list never goes
    inline."""
    answers = {}
    for inline_ms in (5.0, 0.0):
        server, client = serve(models=("churn",), inline_ms=inline_ms)
        wait_ready(client)
        rows = records(bundle_v1)
        got = [client.post(PREDICT, json=record).json() for record in rows for _ in range(2)]
        bad = client.post(PREDICT, json={**rows[0], "tenure": "long"})
        assert bad.status_code == 422 and "tenure" in bad.text
        served = server.app.state.serving.pool.lookup("churn")
        assert (served.row.ms is not None) is (inline_ms > 0)
        answers[inline_ms] = [(a["predictions"], a["probabilities"]) for a in got]
    assert answers[5.0] == answers[0.0]

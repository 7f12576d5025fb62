"""Property-based fuzzing of the running server: whatever the body (wrong types, unknown or missing
fields, NaN/inf, empty lists, huge strings, nested junk, bytes that are not JSON) and whatever the
model reference, the answer is a 4xx or a 200, never a 5xx, and the server keeps answering."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelyard.serving import create_app
from modelyard.settings import Settings
from serving_helpers import (
    build_bundle,
    churn_rows,
    feature_records,
    live_server,
    loopback_config,
    register,
)

MAX_BODY = 256 * 1024
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=list(HealthCheck),
                derandomize=True)  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory) -> Iterator[tuple[httpx.Client, dict]]:
    """One server for the whole module (hypothesis reruns the test body many times)."""
    root = tmp_path_factory.mktemp("fuzz")
    bundle = build_bundle(root / "bundle")
    settings_ = Settings(home=root / "home")
    register(settings_, "churn", bundle, alias="production")
    record = feature_records(bundle, churn_rows().iloc[:1])[0]
    config = loopback_config(models=("churn@production",), max_body_bytes=MAX_BODY,
                             log_flush_s=0.5)  # fmt: skip
    with live_server(create_app(settings_, config)) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client, record


scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=30)
    | st.sampled_from(["", " ", "Yes", "No", "1e999", "NaN", "\x00", "\ud7ff", "Month-to-month"])
)  # fmt: skip
junk = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12,
)  # fmt: skip
huge_strings = st.sampled_from([1_000, 1_001, 100_000]).map(lambda n: "z" * n)


@st.composite
def mutated_record(draw, record: dict) -> object:
    """A valid record with a few fields dropped, added or replaced by junk."""
    out = dict(record)
    keys = sorted(out)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        action = draw(st.sampled_from(["drop", "add", "replace", "huge"]))
        key = draw(st.sampled_from(keys))
        if action == "drop":
            out.pop(key, None)
        elif action == "add":
            out[draw(st.text(min_size=1, max_size=10))] = draw(junk)
        elif action == "replace":
            out[key] = draw(junk)
        else:
            out[key] = draw(huge_strings)
    if draw(st.booleans()):
        return [out] * draw(st.integers(min_value=1, max_value=3))
    return out


def as_bytes(value: object) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8", "surrogatepass")


def bodies(record: dict) -> st.SearchStrategy[bytes]:
    structured = st.one_of(
        mutated_record(record),
        junk,
        st.just([]),
        st.lists(st.just(record), min_size=1, max_size=3).map(
            lambda rs: [*rs, {"tenure": math.inf}]
        ),
    ).map(as_bytes)
    raw = st.one_of(
        st.binary(max_size=300),
        st.sampled_from([b"", b"{", b"[" * 5000, b"{" * 3000, b'{"a": NaN', b"\xff\xfe\x00",
                         b'{"tenure": 1}' * 3, b"null", b"[null]", b"[[]]", b"1e999999"]),
        st.integers(min_value=1, max_value=200).map(lambda n: b"[" * n + b"]" * n),
    )  # fmt: skip
    truncated = structured.flatmap(
        lambda b: st.integers(min_value=0, max_value=max(0, len(b) - 1)).map(lambda i: b[:i])
    )
    return st.one_of(structured, raw, truncated)


refs = st.one_of(
    st.sampled_from(["churn", "churn@production", "churn:1", "churn:0", "churn:-1", "churn@",
                     "@", ":", "churn@@x", "churn:1:2", "x" * 300, "churn@prod%00"]),
    st.text(min_size=1, max_size=20),
)  # fmt: skip


@FUZZ
@given(data=st.data())
def test_no_body_gets_a_5xx_and_the_server_keeps_answering(fuzz_target, data):
    client, record = fuzz_target
    body = data.draw(bodies(record), label="body")
    response = client.post(
        "/v1/models/churn@production/predict",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code < 500, (body[:200], response.text[:500])
    payload = response.json()
    if response.status_code == 200:
        sent = json.loads(body)
        assert len(payload["predictions"]) == (len(sent) if isinstance(sent, list) else 1)
    else:
        assert payload["error"]["message"] and payload["request_id"]


@FUZZ
@given(ref=refs)
def test_no_model_reference_gets_a_5xx(fuzz_target, ref):
    client, record = fuzz_target
    path = quote(ref, safe="@:")
    for response in (
        client.post(f"/v1/models/{path}/predict", json=record),
        client.get(f"/v1/models/{path}"),
    ):
        assert response.status_code < 500, (ref, response.text[:500])


def test_the_server_still_answers_after_the_fuzzing(fuzz_target):
    client, record = fuzz_target
    assert client.get("/healthz").status_code == 200
    response = client.post("/v1/models/churn@production/predict", json=record)
    assert response.status_code == 200
    assert "modelyard_requests_total" in client.get("/metrics").text

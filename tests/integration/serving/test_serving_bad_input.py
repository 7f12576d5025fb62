"""Bad input as a new user sends it, over real HTTP and through the real CLI: every integer in a
path or query at and beyond its bounds, boolean fields that take exactly what the training data
held, and a client that hangs up mid-request (one log line, no traceback, in the server's log)."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from modelyard.cli import main
from modelyard.serving import create_app
from modelyard.settings import Settings
from serving_helpers import (
    churn_rows,
    feature_records,
    live_server,
    loopback_config,
    register,
    wait_ready,
)

MAX = 2**63 - 1  # the largest integer SQLite and PostgreSQL store (signed 64-bit)


@pytest.fixture(scope="module")
def bounds_target(tmp_path_factory, bundle_v1) -> Iterator[tuple[httpx.Client, Path, dict]]:
    """One store with churn version 1 (and its run), and one server on it, for the whole table."""
    home = tmp_path_factory.mktemp("bounds") / "home"
    settings = Settings(home=home)
    register(settings, "churn", bundle_v1, alias="production")
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    with live_server(create_app(settings, loopback_config(models=("churn",)))) as server:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            wait_ready(client)
            yield client, home, record


# (interface, what is sent, expected HTTP status or CLI exit code, text the answer must hold)
BOUNDS = [
    ("http", "churn:1", 200, '"version":1'),
    ("http", "churn:01", 200, '"version":1'),
    ("http", "churn:0", 404, "has no version 0 (version numbers run from 1 to"),
    ("http", "churn:-1", 404, "is not a number"),
    ("http", f"churn:{MAX}", 404, f"has no version {MAX}; its versions: 1"),
    ("http", f"churn:{MAX + 1}", 404, f"version numbers run from 1 to {MAX}"),
    ("http", "churn:99999999999999999999999", 404, f"version numbers run from 1 to {MAX}"),
    ("http", "churn:\u00b2", 404, "is not a number"),  # a Unicode digit int() refuses
    ("cli", ["models", "show", "churn", "--limit", "0"], 2, "'--limit'"),
    ("cli", ["models", "show", "churn", "--limit", "1"], 0, "churn"),
    ("cli", ["models", "show", "churn", "--limit", "10000"], 0, "churn"),
    ("cli", ["models", "show", "churn", "--limit", "10001"], 2, "'--limit'"),
    ("cli", ["models", "show", "churn", "--offset", "-1"], 2, "'--offset'"),
    ("cli", ["models", "show", "churn", "--offset", str(MAX)], 0, "churn"),
    ("cli", ["models", "show", "churn", "--offset", str(MAX + 1)], 2, "'--offset'"),
    ("cli", ["models", "list", "--limit", "0"], 2, "'--limit'"),
    ("cli", ["models", "list", "--offset", str(MAX + 1)], 2, "'--offset'"),
    ("cli", ["runs", "list", "--limit", "10001"], 2, "'--limit'"),
    ("cli", ["runs", "list", "--offset", str(MAX)], 0, "runs"),
    ("cli", ["runs", "list", "--offset", "99999999999999999999999"], 2, "'--offset'"),
    ("cli", ["keys", "list", "--limit", "0"], 2, "'--limit'"),
    ("cli", ["keys", "list", "--offset", str(MAX)], 0, "API keys"),
    ("cli", ["keys", "list", "--offset", str(MAX + 1)], 2, "'--offset'"),
    ("cli", ["models", "promote", "churn", "0"], 2, "'VERSION'"),
    ("cli", ["models", "promote", "churn", str(MAX)], 2, f"has no version {MAX}"),
    ("cli", ["models", "promote", "churn", str(MAX + 1)], 2, "'VERSION'"),
    ("cli", ["models", "delete", "churn", "0"], 2, "'VERSION'"),
    ("cli", ["models", "delete", "churn", "99999999999999999999999"], 2, "'VERSION'"),
    ("cli", ["models", "compare", "churn", "1", str(MAX + 1)], 2, "'B'"),
    ("cli", ["models", "compare", "churn", "0", "1"], 2, "'A'"),
    ("cli", ["models", "tag", "churn", "k=v", "--version", "0"], 2, "'--version'"),
    ("cli", ["models", "tag", "churn", "k=v", "--version", str(MAX + 1)], 2, "'--version'"),
    ("cli", ["models", "describe", "churn", "x", "--version", str(MAX + 1)], 2, "'--version'"),
    ("cli", ["serve", "--port", "-1"], 2, "'--port'"),
    ("cli", ["serve", "--port", "65536"], 2, "'--port'"),
]


@pytest.mark.parametrize(
    "interface,sent,expected,needle",
    BOUNDS,
    ids=[f"{row[0]} {row[1] if row[0] == 'http' else ' '.join(row[1])}" for row in BOUNDS],
)
def test_integers_at_and_beyond_their_bounds(bounds_target, capsys, monkeypatch, interface, sent,
                                             expected, needle):  # fmt: skip
    client, home, record = bounds_target
    if interface == "http":
        path = "/v1/models/" + quote(sent, safe="@:")
        for response in (client.get(path), client.post(path + "/predict", json=record)):
            assert response.status_code == expected, (sent, response.text[:500])
            assert needle in response.text, response.text[:500]
            if expected != 200:
                assert response.json()["error"]["hint"]
        return
    monkeypatch.setenv("MODELYARD_HOME", str(home))  # (--home would outlive this command)
    code = main(sent)
    out, err = capsys.readouterr()
    assert code == expected, (sent, out[-500:], err[-500:])
    assert needle in (out if expected == 0 else err), (out[-500:], err[-500:])
    assert "Traceback" not in err


def test_boolean_fields_take_what_the_training_data_held(churn, serve, bundle_v1):
    """Partner held 'Yes'/'No' and SeniorCitizen 0/1 in the training rows (tests/data)."""
    _, client = serve(models=("churn",))
    record = feature_records(bundle_v1, churn_rows().iloc[:1])[0]
    columns = {c["name"]: c for c in client.get("/v1/models/churn").json()["columns"]}
    assert columns["Partner"]["spellings"] == ["No", "Yes"]
    assert columns["SeniorCitizen"]["spellings"] == [0, 1]
    partner = client.get("/openapi.json").json()["components"]["schemas"]["churn_v1_Record"][
        "properties"]["Partner"]  # fmt: skip
    assert {"enum": ["No", "Yes"]} in partner["anyOf"] and {"type": "boolean"} in partner["anyOf"]

    def answer(field: str, value: object) -> httpx.Response:
        return client.post("/v1/models/churn/predict", json={**record, field: value})

    for field, value in [("Partner", "Yes"), ("Partner", "No"), ("Partner", True),
                         ("Partner", None), ("SeniorCitizen", 1), ("SeniorCitizen", 0),
                         ("SeniorCitizen", 1.0), ("SeniorCitizen", False)]:  # fmt: skip
        assert answer(field, value).status_code == 200, (field, value, answer(field, value).text)
    same = [answer("Partner", v).json()["probabilities"][0]["True"] for v in ("Yes", True)]
    assert same[0] == pytest.approx(same[1], rel=1e-12)

    for field, value, accepted in [
        ("Partner", "yes", '"No", "Yes"'), ("Partner", "Y", '"No", "Yes"'),
        ("Partner", 1, '"No", "Yes"'), ("Partner", "true", '"No", "Yes"'),
        ("SeniorCitizen", "1", "0, 1"), ("SeniorCitizen", "Yes", "0, 1"),
        ("SeniorCitizen", 2, "0, 1"), ("SeniorCitizen", 0.5, "0, 1"),
        ("SeniorCitizen", [1], "0, 1"),
    ]:  # fmt: skip
        response = answer(field, value)
        assert response.status_code == 422, (field, value, response.text)
        error = response.json()["error"]
        assert error["details"][0]["field"] == field
        expected = f"expected a boolean: true or false, or as the training data held it: {accepted}"
        assert f"{field}: {expected}" in error["message"]
        assert "true or false" in error["hint"]


def serve_in_a_process(home: Path, log_path: Path) -> tuple[subprocess.Popen, int]:
    """`modelyard serve --port 0` as a user runs it, its log going to ``log_path``."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "modelyard", "--home", str(home), "serve", "--port", "0"],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 120
    try:
        while True:
            found = re.search(r"listening on http://127\.0\.0\.1:(\d+)", log_path.read_text())
            if found:
                return process, int(found[1])
            assert process.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, "the server did not start: " + log_path.read_text()
            time.sleep(0.1)
    except BaseException:  # never leave a server running behind a failed test
        process.kill()
        process.wait()
        raise


@pytest.mark.timeout(300)
def test_a_client_that_hangs_up_mid_request_leaves_one_log_line(churn, settings, tmp_path):
    log_path = tmp_path / "serve.log"
    process, port = serve_in_a_process(settings.home, log_path)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
            sock.sendall(
                b"POST /v1/models/churn/predict HTTP/1.1\r\nHost: test\r\nX-Request-ID: gone-1\r\n"
                b"Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
                b'{"gender": "Female", '
            )  # 979 bytes of the body never come: the socket closes here
        assert httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=30).status_code == 200
    finally:
        process.send_signal(signal.SIGINT)  # Ctrl-C: a graceful shutdown finishes every request
        process.wait(timeout=120)
    log = log_path.read_text()
    gone = [line for line in log.splitlines() if "gone-1" in line]
    assert len(gone) == 1, log
    assert "closed the connection before it was answered" in gone[0]
    assert "POST /v1/models/churn/predict" in gone[0]
    assert "Traceback" not in log and "ERROR" not in log, log
    assert process.returncode == 0, log

"""The prediction log: Parquet files under MODELYARD_HOME/predictions with inputs, outputs, version
and time of every prediction, written in batches off the request path and flushed on shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import pandas as pd
import pyarrow.parquet as pq

from modelyard.model import ModelBundle
from modelyard.serving import PREDICTIONS_DIR, read_log
from serving_helpers import churn_rows, feature_records

PREDICT = "/v1/models/churn@production/predict"


def index_entries(settings) -> list[dict]:
    index = settings.home / PREDICTIONS_DIR / "churn" / "index.jsonl"
    if not index.is_file():
        return []
    return [json.loads(line) for line in index.read_text().splitlines()]


def test_rows_are_batched_into_files_and_flushed_on_shutdown(churn, serve, settings, bundle_v1):
    server, client = serve(models=("churn@production",), log_batch_rows=5, log_flush_s=60)
    started = datetime.now(UTC)
    records = feature_records(bundle_v1, churn_rows().iloc[:4])
    request_ids = []
    for body in (records, records, records, records[0]):  # 4 + 4 + 4 + 1 = 13 rows
        response = client.post(PREDICT, json=body)
        assert response.status_code == 200
        request_ids.append(response.json()["request_id"])
    server.stop()  # shutdown flushes whatever is still pending

    entries = index_entries(settings)
    assert sum(e["rows"] for e in entries) == 13
    assert len(entries) >= 2  # at least one batch was written before shutdown
    root = settings.home / PREDICTIONS_DIR / "churn"
    for entry in entries:
        assert pq.ParquetFile(root / entry["file"]).metadata.num_rows == entry["rows"]
        assert entry["version"] == 1 and entry["file"].startswith("v1/")

    log = read_log(settings.home / PREDICTIONS_DIR, "churn")
    assert len(log) == 13
    assert log["request_id"].tolist() == [r for r in request_ids[:3] for _ in range(4)] + \
        request_ids[3:]  # fmt: skip
    assert set(log["version"]) == {1} and set(log["model"]) == {"churn"}
    assert (log["timestamp"] >= pd.Timestamp(started)).all()
    features = ModelBundle.load(bundle_v1).schema.names
    for name in features:
        assert f"input.{name}" in log.columns
    assert log["input.tenure"].tolist()[:4] == [r["tenure"] for r in records]
    assert log["input.Contract"].tolist()[:4] == [r["Contract"] for r in records]
    assert {"output.prediction", "output.proba_False", "output.proba_True"} <= set(log.columns)
    assert ((log["output.proba_False"] + log["output.proba_True"] - 1).abs() < 1e-9).all()


def test_a_partial_batch_is_written_after_the_flush_interval(churn, serve, settings, bundle_v1):
    _, client = serve(models=("churn@production",), log_batch_rows=1000, log_flush_s=0.3)
    records = feature_records(bundle_v1, churn_rows().iloc[:3])
    answers = client.post(PREDICT, json=records).json()
    deadline = time.monotonic() + 10
    while not index_entries(settings):
        assert time.monotonic() < deadline, "the partial batch was never written"
        time.sleep(0.05)
    assert [e["rows"] for e in index_entries(settings)] == [3]
    log = read_log(settings.home / PREDICTIONS_DIR, "churn")
    assert log["output.prediction"].tolist() == answers["predictions"]
    # exact: the answered values, stored in the log and read back
    assert log["output.proba_True"].tolist() == [p["True"] for p in answers["probabilities"]]


def test_failed_requests_are_not_logged(churn, serve, settings):
    server, client = serve(models=("churn@production",), log_flush_s=0.2)
    assert client.post(PREDICT, json={"tenure": 1}).status_code == 422
    server.stop()
    assert index_entries(settings) == []


SERVE_SCRIPT = """
import sys, typer
from modelyard.cli.serve_cmd import serve_command
app = typer.Typer()
app.command()(serve_command)
app(sys.argv[1:])
"""


def test_interrupting_modelyard_serve_flushes_the_log(churn, settings, bundle_v1):
    """The real command in its own process: SIGINT (Ctrl-C) ends it and the log is written."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    args = ["--port", str(port), "--model", "churn@production", "--log-level", "warning"]
    env = {**os.environ, "MODELYARD_HOME": str(settings.home)}
    proc = subprocess.Popen([sys.executable, "-c", SERVE_SCRIPT, *args], env=env)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, "modelyard serve exited early"
            try:
                if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "modelyard serve never became ready"
            time.sleep(0.1)
        records = feature_records(bundle_v1, churn_rows().iloc[:7])
        assert httpx.post(url + PREDICT, json=records, timeout=30).status_code == 200
        proc.send_signal(signal.SIGINT)
        assert proc.wait(30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert [e["rows"] for e in index_entries(settings)] == [7]

"""The webhook of modelyard watch against a real local HTTP server: retried with backoff until it
answers, a timing-out one logged and counted, and emit never waits for the server."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from modelyard.orchestration.alerts import Alerts


class Hook:
    """A server that fails the first ``failures`` POSTs (500), and holds each one until
    ``release`` is set."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[dict] = []
        self.release = threading.Event()
        self.release.set()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                hook.release.wait(10)
                hook.received.append(body)
                status = 500 if len(hook.received) <= hook.failures else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook() -> Iterator[Hook]:
    h = Hook()
    yield h
    h.close()


def test_a_failing_webhook_is_retried_until_it_answers(hook):
    hook.failures = 2
    alerts = Alerts(hook.url, retries=3, backoff=0.01)
    alerts.emit({"event": "promoted", "model": "churn", "message": "v2 wins"})
    alerts.close()
    assert [b["event"] for b in hook.received] == ["promoted"] * 3
    assert (alerts.sent, alerts.failed) == (1, 0)


def test_a_timing_out_webhook_is_logged_and_counted_without_blocking(hook, caplog):
    caplog.set_level(logging.INFO, "modelyard.watch")
    hook.release.clear()  # the server holds every request
    alerts = Alerts(hook.url, timeout=0.2, retries=1, backoff=0.01)
    alerts.emit({"event": "retrained", "model": "churn", "message": "kept v1"})
    assert hook.received == []  # emit returned while the server still held the request
    alerts.close()
    assert (alerts.sent, alerts.failed) == (0, 1)
    assert any("webhook" in r.message and "failed after 2 tries" in r.message
               for r in caplog.records)
    assert any("kept v1" in r.getMessage() for r in caplog.records)

"""What an HTTP client is told: the server's folders, store URLs and stack frames never leave
(``Redactor``), the full text stays in the log with the request id."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from modelyard.errors import IntegrityError, NotFound
from modelyard.serving.errors import (
    InvalidInput,
    ModelUnavailable,
    Redactor,
    error_response,
    status_for,
)
from modelyard.settings import Settings


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(home=tmp_path / "srv" / "home")


def test_the_store_url_and_the_servers_folders_become_neutral_words(settings):
    redact = Redactor.for_settings(settings)
    home = settings.home.absolute()
    cases = {
        f"no model 'x' in the metadata store sqlite:///{home}/modelyard.db":
            "no model 'x' in the metadata store [store URL]",
        "cannot reach postgresql+psycopg://bob:s3cret@db.internal:5432/models, retrying":
            "cannot reach [store URL], retrying",
        f"artifact sha256:ab is not in the artifact store at {home}/artifacts":
            "artifact sha256:ab is not in the artifact store at [artifact store]",
        f"the cached copy in {home}/artifacts/cache/ab12 was edited":
            "the cached copy in [artifact cache]/ab12 was edited",
        f"checkpoint {home}/runs/r1/ckpt.pt is missing":
            "checkpoint [run folders]/r1/ckpt.pt is missing",
        f"see {home}/predictions": "see [server home]/predictions",
        "file /etc/modelyard/models/x.json is bad": "file [server path] is bad",
        "C:\\models\\x.json is bad": "[server path] is bad",
    }  # fmt: skip
    for message, expected in cases.items():
        assert redact(message) == expected


def test_a_relative_home_is_replaced_in_every_spelling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    redact = Redactor.for_settings(Settings(home=Path("./.modelyard")))
    assert redact("file .modelyard/artifacts/objects/ab is gone") == (
        "file [artifact store]/objects/ab is gone"
    )
    assert str(tmp_path) not in redact(f"file {tmp_path}/.modelyard/modelyard.db is locked")


def test_stack_frames_go_and_what_a_client_needs_stays(settings):
    redact = Redactor.for_settings(settings)
    trace = 'Traceback (most recent call last):\n  File "/usr/lib/python3/x.py", line 3, in load'
    assert "File" not in redact(trace) and "/usr/lib" not in redact(trace)
    kept = [
        "see GET /docs for what each endpoint expects",
        "POST /v1/models/churn@production/predict takes a JSON body",
        "docs at http://127.0.0.1:8000/docs",
        "tenure: Input should be a valid number, received 'a/b'",
        "12/31/2024 is not a date in the format %Y-%m-%d",
        "send 'Content-Type: application/json'",
    ]
    for message in kept:
        assert redact(message) == message


def test_error_bodies_are_redacted_and_the_log_keeps_the_full_text(settings, caplog):
    redact = Redactor.for_settings(settings)
    where = f"{settings.home.absolute()}/artifacts"
    err = NotFound(f"artifact sha256:ab is not in the artifact store at {where}",
                   hint=f"restore it; never edit files under {where}")  # fmt: skip
    with caplog.at_level(logging.INFO, logger="modelyard.serving"):
        response = error_response(err, "req-7", redact)
    body = json.loads(response.body)
    assert response.status_code == 404
    assert body["error"] == {
        "type": "NotFound",
        "message": "artifact sha256:ab is not in the artifact store at [artifact store]",
        "hint": "restore it; never edit files under [artifact store]",
    }
    assert "req-7" in caplog.text and where in caplog.text


def test_an_unavailable_model_is_a_503_logged_with_the_request_id(settings, caplog):
    err = ModelUnavailable("model version churn:2 is unavailable: its files are corrupt",
                           hint="GET /readyz lists the models that answer")  # fmt: skip
    with caplog.at_level(logging.INFO, logger="modelyard.serving"):
        response = error_response(err, "req-8", Redactor.for_settings(settings))
    assert response.status_code == 503
    assert json.loads(response.body)["error"]["message"] == err.message
    assert "req-8" in caplog.text and "churn:2" in caplog.text
    assert status_for(IntegrityError("corrupt")) == 503  # never a 500 for a corrupt artifact


def test_details_and_not_found_messages_are_redacted(settings):
    redact = Redactor.for_settings(settings)
    invalid = InvalidInput("bad", hint="fix", details=[{"field": "a", "message": "/srv/x/y.csv"}])
    assert json.loads(error_response(invalid, None, redact).body)["error"]["details"] == [
        {"field": "a", "message": "[server path]"}
    ]
    missing = NotFound(f"no model 'x' in sqlite:///{settings.home}/modelyard.db", hint="list them")
    text = error_response(missing, None, redact).body.decode()
    assert str(settings.home) not in text and "sqlite:" not in text

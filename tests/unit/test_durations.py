"""The one duration syntax (modelyard.durations): every --since/--window/--interval flag and the
retrain spec's duration keys read the same grammar and fail with the same kind of message."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from modelyard.durations import MAX, parse_duration, parse_since
from modelyard.errors import SpecError
from modelyard.spec.load import validate_spec


@pytest.mark.parametrize(("text", "expected"), [
    ("90s", timedelta(seconds=90)), ("30m", timedelta(minutes=30)), ("12h", timedelta(hours=12)),
    ("7d", timedelta(days=7)), ("2w", timedelta(weeks=2)), ("1.5d", timedelta(hours=36)),
    (" 0.25 h ", timedelta(minutes=15)), ("3650d", MAX),
])
def test_a_number_and_a_unit_is_a_duration(text, expected):
    assert parse_duration(text, "--window") == expected


@pytest.mark.parametrize("text", [
    "0d", "0.0s", "-1d", "7", "d", "7D", "7 days", "1e3s", ".5d", "1,5d", "7dd", "", "3651d",
    "9" * 40 + "w", None, 7,
])
def test_anything_else_names_the_flag_what_came_and_an_example(text):
    with pytest.raises(SpecError) as caught:
        parse_duration(text, "--interval", example="60s")
    message = str(caught.value)
    assert message.startswith("--interval must be a positive number and a lower-case unit "
                              "s, m, h, d or w")
    assert f"got {text!r}" in message and "60s" in message
    assert caught.value.hint == "e.g. --interval 60s"


def test_since_is_a_duration_back_from_now_or_an_iso_time():
    now = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    assert parse_since("1.5d", now=now) == datetime(2025, 2, 28, 0, 0, tzinfo=UTC)
    assert parse_since("2025-01-31T12:00", now=now) == datetime(2025, 1, 31, 12, 0, tzinfo=UTC)
    assert parse_since("2025-01-31T12:00+02:00").utcoffset() == timedelta(hours=2)


@pytest.mark.parametrize("text", ["yesterday", "0d", "7", "2025-13-01", None])
def test_a_since_that_is_neither_says_both_forms(text):
    with pytest.raises(SpecError, match=r"^--since must be .*or an ISO time") as caught:
        parse_since(text)
    assert caught.value.hint == "e.g. --since 7d"


def _retrain_spec(**drift) -> dict:
    return {"data": {"source": {"path": "x.csv"}, "target": "y"},
            "retrain": {"triggers": {"drift": drift}}}


def test_the_retrain_spec_keys_use_the_same_grammar():
    spec = validate_spec(_retrain_spec(since="1.5d", window="12h", metric="f1", below=0.7))
    assert (spec.retrain.triggers.drift.since, spec.retrain.triggers.drift.window) == ("1.5d",
                                                                                        "12h")
    for key in ("since", "window"):
        with pytest.raises(SpecError, match=rf"'retrain\.triggers\.drift\.{key}': .*a positive "
                           r"number and a lower-case unit s, m, h, d or w.*"
                           r"\(received '7 days'\)") as caught:
            validate_spec(_retrain_spec(**{key: "7 days"}))
        assert f"retrain.triggers.drift.{key}=VALUE" in caught.value.hint

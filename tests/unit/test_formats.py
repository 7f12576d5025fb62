"""The model-format table: register, load, and the errors that list what is registered."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from modelyard.errors import Conflict, RegistryError
from modelyard.formats import (
    load_artifact,
    register_format,
    registered_formats,
    unregister_format,
)


def load_json(path: Path) -> dict:
    return json.loads((path / "config.json").read_text())


def load_text(path: Path) -> str:
    return (path / "config.json").read_text()


@pytest.fixture
def json_format():
    register_format("test.json", load_json)
    yield "test.json"
    unregister_format("test.json")


def test_load_artifact_uses_the_registered_loader(json_format, tmp_path):
    (tmp_path / "config.json").write_text('{"a": 1}')
    assert load_artifact(json_format, tmp_path) == {"a": 1}
    assert json_format in registered_formats()
    register_format(json_format, load_json)  # the same loader again: no-op


def test_another_loader_under_a_taken_name_is_a_conflict(json_format, tmp_path):
    with pytest.raises(Conflict, match="load_json"):
        register_format(json_format, load_text)
    register_format(json_format, load_text, replace=True)
    (tmp_path / "config.json").write_text("{}")
    assert load_artifact(json_format, tmp_path) == "{}"


def test_unknown_format_lists_the_registered_ones(json_format, tmp_path):
    with pytest.raises(RegistryError, match="registered formats: .*test.json") as err:
        load_artifact("test.jsn", tmp_path)
    assert "'test.json'" in err.value.hint
    with pytest.raises(RegistryError, match="unknown model format"):
        unregister_format("nope")


def test_bad_registrations(tmp_path):
    with pytest.raises(RegistryError, match="non-empty"):
        register_format("", load_json)
    with pytest.raises(RegistryError, match="callable"):
        register_format("x", "not a function")

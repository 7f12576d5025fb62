"""Spec files read within bounds: aliases, repeated keys, tags, encodings, sizes, nesting, and
relative paths resolved against the spec's folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from modelyard.errors import SpecError
from modelyard.spec import read_spec_file, validate_spec
from modelyard.spec.yaml_reader import MAX_ALIAS_VALUES, MAX_SPEC_BYTES, parse_yaml

DATA = "data:\n  source: {path: table.csv}\n  target: y\n"


def _spec(tmp_path: Path, text: str | bytes, name: str = "spec.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _refused(path: Path) -> SpecError:
    with pytest.raises(SpecError) as caught:
        read_spec_file(path)
    return caught.value


def _bomb(levels: int) -> str:
    """Anchors nested ``levels`` deep under model.params.class_weight, nine aliases each."""
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"] + [
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return (DATA + "model:\n  learner: logistic\n  params:\n    class_weight:\n"
            + "".join(f"      {line}\n" for line in lines))


@pytest.mark.parametrize("levels", [4, 7, 12])
def test_nested_aliases_are_refused_before_they_expand(tmp_path, levels):
    error = _refused(_spec(tmp_path, _bomb(levels)))
    assert "aliases expand it to" in error.message and f"at most {MAX_ALIAS_VALUES:,}" in \
        error.message
    assert f"*a{levels - 1}" in error.message  # the largest alias, with its line
    assert "anchors" in error.hint


def test_a_few_aliases_are_fine(tmp_path):
    text = (DATA + "model:\n  learner: lightgbm\n  params: &p {n_estimators: 50}\n"
            "search_defaults: &base {a: 1, b: 2}\nother: {<<: *base, b: 3}\n"
            "copy: [*p, *p, *p]\n")
    raw = read_spec_file(_spec(tmp_path, text))
    assert raw["other"] == {"a": 1, "b": 3} and raw["copy"] == [{"n_estimators": 50}] * 3


def test_an_alias_inside_its_own_anchor_is_refused(tmp_path):
    error = _refused(_spec(tmp_path, DATA + "model: &m {learner: logistic, again: *m}\n"))
    assert "*m sits inside its own anchor &m" in error.message


def test_a_repeated_key_names_both_lines(tmp_path):
    error = _refused(_spec(tmp_path, DATA + "model: logistic\nseed: 1\nmodel: lightgbm\n"))
    assert "the key 'model' appears twice, at line 4 and line 6" in error.message
    nested = _refused(_spec(tmp_path, "data:\n  source: {path: a.csv, path: b.csv}\n"))
    assert "'data.source.path' appears twice, at line 2 and line 2" in nested.message


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system [echo hi]",
                                 "!!python/name:os.system", "!!binary aGk=", "!!set {a, b}",
                                 "!custom 3", "!!timestamp 2024-01-01"])
def test_tags_are_refused_by_name(tmp_path, tag):
    error = _refused(_spec(tmp_path, DATA + f"model: {tag}\n"))
    assert "YAML tags are not allowed" in error.message and "line 4" in error.message
    assert tag.split()[0].split(":")[0] in error.message
    assert "indentation" not in error.hint


def test_not_utf8_names_the_byte_line_and_column(tmp_path):
    error = _refused(_spec(tmp_path, DATA.encode() + b"# caf\xe9 au lait\nseed: 3\n"))
    assert "not UTF-8" in error.message and "byte 0xe9 at line 4, column 6" in error.message
    assert "'é'" in error.message and "UTF-8" in error.hint


def test_utf8_and_utf16_byte_order_marks_are_read(tmp_path):
    for data in (b"\xef\xbb\xbf" + DATA.encode(), DATA.encode("utf-16")):
        assert read_spec_file(_spec(tmp_path, data))["data"]["target"] == "y"


def test_a_file_larger_than_the_limit_is_refused_unread(tmp_path):
    path = _spec(tmp_path, DATA + "#" * MAX_SPEC_BYTES + "\n")
    error = _refused(path)
    assert f"larger than {MAX_SPEC_BYTES:,} bytes" in error.message


@pytest.mark.parametrize("text", ["x: " + "[" * 5000 + "]" * 5000,
                                  "x: " + "[" * 40 + "]" * 40,
                                  "".join("  " * i + f"k{i}:\n" for i in range(60)) + "  " * 60
                                  + "v: 1\n"])
def test_deep_nesting_is_a_spec_error(tmp_path, text):
    error = _refused(_spec(tmp_path, text))
    assert "deep" in error.message or "deeply" in error.message


def test_a_folder_or_a_device_is_not_reported_as_missing(tmp_path):
    (tmp_path / "specs.yaml").mkdir()
    error = _refused(tmp_path / "specs.yaml")
    assert "is a folder, not a spec file" in error.message
    os.mkfifo(tmp_path / "pipe.yaml")  # reading it would wait for a writer forever
    assert "is not a regular file" in _refused(tmp_path / "pipe.yaml").message


def test_control_characters_and_syntax_errors_say_where(tmp_path):
    assert "control character (U+001B) at line 4, column 8" in _refused(
        _spec(tmp_path, DATA + "name: a\x1bb\n")).message
    assert "binary data (NUL bytes)" in _refused(_spec(tmp_path, DATA + "name: a\x00b\n")).message
    syntax = _refused(_spec(tmp_path, DATA + "model: [unclosed\n"))
    assert "not valid YAML at line 5" in syntax.message and "quot" in syntax.hint


def test_plain_values_keep_their_meaning():
    # exact: 2.5 is read from its text, not computed
    assert parse_yaml("a: 2024-01-01\nb: 1e-3\nc: [1, 2.5, true, null]\nd: '7'\n", "x") == {
        "a": "2024-01-01", "b": pytest.approx(1e-3), "c": [1, 2.5, True, None], "d": "7"}
    assert "a number of 5,000 characters" in _message(lambda: parse_yaml("a: " + "9" * 5000, "x"))


def _message(call) -> str:
    with pytest.raises(SpecError) as caught:
        call()
    return caught.value.message


def test_relative_paths_and_globs_resolve_against_the_spec_folder(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    spec = _spec(folder, "data:\n  source:\n    path: {train: 'parts/*.csv', test: test.csv}\n",
                 name="specs/spec.yaml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # neither file exists anywhere: the rule does not depend on it
    path = read_spec_file(spec)["data"]["source"]["path"]
    assert path == {"train": str(folder / "specs" / "parts" / "*.csv"),
                    "test": str(folder / "specs" / "test.csv")}
    absolute = _spec(folder, f"data:\n  source: {{path: [{tmp_path / 'a.csv'}, ~/b.csv]}}\n")
    assert read_spec_file(absolute)["data"]["source"]["path"] == [
        str(tmp_path / "a.csv"), os.path.expanduser("~/b.csv")]
    bundled = _spec(folder, "data:\n  source: {format: sklearn, path: iris}\n")
    assert read_spec_file(bundled)["data"]["source"]["path"] == "iris"


def test_only_true_and_false_are_booleans_so_labels_named_yes_and_no_stay_text(tmp_path):
    assert parse_yaml("a: Yes\nb: off\nc: true\nd: FALSE\n", "x") == {
        "a": "Yes", "b": "off", "c": True, "d": False}
    spec = tmp_path / "spec.yaml"
    spec.write_text("data:\n  source: {path: t.csv, header: no}\n  target: Churn\n"
                    "  target_map: {Yes: churned, No: stayed}\n")
    parsed = validate_spec(read_spec_file(spec))
    assert parsed.data.target_map == {"Yes": "churned", "No": "stayed"}
    assert parsed.data.source.header is False  # the spec's own booleans still read 'no' as false

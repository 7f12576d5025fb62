"""Property-based fuzzing of the files users hand the CLI: whatever the bytes of a CSV file
(ragged rows, odd quoting, stray separators, unicode, huge or non-finite numbers, empty lines,
bytes that are not text), `data profile` and `predict` answer with a result or a user error
(exit 2, a message and a hint), never a traceback, and the store is unchanged."""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
from bad_input.harness import DATA, churn_store, store_state
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modelyard.cli import main

# FUZZ_EXAMPLES=600 for a longer hunt; the suite runs 60, the same ones every time
FUZZ = settings(max_examples=int(os.environ.get("FUZZ_EXAMPLES", "60")), deadline=None,
                derandomize=True, suppress_health_check=list(HealthCheck))
HEADER = (DATA / "telco_churn.csv").read_text().splitlines()[0].split(",")
ROWS = (DATA / "telco_churn.csv").read_text().splitlines()[1:40]

cells = st.one_of(
    st.sampled_from(["", "NA", "nan", "inf", "-inf", "1e400", "1e308", "-0", "Yes", "No", "?",
                     '"quoted, with comma"', '"unclosed', "Month-to-month", "DSL", "\u00e9t\u00e9",
                     "\x00", "0x1F", "1,5", "  spaced  "]),
    st.text(alphabet=string.printable, max_size=12),
    st.integers(min_value=-10**30, max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


@st.composite
def csv_files(draw) -> bytes:
    """A telco-like CSV: real rows, some of them mangled, or a table of random cells."""
    if draw(st.booleans()):
        lines = [",".join(HEADER)] + list(ROWS)
        for _ in range(draw(st.integers(0, 6))):
            at = draw(st.integers(1, len(lines) - 1))
            fields = lines[at].split(",")
            action = draw(st.sampled_from(["drop", "add", "replace", "blank", "join"]))
            if action == "drop":
                fields.pop(draw(st.integers(0, len(fields) - 1)))
            elif action == "add":
                fields.append(draw(cells))
            elif action == "replace":
                fields[draw(st.integers(0, len(fields) - 1))] = draw(cells)
            elif action == "blank":
                fields = [""]
            else:
                fields = fields + lines[(at % (len(lines) - 1)) + 1].split(",")
            lines[at] = ",".join(fields)
    else:
        width = draw(st.integers(1, 5))
        lines = [",".join(f"c{i}" for i in range(width))]
        lines += [",".join(draw(st.lists(cells, min_size=0, max_size=width + 1)))
                  for _ in range(draw(st.integers(0, 12)))]
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n"]))
    encoded = text.encode("utf-8", errors="surrogatepass")
    return encoded if draw(st.booleans()) else encoded.replace(b"\n", b"\r\n")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("fuzz-files") / "home"
    churn_store(home)
    return home


def _answers_cleanly(capsys, args: list[str]) -> None:
    code = main(args)  # an unexpected exception would propagate here and fail the test
    out, err = capsys.readouterr()
    assert code in (0, 2), (code, out[-2000:], err[-2000:])
    assert "Traceback" not in err and "Traceback" not in out
    if code == 2:
        assert "error:" in err and "hint:" in err, err


@FUZZ
@given(content=csv_files())
def test_profile_and_predict_any_csv(content, store, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MODELYARD_HOME", str(store))
    path = tmp_path / "fuzzed.csv"
    path.write_bytes(content)
    before = store_state(store)
    _answers_cleanly(capsys, ["data", "profile", str(path), "--json"])
    _answers_cleanly(capsys, ["predict", "churn", str(path), "-o", str(tmp_path / "out.csv"),
                              "--json"])
    assert store_state(store) == before

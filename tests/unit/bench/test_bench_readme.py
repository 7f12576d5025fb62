"""bench/README.md's tables are built from the raw results in bench/results/, never typed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
BENCH = ROOT / "bench"
sys.path.insert(0, str(BENCH))

import record  # noqa: E402 - bench/ is not a package
import tables  # noqa: E402

STAMPED = ("train_loop", "fashion_mnist", "lgbm_memory", "registry", "serve", "predict_latency")
STAMP_FIELDS = {"commit", "dirty", "date", "python", "libraries", "cpus", "load", "command"}


def test_readme_tables_match_the_committed_results() -> None:
    done = subprocess.run([sys.executable, str(BENCH / "tables.py"), "--check"],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_a_number_changed_by_hand_in_a_table_is_put_back() -> None:
    text = tables.README.read_text()
    start = text.index("<!-- table:automl -->")
    row = text.index("| adult |", start)
    edited = text[:row] + text[row:].replace("| adult |", "| adult (typed) |", 1)
    assert edited != text
    assert tables.render(edited) == tables.render(text)
    assert "| adult (typed) |" not in tables.render(edited)


def test_a_table_marker_that_the_script_does_not_know_is_refused() -> None:
    text = tables.README.read_text() + "\n<!-- table:nonesuch -->\n| x |\n<!-- /table -->\n"
    with pytest.raises(SystemExit, match="nonesuch"):
        tables.render(text)


@pytest.mark.parametrize("name", STAMPED)
def test_every_measured_record_is_stamped(name: str) -> None:
    records = record.read(name)["records"]
    measured = [r for r in records if r.get("origin") != tables.TYPED]
    assert measured, f"bench/results/{name}.json holds no measured record"
    for r in measured:
        stamp = r["stamp"]
        assert STAMP_FIELDS <= set(stamp), sorted(STAMP_FIELDS - set(stamp))
        assert len(stamp["load"]["start"]) == 3 and len(stamp["load"]["end"]) == 3
        assert stamp["libraries"]["modelyard"] is not None
    current = [r for r in records if not r.get("superseded")]
    assert all(r.get("origin") != tables.TYPED for r in current), "a typed record is current"


def test_a_rerun_keeps_the_older_record_marked_superseded(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(record, "RESULTS", tmp_path)
    stamper = record.Stamper(("fastapi",), argv=["bench/x.py", "--rows", "10"])

    def key(r: dict) -> tuple:
        return (r["rows"],)

    first = {"rows": 10, "value": 1.0, "stamp": stamper.stamp()}
    other = {"rows": 20, "value": 2.0, "stamp": stamper.stamp()}
    record.add("x", [first, other], key=key)
    again = {"rows": 10, "value": 1.5, "stamp": stamper.stamp()}
    kept = record.add("x", [again], key=key)
    assert [r["value"] for r in kept] == pytest.approx([1.0, 2.0, 1.5])
    assert kept[0]["superseded"]["date"] == again["stamp"]["date"]
    assert [r["value"] for r in record.current("x")] == pytest.approx([2.0, 1.5])
    saved = json.loads((tmp_path / "x.json").read_text())
    assert saved["records"][0]["superseded"] and "superseded" not in saved["records"][2]
    assert again["stamp"]["command"].endswith("bench/x.py --rows 10")
    assert set(again["stamp"]["libraries"]) >= {"modelyard", "numpy", "torch", "fastapi"}

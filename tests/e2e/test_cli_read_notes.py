"""What reading left out, and what the libraries said, reaches the user in words: rows skipped
with --on-bad-lines skip are counted in the profile, the run and the report; no library warning
reaches the terminal raw."""

from __future__ import annotations

import json
from pathlib import Path


def _ragged(data_dir: Path, tmp_path: Path) -> Path:
    """Telco with one field missing in every tenth data row (32 of 317 rows)."""
    header, *rows = (data_dir / "telco_churn.csv").read_text(encoding="utf-8").splitlines()
    out = [header] + [",".join(r.split(",")[:3] + r.split(",")[4:]) if i % 10 == 5 else r
                      for i, r in enumerate(rows)]
    path = tmp_path / "ragged.csv"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def _no_raw_warning(err: str) -> None:
    assert "Warning" not in err and ".py:" not in err, err


def test_skipped_rows_are_counted_in_the_profile_the_run_and_the_report(cli, data_dir, tmp_path):
    path = _ragged(data_dir, tmp_path)
    profile = cli("data", "profile", path, "--target", "Churn", "--on-bad-lines", "skip", "--json")
    assert profile.code == 0, profile.err
    report = profile.json()
    assert report["n_rows"] == 285 and report["skipped_rows"] == 32
    note = f"skipped 32 of 317 rows of {path} that do not have the 21 fields of the header"
    assert any(n.startswith(note) for n in report["notes"]), report["notes"]
    kinds = {c["name"]: c["kind"] for c in report["columns"]}
    assert kinds["tenure"] == "numeric" and kinds["TotalCharges"] == "numeric"

    done = cli("train", path, "--target", "Churn", "--model", "logistic", "--on-bad-lines",
               "skip", "--set", "evaluation.bootstrap=20", "--set", "evaluation.latency=false")
    assert done.code == 0, done.err
    _no_raw_warning(done.err)
    assert "skipped 32 of 317 rows" in " ".join(done.out.split())
    run = cli("runs", "show", "--json", cli("runs", "list", "--json").json()["items"][0]["run_id"])
    data = run.json()["data"]
    assert data["skipped_rows"] == 32
    assert any(n.startswith(note) for n in data["notes"]), data["notes"]
    report_json = next(Path(tmp_path / "home" / "runs").glob("*/report/report.json"))
    assert any(n.startswith(note) for n in json.loads(report_json.read_text())["notes"])

    predicted = cli("predict", "ragged-Churn", path, "-o", tmp_path / "out.csv",
                    "--on-bad-lines", "skip", "--json")
    assert predicted.code == 0, predicted.err
    assert predicted.json()["rows"] == 285 and predicted.json()["skipped_rows"] == 32
    assert predicted.json()["notes"][0].endswith("; --on-bad-lines skip)")  # its own flag


def test_library_warnings_become_notes(cli, data_dir, tmp_path):
    done = cli("train", data_dir / "telco_churn.csv", "--target", "Churn", "--model", "logistic",
               "--param", "max_iter=3", "--set", "evaluation.bootstrap=20",
               "--set", "evaluation.latency=false")
    assert done.code == 0, done.err
    _no_raw_warning(done.err)
    said = " ".join(done.out.split())
    assert "logistic stopped at its iteration limit (max_iter=3) before the solver converged" \
        in said and "--param max_iter=6" in said

    table = tmp_path / "double-colon.csv"
    table.write_text("a::b::y\n" + "".join(f"{i}::{i % 7}::{i % 2}\n" for i in range(60)))
    profile = cli("data", "profile", table, "--sep", "::", "--target", "y")
    assert profile.code == 0, profile.err
    _no_raw_warning(profile.err)  # pandas warned that it fell back to its python engine

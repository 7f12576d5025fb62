"""Data files that real users and attackers bring: missing, empty, malformed, too small."""

from __future__ import annotations

import os
from pathlib import Path

from bad_input.harness import DATA, Probe

TELCO = (DATA / "telco_churn.csv").read_text(encoding="utf-8")
HEADER, *ROWS = TELCO.splitlines()
TRAIN = ("train", "{work}/table.csv", "--target", "Churn", "--model", "logistic")


def _table(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"


def _symlink_to_folder(work: Path) -> None:
    (work / "folder.csv").mkdir()
    os.symlink(work / "folder.csv", work / "table.csv")


PROBES = [
    Probe("missing-file", ("data", "profile", "{work}/nope.csv"), says=("not found",)),
    Probe("empty-file", TRAIN, says=("empty",), files={"table.csv": ""}),
    Probe("header-only", TRAIN, says=("0 rows",), files={"table.csv": HEADER + "\n"}),
    Probe("single-row", TRAIN, says=("rows",), files={"table.csv": _table([HEADER, ROWS[0]])}),
    Probe("one-class", TRAIN, says=("one class",),
          files={"table.csv": _table([HEADER] + [r for r in ROWS if r.endswith(",No")])}),
    Probe("all-missing-target", TRAIN, says=("missing in all",),
          files={"table.csv": _table([HEADER] + [r.rsplit(",", 1)[0] + "," for r in ROWS])}),
    Probe("duplicate-columns", ("data", "profile", "{work}/table.csv"), says=("duplicate", "'a'"),
          files={"table.csv": "a,b,a\n" + "".join(f"{i},{i},{i}\n" for i in range(30))}),
    Probe("folder-as-file", ("data", "profile", "{work}/folder.csv"), says=("directory",),
          prepare=lambda work: (work / "folder.csv").mkdir()),
    Probe("symlink-to-folder", ("data", "profile", "{work}/table.csv"), says=("directory",),
          prepare=_symlink_to_folder),
    Probe("parquet-bytes-named-csv", ("data", "profile", "{work}/table.csv"), says=("format",),
          files={"table.csv": (DATA / "m4_hourly.parquet").read_bytes()}),
    Probe("text-named-parquet", ("data", "profile", "{work}/table.parquet"), says=("parquet",),
          files={"table.parquet": TELCO}),
    Probe("unknown-extension", ("data", "profile", "{work}/table.xyz"), says=("parquet",),
          files={"table.xyz": "a,b\n1,2\n"}),
    Probe("target-not-a-column", ("data", "profile", "{data}/telco_churn.csv", "--target",
                                  "churn"), says=("'Churn'",)),
    Probe("too-few-rows-to-split", ("data", "split", "{work}/table.csv", "--target",
                                    "MonthlyCharges", "--task", "regression"),
          says=("rows",), files={"table.csv": _table([HEADER, *ROWS[:2]])}),
]

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


def _ragged(*, drop: bool) -> str:
    """Telco with one field dropped (or one added) in every tenth data row."""
    out = [HEADER]
    for i, row in enumerate(ROWS):
        fields = row.split(",")
        if i % 10 == 5:
            fields = fields[:3] + fields[4:] if drop else fields + ["extra"]
        out.append(",".join(fields))
    return _table(out)


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
    # issue 29 item 3: a field missing in every tenth row shifted values and trained anyway
    Probe("rows-missing-a-field", TRAIN, files={"table.csv": _ragged(drop=True)},
          says=("32 of 317 rows", "do not have the 21 fields of the header", "line 7 has 20",
                "--on-bad-lines skip")),
    Probe("rows-with-an-extra-field", ("data", "profile", "{work}/table.csv"),
          files={"table.csv": _ragged(drop=False)},
          says=("do not have the 21 fields of the header", "line 7 has 22")),
    Probe("first-row-with-an-extra-field", ("data", "profile", "{work}/table.csv"),
          files={"table.csv": _table([HEADER, ROWS[0] + ",lost", *ROWS[1:]])},
          says=("1 of 317 rows", "line 2 has 22")),
    Probe("predict-rows-missing-a-field", ("predict", "churn", "{work}/table.csv", "-o",
                                           "{work}/out.csv"),
          files={"table.csv": _ragged(drop=True)},
          says=("do not have the 21 fields of the header", "--on-bad-lines skip")),
    Probe("rows-missing-a-field-in-a-spec", ("train", "{work}/spec.yaml"),
          files={"data/table.csv": _ragged(drop=True),
                 "spec.yaml": "data:\n  source: {path: data/table.csv}\n  target: Churn\n"},
          says=("data.source.on_bad_lines: skip",)),
    Probe("skip-most-rows", ("data", "profile", "{work}/table.csv", "--sep", ";",
                             "--on-bad-lines", "skip"),
          files={"table.csv": "a;b;c\n" + "".join(f"{i};{i},{i}\n" for i in range(30))},
          says=("30 of 30 rows", "too little of the file", "separator")),
    Probe("on-bad-lines-unknown", ("data", "profile", "{data}/telco_churn.csv",
                                   "--on-bad-lines", "warn"),
          says=("on_bad_lines", "'error' or 'skip'")),
    # issue 29 item 9: a file with only the target said "got shape (1050, 0)"
    Probe("only-the-target-column", TRAIN,
          files={"table.csv": _table(["Churn", *(r.rsplit(",", 1)[1] for r in ROWS)])},
          says=("no feature columns", "only the target column 'churn'")),
    Probe("only-an-identifier-and-the-target", TRAIN,
          files={"table.csv": _table(["customerID,Churn",
                                      *(f"{r.split(',')[0]},{r.rsplit(',', 1)[1]}"
                                        for r in ROWS)])},
          says=("no feature columns left", "'customerid' (identifier-like",
                "--type customerID=categorical")),
    Probe("too-few-rows-to-split", ("data", "split", "{work}/table.csv", "--target",
                                    "MonthlyCharges", "--task", "regression"),
          says=("rows",), files={"table.csv": _table([HEADER, *ROWS[:2]])}),
]

"""Extreme numbers and unseen categories, end to end through the real CLI and a real server.

Issue 29: a training file with 1e308 in ``tenure`` failed with an overflow blamed on missing
values; ``modelyard predict`` scored inf and 1e400 silently while the server refused them; unseen
categories (``month-to-month`` for ``Month-to-month``) were scored with no word in both. Here the
same file trains, and the CLI and the server apply one rule with one sentence, count unseen
categories per column in their answers and in ``/metrics``, and follow the policy the spec
recorded with each version.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bad_input.http import RECORD, serving

DATA = Path(__file__).resolve().parents[1] / "data"
TELCO = (DATA / "telco_churn.csv").read_text(encoding="utf-8")
HEADER, *ROWS = TELCO.splitlines()
COLUMNS = HEADER.split(",")
QUICK = ("--set", "evaluation.bootstrap=10", "--set", "evaluation.importance=false",
         "--set", "evaluation.latency=false")


def _edit(row: str, edits: dict[str, str]) -> str:
    fields = row.split(",")
    for column, text in edits.items():
        fields[COLUMNS.index(column)] = text
    return ",".join(fields)


def _table(rows: list[str]) -> str:
    return "\n".join([HEADER, *rows]) + "\n"


class Cli:
    """`modelyard ARGS` in a fresh process over one store, from one folder."""

    def __init__(self, home: Path, work: Path) -> None:
        self.home, self.work = home, work

    def __call__(self, *args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "MODELYARD_HOME": str(self.home), "COLUMNS": "200"}
        env.pop("MODELYARD_DEBUG", None)
        return subprocess.run([sys.executable, "-m", "modelyard", *args], capture_output=True,
                              text=True, env=env, cwd=self.work, timeout=600)


@pytest.fixture(scope="module")
def cli(tmp_path_factory) -> Cli:
    """A store holding 'huge' version 1 (policy warn, the default) and version 2 (error), both
    trained on the telco slice with 1e308 in eleven tenure cells."""
    work = tmp_path_factory.mktemp("predict-inputs")
    huge = [_edit(row, {"tenure": "1e308"}) if i % 29 == 0 else row
            for i, row in enumerate(ROWS)]
    (work / "huge.csv").write_text(_table(huge), encoding="utf-8")
    run = Cli(work / "home", work)
    for extra in ((), ("--set", "predict.unseen_categories=error")):
        done = run("train", "huge.csv", "--target", "Churn", "--model", "logistic", "--name",
                   "huge", *QUICK, *extra)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "Traceback" not in done.stderr and "RuntimeWarning" not in done.stderr
    return run


def test_a_training_file_with_1e308_trains_and_the_profile_counts_it(cli):
    shown = cli("models", "show", "huge", "--json")
    assert shown.returncode == 0, shown.stderr
    profile = cli("data", "profile", "huge.csv", "--target", "Churn", "--json")
    assert profile.returncode == 0 and "RuntimeWarning" not in profile.stderr, profile.stderr
    tenure = next(c for c in json.loads(profile.stdout)["columns"] if c["name"] == "tenure")
    assert "11 value(s) beyond +-3.4e38 (the largest: 1e+308)" in tenure["note"]
    assert tenure["mean"] == pytest.approx(1e308 / len(ROWS) * 11, rel=1e-3)


def test_each_version_records_the_policy_its_spec_chose(cli):
    done = cli("models", "show", "huge", "--json")
    assert done.returncode == 0, done.stderr
    tags = {v["version"]: v["tags"] for v in json.loads(done.stdout)["versions"]}
    assert tags[1]["unseen_categories"] == "warn" and tags[2]["unseen_categories"] == "error"


def _unseen_rows(cli: Cli) -> str:
    rows = [_edit(ROWS[0], {"Contract": "month-to-month"}), ROWS[1], ROWS[2],
            _edit(ROWS[3], {"Contract": "month-to-month", "PaymentMethod": "Cash"}), ROWS[4]]
    (cli.work / "unseen.csv").write_text(_table(rows), encoding="utf-8")
    return "unseen.csv"


def test_predict_counts_unseen_categories_in_its_summary_and_json(cli):
    source = _unseen_rows(cli)
    done = cli("predict", "huge:1", source, "-o", "out.csv")
    assert done.returncode == 0, done.stderr
    assert "5 rows predicted with huge:1" in done.stdout
    assert "warning: 3 value(s) in 2 column(s) are categories training never saw" in done.stdout
    assert "'Contract' in lines 2 and 5: 'month-to-month' (training has 'Month-to-month')" \
        in done.stdout
    assert "'PaymentMethod' in line 5: 'Cash'" in done.stdout
    report = cli("predict", "huge:1", source, "-o", "out.csv", "--json")
    unseen = json.loads(report.stdout)["unseen_categories"]
    assert unseen == {
        "Contract": {"count": 2, "values": ["month-to-month"],
                     "near": {"month-to-month": "Month-to-month"}, "lines": [2, 5]},
        "PaymentMethod": {"count": 1, "values": ["Cash"], "near": {}, "lines": [5]},
    }
    quiet = cli("predict", "huge:1", source, "-o", "out.csv", "--unseen-categories", "ignore",
                "--json")
    assert quiet.returncode == 0 and "unseen_categories\"" not in quiet.stdout.replace(
        '"unseen_categories_policy"', "")


def test_predict_applies_the_policy_the_version_recorded(cli):
    source = _unseen_rows(cli)
    refused = cli("predict", "huge", source, "-o", "out.csv")
    assert refused.returncode == 2, refused.stdout
    assert "categories training never saw: 'Contract' in lines 2 and 5" in refused.stderr
    assert "--unseen-categories warn" in refused.stderr
    anyway = cli("predict", "huge", source, "-o", "out.csv", "--unseen-categories", "warn")
    assert anyway.returncode == 0 and "5 rows predicted with huge:2" in anyway.stdout


def test_predict_takes_the_reading_flags_of_train(cli):
    rows = [_edit(row, {"gender": "Fémale" if i == 1 else "Female"}) for i, row in
            enumerate(ROWS[:4])]
    (cli.work / "latin.tsv").write_bytes(_table(rows).replace(",", "\t").encode("latin-1"))
    failed = cli("predict", "huge:1", "latin.tsv", "-o", "out.csv")
    assert failed.returncode == 2 and "--encoding" in failed.stderr
    assert "data.source" not in failed.stderr
    done = cli("predict", "huge:1", "latin.tsv", "-o", "out.csv", "--encoding", "latin-1",
               "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["rows"] == 4 and report["unseen_categories"]["gender"]["values"] == ["Fémale"]


@pytest.fixture(scope="module")
def server(cli) -> Iterator[httpx.Client]:
    with serving(cli.home, cli.work / "serve.log") as client:
        yield client


def _sentence(text: str) -> str:
    """The finite-number rule's sentence, after the value it was given."""
    return text[text.index("not a finite number") if "not a finite number" in text
                else text.index("not finite"):].split("; ", 1)[1].split(" (null")[0]


def test_server_and_cli_refuse_infinite_numbers_with_the_same_rule(cli, server):
    for body in (b'{"tenure": Infinity}', b'{"tenure": -Infinity}', b'{"tenure": NaN}',
                 b'{"tenure": 1e400}'):
        record = json.dumps({**RECORD, "tenure": 0}).replace('"tenure": 0',
                                                            body.decode()[1:-1])
        response = server.post("/v1/models/huge:1/predict", content=record.encode(),
                               headers={"content-type": "application/json"})
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["details"][0]["field"] == "tenure"
        assert "is not a finite number; expected a finite number" in error["message"]
    rows = [_edit(ROWS[0], {"tenure": "1e400"}), ROWS[1]]
    (cli.work / "inf.csv").write_text(_table(rows), encoding="utf-8")
    done = cli("predict", "huge:1", "inf.csv", "-o", "out.csv")
    assert done.returncode == 2
    assert _sentence(error["message"]) == _sentence(done.stderr)
    assert "1e400" in error["hint"] and "1e400" in done.stderr


def _metric(text: str, version: int, column: str) -> float:
    """The value of modelyard_unseen_categories_total for model 'huge', ``version``, ``column``."""
    want = {"model": "huge", "version": str(version), "column": column}
    for line in text.splitlines():
        found = re.fullmatch(r"modelyard_unseen_categories_total\{(.*)\} (\S+)", line)
        if found and dict(re.findall(r'(\w+)="([^"]*)"', found[1])) == want:
            return float(found[2])
    return 0.0


def test_server_reports_unseen_categories_and_counts_them_in_metrics(server):
    before = server.get("/metrics").text
    record = {**RECORD, "Contract": "month-to-month"}
    answered = server.post("/v1/models/huge:1/predict", json=[RECORD, record, record])
    assert answered.status_code == 200, answered.text
    assert answered.json()["unseen_categories"] == {
        "Contract": {"count": 2, "values": ["month-to-month"],
                     "near": {"month-to-month": "Month-to-month"}, "records": [1, 2]}}
    clean = server.post("/v1/models/huge:1/predict", json=RECORD)
    assert clean.json()["unseen_categories"] == {}
    refused = server.post("/v1/models/huge/predict", json=record)  # version 2: policy error
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert "categories training never saw: 'Contract' in the record: 'month-to-month' " \
           "(training has 'Month-to-month')" in error["message"]
    assert error["details"][0]["field"] == "Contract"
    assert "GET /v1/models/{name}" in error["hint"] and "case included" in error["hint"]
    described = {v: server.get(f"/v1/models/huge:{v}").json()["unseen_categories"]
                 for v in (1, 2)}
    assert described == {1: "warn", 2: "error"}
    after = server.get("/metrics").text
    assert _metric(after, 1, "Contract") - _metric(before, 1, "Contract") == pytest.approx(2)
    assert _metric(after, 2, "Contract") - _metric(before, 2, "Contract") == pytest.approx(1)

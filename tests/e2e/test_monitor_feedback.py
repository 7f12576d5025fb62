"""Ground truth fed back and live performance, end to end: a telco churn model trained with the
real CLI, new customers (tests/data/telco_churn_live.csv) predicted through the real HTTP server
so the prediction log is real, then the table's own Churn column given back as labels, by request
id and by the customerID column, with `modelyard monitor feedback` and `monitor performance`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pandas as pd
import pytest

from modelyard.registry.registry import Registry
from modelyard.serving import create_app, read_log
from modelyard.settings import load_settings
from serving_helpers import CHURN_CSV, DATA, json_records, live_server, loopback_config, wait_ready

LIVE_CSV = DATA / "telco_churn_live.csv"
SINGLE = 100  # the first rows are sent one request each; the rest as one batch request
FLIP = {"Yes": "No", "No": "Yes"}


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> tuple[Path, pd.DataFrame]:
    """A store whose churn model answered every live row over HTTP; returns the home and the
    live rows with the request_id and row each was answered under."""
    home = tmp_path_factory.mktemp("churn_live") / "home"
    env = {**os.environ, "MODELYARD_HOME": str(home)}
    subprocess.run([sys.executable, "-m", "modelyard", "train", str(CHURN_CSV), "--target",
                    "Churn", "--name", "churn"],
                   env=env, check=True, capture_output=True, timeout=240)  # fmt: skip
    live = pd.read_csv(LIVE_CSV)
    features = live.drop(columns=["Churn"])
    features["TotalCharges"] = pd.to_numeric(features["TotalCharges"], errors="coerce")
    records = json_records(features)
    app = create_app(load_settings(home), loopback_config(models=("churn",), log_flush_s=60))
    ids, rows = [], []
    with live_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        wait_ready(client)
        for record in records[:SINGLE]:
            ids.append(client.post("/v1/models/churn/predict", json=record).json()["request_id"])
            rows.append(0)
        answer = client.post("/v1/models/churn/predict", json=records[SINGLE:]).json()
        ids += [answer["request_id"]] * (len(records) - SINGLE)
        rows += list(range(len(records) - SINGLE))
    live["request_id"], live["row"] = ids, rows
    return home, live


@pytest.fixture
def home(served, tmp_path) -> Path:
    """A copy of the served store for this test (the cli fixture's MODELYARD_HOME)."""
    shutil.copytree(served[0], tmp_path / "home")
    return tmp_path / "home"


def labels(live: pd.DataFrame, path: Path, **extra) -> Path:
    frame = pd.DataFrame({"request_id": live["request_id"], "row": live["row"],
                          "label": live["Churn"], **extra})  # fmt: skip
    frame.to_csv(path, index=False)
    return path


def stored_files(home: Path) -> list[Path]:
    return sorted((home / "feedback" / "churn").glob("*.parquet"))


def test_labels_by_request_id_count_joins_duplicates_unknown_and_wrong_types(served, home, cli,
                                                                               tmp_path):
    live = served[1]
    frame = pd.DataFrame({"request_id": live["request_id"], "row": live["row"],
                          "label": live["Churn"]})
    bad = pd.DataFrame({"request_id": ["no-such-id", "nope-2", live["request_id"][0]],
                        "row": [0, 0, 5],  # a single-record request has no row 5
                        "label": ["Yes", "No", "Yes"]})
    wrong = frame.iloc[:2].assign(label=["Maybe", "1"])
    dupes = frame.iloc[2:4].assign(label=frame["label"].iloc[2:4].map(FLIP))
    pd.concat([frame, bad, wrong, dupes]).to_csv(tmp_path / "l.csv", index=False)
    result = cli("monitor", "feedback", "churn", tmp_path / "l.csv", "--json")
    assert result.code == 0, result.err
    s = result.json()
    assert s["received"] == len(live) + 7
    assert s["unknown"] == 3 and s["examples"]["unknown"][:2] == ["no-such-id", "nope-2"]
    assert s["wrong_type"] == 2 and s["examples"]["wrong_type"] == ["Maybe", "1"]
    assert s["replaced"] == 2  # the flipped copies of rows 2 and 3 came later: they count
    assert s["stored"] == s["predictions"] == len(live)
    stored = pd.read_parquet(stored_files(home)[0])
    assert set(stored.columns) == {"received_at", "request_id", "row", "key_column", "key",
                                   "label"}  # fmt: skip
    kept = stored.set_index(["request_id", "row"])["label"]
    assert kept[(live["request_id"][2], 0)] == FLIP[live["Churn"][2]]

    again = cli("monitor", "feedback", "churn", labels(live.iloc[:10], tmp_path / "m.csv"))
    assert again.code == 0, again.err
    assert "10 of 10 labels stored" in again.out and "10 replaced" in again.out
    assert len(stored_files(home)) == 2


def test_nothing_usable_is_an_error_and_loses_nothing(served, home, cli, tmp_path):
    live = served[1]
    assert cli("monitor", "feedback", "churn", labels(live, tmp_path / "ok.csv")).code == 0
    before = [p.read_bytes() for p in stored_files(home)]
    wrong = labels(live.iloc[:5], tmp_path / "w.csv").read_text().replace(",No", ",maybe")
    (tmp_path / "w.csv").write_text(wrong.replace(",Yes", ",maybe"))
    result = cli("monitor", "feedback", "churn", tmp_path / "w.csv")
    assert result.code == 2
    assert "none of the 5 labels" in result.err and "wrong type" in result.err
    assert "one of No, Yes" in result.err and "hint:" in result.err
    missing = cli("monitor", "feedback", "churn", tmp_path / "w.csv", "--label-column", "Churn")
    assert missing.code == 2 and "no column 'Churn'" in missing.err
    assert [p.read_bytes() for p in stored_files(home)] == before


def test_a_batch_request_needs_its_row_numbers(served, home, cli, tmp_path):
    live = served[1]
    frame = live[["request_id", "Churn"]].rename(columns={"Churn": "label"})
    frame.to_csv(tmp_path / "no_rows.csv", index=False)
    s = cli("monitor", "feedback", "churn", tmp_path / "no_rows.csv", "--json").json()
    assert s["stored"] == SINGLE  # single-record requests need no row
    assert s["ambiguous"] == len(live) - SINGLE


def test_labels_by_key_column_and_the_model_default_label_column(served, home, cli):
    # customerID is no model input (training dropped it as an identifier); the records carried
    # it as they are and the log kept it for this join
    with Registry.open(load_settings(home)) as registry:
        assert "customerID" in registry.store.resolve("churn").schema["dropped"]
    logged = read_log(home / "predictions", "churn")
    assert logged["input.customerID"].tolist() == served[1]["customerID"].tolist()
    drift = cli("monitor", "drift", "churn", "--json")
    assert drift.code == 0, drift.err
    assert drift.json()["schema_changes"]["new_columns"] == []  # the identifier is no new input
    result = cli("monitor", "feedback", "churn", LIVE_CSV, "--key", "customerID", "--json")
    assert result.code == 0, result.err
    s = result.json()
    assert s["stored"] == s["predictions"] == s["received"] == len(served[1])
    old = cli("monitor", "feedback", "churn", CHURN_CSV, "--key", "customerID")
    assert old.code == 2 and "none of the 317 labels" in old.err  # customers never predicted
    not_logged = cli("monitor", "feedback", "churn", LIVE_CSV, "--key", "Churn")
    assert not_logged.code == 2 and "has no input column 'Churn'" in not_logged.err
    assert "customerID" in not_logged.err


def test_live_performance_matches_the_test_metrics_and_flags_corrupted_labels(served, home, cli,
                                                                                tmp_path):
    live = served[1]
    assert cli("monitor", "feedback", "churn", labels(live, tmp_path / "ok.csv")).code == 0
    result = cli("monitor", "performance", "churn", "--window", "1d", "--json")
    assert result.code == 0, result.err
    r = result.json()
    assert r["primary_metric"] == "roc_auc" and r["window"] == "1d" and not r["dropped"]
    [window] = r["windows"]
    assert window["logged"] == window["rows"] == len(live)
    assert list(window["metrics"])[0] == "roc_auc"
    for name, m in window["metrics"].items():
        assert m["low"] <= m["value"] <= m["high"] and not m["drop"], name
        assert m["test"] == pytest.approx(r["test_metrics"][name])
    accuracy = window["metrics"]["accuracy"]
    assert accuracy["low"] <= accuracy["test"] <= accuracy["high"]
    table = cli("monitor", "performance", "churn:1")
    assert table.code == 0 and "roc_auc" in table.out and " ok" in table.out

    flipped = labels(live, tmp_path / "bad.csv", label=live["Churn"].map(FLIP))
    assert cli("monitor", "feedback", "churn", flipped).code == 0  # replaces the good labels
    bad = cli("monitor", "performance", "churn", "--json").json()
    assert bad["dropped"] and bad["windows"][0]["dropped"]
    auc = bad["windows"][0]["metrics"]["roc_auc"]
    assert auc["high"] < auc["test"] and auc["drop"]
    assert "significant drop" in cli("monitor", "performance", "churn").out


def test_a_window_with_few_labels_shows_counts_and_no_metric(served, home, cli, tmp_path):
    assert cli("monitor", "feedback", "churn", labels(served[1].iloc[:10],
                                                      tmp_path / "few.csv")).code == 0
    r = cli("monitor", "performance", "churn", "--json").json()
    [window] = r["windows"]
    assert window["rows"] == 10 and window["metrics"] == {} and not window["dropped"]
    assert "too few labels" in cli("monitor", "performance", "churn").out
    bad = cli("monitor", "performance", "churn", "--window", "0d")
    assert bad.code == 2 and "--window must be" in bad.err

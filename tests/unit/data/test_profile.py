"""Data profiles of the committed slices: JSON-able, per column, with the target's balance."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from modelyard.data.infer import infer_schema
from modelyard.data.profile import profile_frame


def by_name(profile: dict) -> dict[str, dict]:
    return {entry["name"]: entry for entry in profile["columns"]}


@pytest.fixture(scope="module")
def telco_profile(data_dir) -> dict:
    frame, schema = infer_schema(pd.read_csv(data_dir / "telco_churn.csv"), target="Churn")
    return profile_frame(frame, schema)


def test_profile_is_plain_json(telco_profile):
    again = json.loads(json.dumps(telco_profile, allow_nan=False))
    assert again == telco_profile  # exact: stored values read back (JSON keeps every digit)


def test_telco_columns(telco_profile):
    columns = by_name(telco_profile)
    assert telco_profile["n_rows"] == 317 and telco_profile["n_columns"] == 21
    total = columns["TotalCharges"]
    assert (total["kind"], total["role"], total["n_missing"]) == ("numeric", "feature", 11)
    assert "11 blank value(s) read as missing" in total["note"]
    assert total["missing_pct"] == pytest.approx(100 * 11 / 317, abs=0.005)  # to 2 decimals
    assert total["min"] <= total["mean"] <= total["max"] and total["std"] > 0
    contract = columns["Contract"]
    assert contract["kind"] == "categorical" and len(contract["top"]) == 3
    counts = [t["count"] for t in contract["top"]]
    assert counts == sorted(counts, reverse=True) and sum(counts) == 317
    senior = columns["SeniorCitizen"]
    assert senior["kind"] == "boolean" and {t["value"] for t in senior["top"]} == {True, False}
    ident = columns["customerID"]
    assert ident["role"] == "dropped" and ident["note"].startswith("identifier-like")
    assert ident["kind"] == "identifier" and ident["n_unique"] == 317
    assert columns["Churn"]["role"] == "target"
    assert telco_profile["dropped"] == {"customerID": ident["note"]}


def test_telco_class_balance(telco_profile):
    target = telco_profile["target"]
    assert (target["name"], target["task"]) == ("Churn", "binary")
    classes = target["classes"]
    assert [c["label"] for c in classes] == [False, True]  # most frequent first
    assert sum(c["count"] for c in classes) == 317
    assert sum(c["fraction"] for c in classes) == pytest.approx(1.0, abs=1e-3)
    assert classes[0]["count"] > classes[1]["count"]


def test_regression_target_summary_and_dates(data_dir):
    frame, schema = infer_schema(pd.read_parquet(data_dir / "m4_hourly.parquet"), target="value")
    profile = profile_frame(frame, schema)
    target = profile["target"]
    assert target["task"] == "regression" and "classes" not in target
    assert target["summary"]["min"] <= target["summary"]["median"] <= target["summary"]["max"]
    stamp = by_name(profile)["timestamp"]
    assert stamp["kind"] == "datetime" and stamp["min"].startswith("2015-07-01")
    assert stamp["min"] < stamp["max"]


def test_text_column(data_dir):
    frame = pd.read_csv(data_dir / "sst2_dev.tsv", sep="\t", quoting=csv.QUOTE_NONE)
    typed, schema = infer_schema(frame, target="label")
    content = by_name(profile_frame(typed, schema))["content"]
    assert content["kind"] == "text" and content["mean_length"] > 40


def test_dropped_columns_absent_from_frame_and_problem_target(data_dir):
    frame = pd.read_csv(data_dir / "telco_churn.csv").assign(Churn="No")
    typed, schema = infer_schema(frame, target="Churn", drop=["gender"])
    features = typed[[*schema.names, "Churn"]]
    profile = profile_frame(features, schema)
    columns = by_name(profile)
    assert columns["gender"] == {
        "name": "gender",
        "role": "dropped",
        "kind": None,
        "note": "dropped by the spec",
    }
    assert profile["target"]["task"] is None
    assert "only one class" in profile["target"]["problem"]
    assert profile["target"]["classes"] == [
        {"label": "No", "count": 317, "fraction": pytest.approx(1.0, abs=1e-12)}
    ]


def test_many_missing_values(data_dir):
    frame, schema = infer_schema(
        pd.read_csv(data_dir / "house_prices_ames.csv"), target="SalePrice"
    )
    profile = profile_frame(frame, schema)
    columns = by_name(profile)
    assert columns["PoolQC"]["role"] == "dropped"
    assert columns["PoolQC"]["missing_pct"] == pytest.approx(100.0, abs=1e-12)
    assert columns["Alley"]["missing_pct"] > 90
    assert profile["target"]["summary"]["mean"] > 0
    json.dumps(profile, allow_nan=False)

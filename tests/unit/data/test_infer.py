"""Schema inference and schema checking on the committed data slices."""

from __future__ import annotations

import csv

import numpy as np
import pandas as pd
import pytest

from modelyard.data.infer import check_schema, infer_schema, infer_task, suggest_target_map
from modelyard.data.schema import Schema
from modelyard.errors import DataError, SchemaMismatch

ADULT = (
    "age workclass fnlwgt education education_num marital_status occupation relationship race sex "
    "capital_gain capital_loss hours_per_week native_country income"
).split()
CREDIT_G = (
    "checking_status duration credit_history purpose credit_amount savings_status employment "
    "installment_commitment personal_status other_parties residence_since property_magnitude age "
    "other_payment_plans housing existing_credits job num_dependents own_telephone foreign_worker "
    "class"
).split()


def read_adult(data_dir, part: str) -> pd.DataFrame:
    path = data_dir / "adult" / f"adult-{part}.csv"
    return pd.read_csv(path, header=None, skipinitialspace=True, na_values=["?"], names=ADULT)


@pytest.fixture(scope="module")
def telco(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "telco_churn.csv")


def test_telco_kinds_identifier_and_blank_numbers(telco):
    out, schema = infer_schema(telco, target="Churn")
    assert (
        schema.dropped["customerID"]
        == f"identifier-like: {len(telco)} unique values in {len(telco)} rows"
    )
    assert "customerID" not in schema.names
    total = schema.column("TotalCharges")
    assert (total.kind, total.dtype, total.n_missing) == ("numeric", "float64", 11)
    assert "11 blank value(s) read as missing" in total.note
    assert out["TotalCharges"].isna().sum() == 11
    assert schema.column("SeniorCitizen").kind == "boolean"
    assert str(out["SeniorCitizen"].dtype) == "boolean"
    assert schema.column("Partner").kind == "boolean"
    assert schema.column("tenure").kind == "numeric" and out["tenure"].dtype == np.int64
    contract = schema.column("Contract")
    assert contract.kind == "categorical"
    assert contract.categories == ("Month-to-month", "One year", "Two year")
    assert (schema.target, schema.target_kind, schema.n_rows) == ("Churn", "boolean", len(telco))
    assert "Churn" not in schema.names and out["Churn"].dtype == "boolean"
    assert infer_task(out["Churn"], schema.target_kind) == "binary"


def test_schema_round_trips_through_json_dict(telco):
    _, schema = infer_schema(telco, target="Churn")
    assert Schema.from_dict(schema.to_dict()) == schema


def test_adult_missing_marker_and_target_map_note(data_dir):
    both = pd.concat(
        [read_adult(data_dir, "train"), read_adult(data_dir, "test")], ignore_index=True
    )
    out, schema = infer_schema(both, target="income")
    workclass = schema.column("workclass")
    assert workclass.kind == "categorical" and workclass.n_missing > 0
    assert "?" not in workclass.categories
    assert schema.column("age").kind == "numeric"
    (note,) = [n for n in schema.notes if "target_map" in n]
    assert "'>50K.'" in note and "'<=50K.'" in note
    assert "{'<=50K.': '<=50K', '>50K.': '>50K'}" in note


def test_suggest_target_map():
    assert suggest_target_map([">50K", "<=50K", ">50K.", "<=50K.", None]) == {
        ">50K.": ">50K",
        "<=50K.": "<=50K",
    }
    assert suggest_target_map(["yes", " yes", "No", "no!", "maybe"]) == {" yes": "yes"}
    assert suggest_target_map(["a", "a.", "a.."]) == {"a.": "a", "a..": "a"}
    assert suggest_target_map(["<=50K", ">50K"]) == {}


def test_ai4i_identifiers_and_binary_target(data_dir):
    frame = pd.read_csv(data_dir / "ai4i2020.csv", encoding="utf-8-sig")
    out, schema = infer_schema(frame, target="Machine failure")
    assert set(schema.dropped) == {"UDI", "Product ID"}
    assert schema.dropped["UDI"].startswith("identifier-like")
    assert schema.column("Type").kind == "categorical"
    assert schema.column("Torque [Nm]").kind == "numeric"
    assert schema.target_kind == "boolean"
    assert infer_task(out["Machine failure"], schema.target_kind) == "binary"


def test_credit_g_integer_target_is_binary(data_dir):
    frame = pd.read_csv(data_dir / "credit_g.csv", header=None, names=CREDIT_G)
    out, schema = infer_schema(frame, target="class")
    assert schema.target_kind == "numeric"
    assert infer_task(out["class"], schema.target_kind) == "binary"
    assert schema.column("checking_status").kind == "categorical"
    assert (
        schema.column("installment_commitment").kind == "numeric"
    )  # few integer values stay numeric


def test_house_prices_id_dropped_and_missing_counted(data_dir):
    frame = pd.read_csv(data_dir / "house_prices_ames.csv")
    out, schema = infer_schema(frame, target="SalePrice")
    assert schema.dropped["Id"].startswith("identifier-like")
    assert schema.column("Alley").n_missing > 0.9 * len(frame)
    assert schema.column("LotFrontage").kind == "numeric"
    assert schema.column("CentralAir").kind == "boolean"  # Y/N
    assert infer_task(out["SalePrice"], schema.target_kind) == "regression"
    for name, reason in schema.dropped.items():
        assert name in out.columns and reason  # dropped columns stay in the frame, unchanged


def test_sst2_sentences_are_text(data_dir):
    frame = pd.read_csv(data_dir / "sst2_dev.tsv", sep="\t", quoting=csv.QUOTE_NONE)
    out, schema = infer_schema(frame, target="label")
    assert schema.column("content").kind == "text"
    assert infer_task(out["label"], schema.target_kind) == "binary"


def test_online_retail_dates_with_format(data_dir):
    parts = [
        pd.read_csv(p, encoding="utf-8-sig")
        for p in sorted((data_dir / "online_retail").glob("*.csv"))
    ]
    out, schema = infer_schema(pd.concat(parts, ignore_index=True))
    invoice = schema.column("InvoiceDate")
    assert (invoice.kind, invoice.format, invoice.dtype) == (
        "datetime",
        "%m/%d/%Y %H:%M",
        "datetime64[ns]",
    )
    assert out["InvoiceDate"].min() >= pd.Timestamp("2010-12-01")
    assert schema.column("Country").categories == ("France", "Germany")


def test_m4_parquet_timestamps(data_dir):
    out, schema = infer_schema(pd.read_parquet(data_dir / "m4_hourly.parquet"), target="value")
    assert schema.column("timestamp").kind == "datetime"
    assert schema.column("series_id").kind == "categorical"
    assert infer_task(out["value"], schema.target_kind) == "regression"


def test_cdnow_integer_dates_stay_numeric_unless_typed(data_dir):
    frame = pd.read_csv(data_dir / "cdnow.txt", sep=r"\s+")
    _, schema = infer_schema(frame)
    assert schema.column("date").kind == "numeric"
    out, typed = infer_schema(frame, types={"date": "datetime", "customer_id": "categorical"})
    date = typed.column("date")
    assert (date.kind, date.format, date.note.startswith("set by hand")) == (
        "datetime",
        "%Y%m%d",
        True,
    )
    assert out["date"].iloc[0] == pd.Timestamp("1997-01-01")
    assert out["customer_id"].iloc[0] == "1"  # ids read as integers come back as their digits


def test_california_regression_and_blank_bedrooms(data_dir):
    frame = pd.read_csv(data_dir / "california_housing.csv")
    out, schema = infer_schema(frame, target="median_house_value")
    assert schema.column("total_bedrooms").n_missing > 0
    assert schema.column("ocean_proximity").kind == "categorical"
    assert infer_task(out["median_house_value"], schema.target_kind) == "regression"


def test_rules_on_small_frames():
    n = 40
    frame = pd.DataFrame(
        {
            "row": np.arange(100, 100 + n),  # consecutive run: a row index
            "flag": ["Y", "n"] * (n // 2),
            "bits": [0, 1] * (n // 2),
            "codes": [0, 1, 2, 3] * (n // 4),  # few integers: still numeric
            "halves": [0.0, 0.5] * (n // 2),  # two numbers, not {0, 1}: numeric
            "mostly": ["1.5"] * (n - 1) + ["n/a"],  # 97.5% numbers
            "dayfirst": [f"{d % 28 + 1}/{d % 12 + 1}/2020" for d in range(n)],  # days past 12
            "empty": [None] * n,
        }
    )
    out, schema = infer_schema(frame)
    assert schema.dropped["row"].startswith("identifier-like")
    assert schema.dropped["empty"].startswith("empty")
    kinds = {c.name: c.kind for c in schema.columns}
    assert kinds == {
        "flag": "boolean",
        "bits": "boolean",
        "codes": "numeric",
        "halves": "numeric",
        "mostly": "numeric",
        "dayfirst": "datetime",
    }
    assert out["flag"].tolist() == [True, False] * (n // 2)
    assert "1 value(s) not readable as numeric" in schema.column("mostly").note
    assert schema.column("dayfirst").format == "%d/%m/%Y"


def test_types_override_converts_and_rejects_bad_values(telco):
    out, schema = infer_schema(telco, target="Churn", types={"SeniorCitizen": "categorical"})
    assert schema.column("SeniorCitizen").categories == ("0", "1")
    assert out["SeniorCitizen"].iloc[0] == "0"
    with pytest.raises(DataError) as err:
        infer_schema(telco, types={"gender": "numeric"})
    assert "'gender'" in err.value.message and "'Female'" in err.value.message
    with pytest.raises(DataError, match="boolean"):
        infer_schema(telco, types={"Contract": "boolean"})
    with pytest.raises(DataError) as err:
        infer_schema(telco, types={"tenure": "numbr"})
    assert "numeric" in err.value.hint


def test_unknown_names_get_suggestions(telco):
    with pytest.raises(DataError) as err:
        infer_schema(telco, target="churn")
    assert "'churn'" in err.value.message and "'Churn'" in err.value.hint
    with pytest.raises(DataError) as err:
        infer_schema(telco, drop=["customerId"])
    assert "'customerID'" in err.value.hint
    with pytest.raises(DataError):
        infer_schema(telco, types={"Tenure": "numeric"})
    with pytest.raises(DataError, match="drop"):
        infer_schema(telco, target="Churn", drop=["Churn"])


def test_drop_and_missing_target_rows(telco):
    frame = telco.copy()
    frame.loc[:4, "Churn"] = None
    out, schema = infer_schema(frame, target="Churn", drop=["gender"])
    assert schema.dropped["gender"] == "dropped by the spec"
    assert len(out) == len(frame) and out["Churn"].isna().sum() == 5
    assert any("5 of" in note and "'Churn'" in note for note in schema.notes)


def test_all_missing_and_single_class_targets(telco):
    with pytest.raises(DataError, match="missing in all"):
        infer_schema(telco.assign(Churn=None), target="Churn")
    only_no = telco.assign(Churn="No")
    out, schema = infer_schema(only_no, target="Churn")
    with pytest.raises(DataError) as err:
        infer_task(out["Churn"], schema.target_kind)
    assert "only one class 'No'" in err.value.message and "at least two" in err.value.message


def test_infer_task_kinds():
    assert infer_task(pd.Series(["a", "b", "c"], name="y"), "categorical") == "multiclass"
    assert infer_task(pd.Series([1, 2, 3, 2], name="y"), "numeric") == "multiclass"
    assert infer_task(pd.Series(np.arange(50), name="y"), "numeric") == "regression"
    assert infer_task(pd.Series([0.5, 1.25, 3.0], name="y"), "numeric") == "regression"
    with pytest.raises(DataError, match="missing in all"):
        infer_task(pd.Series([None, None], name="y", dtype=object), "categorical")


def test_check_schema_applies_the_same_conversion(data_dir):
    train = read_adult(data_dir, "train")
    test = read_adult(data_dir, "test")
    train_out, schema = infer_schema(train, target="income")
    test_out = check_schema(test.assign(extra=1), schema)
    assert list(test_out.columns) == schema.names + ["income"]  # extra column ignored
    for name in schema.names:
        assert test_out[name].dtype == train_out[name].dtype, name
    serving = check_schema(test.drop(columns=["income"]), schema)
    assert "income" not in serving.columns
    with pytest.raises(SchemaMismatch) as err:
        check_schema(test.drop(columns=["age", "race"]), schema)
    assert "['age', 'race']" in err.value.message and "expected columns" in err.value.message


def test_check_schema_keeps_date_format_and_rejects_bad_values(telco):
    _, schema = infer_schema(telco, target="Churn")
    bad = telco.head(3).assign(Partner=["Yes", "maybe", "No"])
    with pytest.raises(SchemaMismatch, match="'maybe'"):
        check_schema(bad, schema)
    coerced = check_schema(bad, schema, errors="coerce")
    assert coerced["Partner"].isna().tolist() == [False, True, False]
    frame = pd.DataFrame(
        {"when": [f"{d}/1/2020" for d in range(1, 30)], "x": [i % 5 for i in range(29)]}
    )
    _, dated = infer_schema(frame)
    new = check_schema(pd.DataFrame({"when": ["2/1/2020"], "x": [1]}), dated)
    assert new["when"].iloc[0] == pd.Timestamp("2020-01-02")  # day first, as in training

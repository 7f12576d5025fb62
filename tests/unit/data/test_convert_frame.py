"""check_schema converts a whole frame (convert_frame) exactly as convert_column does column by
column: same values, bits, dtypes and errors, on the real slices and on awkward frames."""

from __future__ import annotations

import csv
import sys

import numpy as np
import pandas as pd
import pytest

from modelyard.data.convert import _FALSE, _TRUE, convert_column
from modelyard.data.infer import check_schema, infer_schema
from modelyard.data.schema import Column, Schema
from modelyard.errors import SchemaMismatch

ADULT = (
    "age workclass fnlwgt education education_num marital_status occupation relationship race sex "
    "capital_gain capital_loss hours_per_week native_country income"
).split()


def by_column(frame: pd.DataFrame, schema: Schema, errors: str = "raise") -> pd.DataFrame:
    """The reference: convert_column on every column in turn (check_schema before grouping)."""
    columns = list(schema.columns)
    if schema.target in frame.columns:
        columns.append(Column(schema.target, schema.target_kind or "categorical", ""))
    out = {}
    for col in columns:
        values, _, _ = convert_column(
            frame[col.name],
            col.kind,
            name=col.name,
            fmt=col.format,
            errors=errors,
            error_class=SchemaMismatch,
        )
        out[col.name] = values.astype("float64") if col.dtype == "float64" else values
    return pd.DataFrame(out, index=frame.index)


def assert_identical(left: pd.DataFrame, right: pd.DataFrame) -> None:
    # exact: values parsed from the same text, no arithmetic; bit-identity is the contract
    pd.testing.assert_frame_equal(left, right, check_exact=True)
    for name in left.columns:
        if left[name].dtype == np.float64:  # NaN payloads and the sign of zero too
            assert left[name].to_numpy().tobytes() == right[name].to_numpy().tobytes(), name


def outcome(convert, *args, **kwargs):
    try:
        return convert(*args, **kwargs)
    except SchemaMismatch as err:
        return type(err), err.message, err.hint


def slices(data_dir):
    yield pd.read_csv(data_dir / "telco_churn.csv"), {"target": "Churn"}
    adult = data_dir / "adult" / "adult-train.csv"
    yield (
        pd.read_csv(adult, header=None, skipinitialspace=True, na_values=["?"], names=ADULT),
        {"target": "income"},
    )
    yield pd.read_csv(data_dir / "house_prices_ames.csv"), {"target": "SalePrice"}
    yield pd.read_csv(data_dir / "california_housing.csv"), {"target": "median_house_value"}
    yield pd.read_csv(data_dir / "sst2_dev.tsv", sep="\t", quoting=csv.QUOTE_NONE), {}
    parts = sorted((data_dir / "online_retail").glob("*.csv"))
    yield pd.concat([pd.read_csv(p, encoding="utf-8-sig") for p in parts], ignore_index=True), {}
    yield pd.read_csv(data_dir / "cdnow.txt", sep=r"\s+"), {"types": {"date": "datetime"}}
    yield pd.read_parquet(data_dir / "m4_hourly.parquet"), {"target": "value"}
    mnist = pd.read_csv(data_dir / "mnist_300.csv.gz", header=None)
    yield mnist.set_axis([f"c{i}" for i in mnist.columns], axis=1), {"target": "c784"}


def test_whole_frames_and_single_rows_match_column_by_column(data_dir):
    for raw, options in slices(data_dir):
        typed, schema = infer_schema(raw, **options)
        rows = np.linspace(0, len(raw) - 1, 12 if raw.shape[1] < 100 else 3).astype(int)
        for frame in (raw, typed, raw.iloc[:0], *(raw.iloc[[i]] for i in rows)):
            for errors in ("raise", "coerce"):
                got = outcome(check_schema, frame, schema, errors=errors)
                want = outcome(by_column, frame, schema, errors=errors)
                if isinstance(want, tuple):
                    assert got == want
                else:
                    assert_identical(got, want)


@pytest.fixture(scope="module")
def telco(data_dir):
    raw = pd.read_csv(data_dir / "telco_churn.csv")
    return raw.head(6).copy(), infer_schema(raw, target="Churn")[1]


AWKWARD = {
    "bad boolean": {"Partner": ["Yes", "maybe", "No", "x", "Yes", "No"]},
    "bad number": {"TotalCharges": ["1", "abc", " ", "2", "3", "4"]},
    "both bad": {"TotalCharges": ["1", "abc", " ", "2", "3", "4"], "Partner": ["maybe"] * 6},
    "bad target": {"Churn": ["Yes", "No", "maybe", "Yes", "No", "No"]},
    "text in an integer column": {"tenure": ["1", "two", "3", "4", "5", "6"]},
    "floats with -0.0": {
        "tenure": [1.0, -0.0, 3.5, np.nan, 5.0, 6.0],
        "MonthlyCharges": [-0.0, 2.0, 3.0, 4.0, 5.0, 6.0],
    },
    "integers in a float column": {"MonthlyCharges": np.arange(6, dtype="uint8")},
    "mixed objects": {
        "MonthlyCharges": np.array([1, "2", 3.5, None, "", " 7 "], dtype=object),
        "gender": np.array(["a", 1, 2.5, None, True, " "], dtype=object),
    },
    "boolean spellings": {
        "SeniorCitizen": ["1", "0", "YES ", "", None, "t"],
        "Partner": pd.array([True, None, False, True, False, True], dtype="boolean"),
    },
    "booleans as numbers": {
        "SeniorCitizen": [2, 0, 1, 0, 1, 0],
        "Partner": [1.0, 0.0, np.nan, -0.0, 1.0, 0.0],
    },
    "infinite numbers": {"MonthlyCharges": [np.inf, -np.inf, 1.0, 2.0, np.nan, 3.0]},
    "numbers as categories": {
        "Contract": [1.0, 2.5, np.nan, 1.0, 2.0, 3.0],
        "PaymentMethod": [1, 2, 3, 1, 2, 3],
    },
    "pandas dtypes": {
        "gender": pd.array(["M", None, "F", " ", "", "x"], dtype="string"),
        "tenure": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        "Contract": pd.Categorical(["a", "b", None, "a", "b", "a"]),
    },
}


@pytest.mark.parametrize("case", sorted(AWKWARD))
def test_awkward_values_match_column_by_column(telco, case):
    head, schema = telco
    frame = head.assign(**AWKWARD[case])
    variants = [
        frame,
        frame[list(reversed(frame.columns))].assign(extra=1),
        frame.set_axis([0, 0, 1, 1, 2, 2], axis=0),
        frame.drop(columns=["Churn"]),
    ]
    for variant in variants:
        for rows in (variant, variant.iloc[[1]], variant.iloc[[4]]):
            for errors in ("raise", "coerce"):
                got = outcome(check_schema, rows, schema, errors=errors)
                want = outcome(by_column, rows, schema, errors=errors)
                if isinstance(want, tuple):
                    assert got == want
                else:
                    assert_identical(got, want)


def test_repeated_labels_still_convert_column_by_column(telco):
    head, schema = telco
    doubled = pd.concat([head, head[["customerID"]]], axis=1)  # not a feature: still fine
    assert_identical(check_schema(doubled, schema), by_column(head, schema))


def test_large_text_batches_take_the_pandas_route(data_dir):
    raw = pd.read_csv(data_dir / "telco_churn.csv")
    _, schema = infer_schema(raw, target="Churn")
    big = pd.concat([raw] * 4, ignore_index=True)  # more cells than convert_frame.SMALL
    big.loc[3, "Partner"], big.loc[5, "TotalCharges"] = " yes ", "  "
    assert_identical(check_schema(big, schema), by_column(big, schema))


def test_python_string_methods_agree_with_pandas_on_every_code_point():
    """Why convert_frame may read small text columns with str.strip and str.lower."""
    points = [chr(i) for i in range(sys.maxunicode + 1) if not 0xD800 <= i <= 0xDFFF]
    text = pd.Series(points, dtype="str")
    stripped = text.str.strip().tolist()
    assert [c for c, s in zip(points, stripped, strict=True) if s != c.strip()] == []
    # the true/false tokens: only ASCII characters lower-case to one of their characters, in
    # pandas as in Python, and the two agree on those, so a lowered value is a token in both or
    # in neither (the lower cases they disagree on, such as U+0130, are never token text)
    letters = set("".join(_TRUE | _FALSE))
    for c, low in zip(points, text.str.lower().tolist(), strict=True):
        if letters & set(low) or letters & set(c.lower()):
            assert c.isascii() and c.lower() == low, hex(ord(c))

"""Content fingerprints: independent of file format and storage dtype, sensitive to content."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from modelyard.data.fingerprint import fingerprint_frame
from modelyard.data.infer import infer_schema


@pytest.fixture(scope="module")
def telco(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "telco_churn.csv")


def test_format_looks_like_sha256(telco):
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", fingerprint_frame(telco))


def test_csv_and_parquet_give_the_same_fingerprint(telco, tmp_path):
    path = tmp_path / "telco.parquet"
    telco.to_parquet(path, index=False)
    from_parquet = pd.read_parquet(path)
    a_frame, a_schema = infer_schema(telco, target="Churn")
    b_frame, b_schema = infer_schema(from_parquet, target="Churn")
    assert fingerprint_frame(a_frame, a_schema) == fingerprint_frame(b_frame, b_schema)


def test_one_changed_cell_changes_it(telco):
    frame, schema = infer_schema(telco, target="Churn")
    before = fingerprint_frame(frame, schema)
    changed = frame.copy()
    changed.loc[10, "MonthlyCharges"] = changed.loc[10, "MonthlyCharges"] + 0.01
    assert fingerprint_frame(changed, schema) != before
    text = frame.copy()
    text.loc[3, "PaymentMethod"] = "Mailed check!"
    assert fingerprint_frame(text, schema) != before
    missing = frame.copy()
    missing.loc[0, "tenure"] = np.nan
    assert fingerprint_frame(missing, schema) != before


def test_column_and_row_order_matter(telco):
    frame, _ = infer_schema(telco, target="Churn")
    swapped = frame[[frame.columns[1], frame.columns[0], *frame.columns[2:]]]
    assert fingerprint_frame(swapped) != fingerprint_frame(frame)
    reversed_rows = frame.iloc[::-1].reset_index(drop=True)
    assert fingerprint_frame(reversed_rows) != fingerprint_frame(frame)
    assert fingerprint_frame(frame.reset_index(drop=True)) == fingerprint_frame(frame)


def test_storage_dtype_does_not_matter():
    ints = pd.DataFrame({"a": [1, 2, 3], "b": [0, 1, 1], "c": ["x", "y", None]})
    floats = pd.DataFrame(
        {
            "a": np.array([1.0, 2.0, 3.0]),
            "b": pd.array([False, True, True], dtype="boolean"),
            "c": pd.Series(["x", "y", np.nan], dtype="str"),
        }
    )
    nullable = ints.astype({"a": "Int64", "b": "int8", "c": object})
    assert fingerprint_frame(ints) == fingerprint_frame(floats) == fingerprint_frame(nullable)


def test_missing_markers_and_negative_zero_are_canonical():
    a = pd.DataFrame({"x": [0.0, np.nan, 2.0], "s": ["a", None, "b"]})
    b = pd.DataFrame(
        {"x": pd.array([-0.0, None, 2.0], dtype="Float64"), "s": pd.array(["a", pd.NA, "b"])}
    )
    assert fingerprint_frame(a) == fingerprint_frame(b)
    zero = pd.DataFrame({"x": [0.0, 0.0, 2.0], "s": ["a", None, "b"]})
    assert fingerprint_frame(zero) != fingerprint_frame(a)  # missing is not zero
    empty = pd.DataFrame({"x": [0.0, np.nan, 2.0], "s": ["a", "", "b"]})
    assert fingerprint_frame(empty) != fingerprint_frame(a)  # missing is not the empty string


def test_text_and_numbers_differ():
    assert fingerprint_frame(pd.DataFrame({"v": ["1", "2"]})) != fingerprint_frame(
        pd.DataFrame({"v": [1, 2]})
    )


def test_datetimes_hash_by_instant():
    naive_us = pd.DataFrame(
        {"t": pd.to_datetime(["2020-01-01 10:00", None]).astype("datetime64[us]")}
    )
    naive_ns = pd.DataFrame(
        {"t": pd.to_datetime(["2020-01-01 10:00", None]).astype("datetime64[ns]")}
    )
    aware = pd.DataFrame(
        {"t": pd.to_datetime(["2020-01-01 11:00", None]).tz_localize("Europe/Paris")}
    )
    assert fingerprint_frame(naive_us) == fingerprint_frame(naive_ns) == fingerprint_frame(aware)


def test_schema_override_changes_it(telco):
    plain, schema = infer_schema(telco, target="Churn")
    typed, typed_schema = infer_schema(telco, target="Churn", types={"tenure": "categorical"})
    assert fingerprint_frame(plain, schema) != fingerprint_frame(typed, typed_schema)
    # the same values under a different kind still differ: the schema is hashed too
    _, other = infer_schema(telco, target="Churn", drop=["gender"])
    assert fingerprint_frame(plain, schema) != fingerprint_frame(plain, other)
    assert fingerprint_frame(plain, schema) != fingerprint_frame(plain)

"""Preprocessor.transform (grouped, assemble.py) gives exactly what the encoders give one column at
a time, bit for bit, and one row gives what the same row gives within a batch."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.data.infer import check_schema, infer_schema
from modelyard.features import Preprocessor
from modelyard.features.categorical import SMALL_BATCH, CategoricalEncoder


def by_column(pre: Preprocessor, frame: pd.DataFrame) -> pd.DataFrame:
    """The reference: every encoder's own transform, assembled as transform did before grouping."""
    blocks = [encoder.transform(frame[name]) for name, encoder in pre.encoders_.items()]
    return pre._assemble(blocks, frame.index)


def assert_identical(left: pd.DataFrame, right: pd.DataFrame) -> None:
    # exact: both paths run the same elementwise float64 operations (no reduction), which IEEE
    # rounds the same way on every machine; bit-identity is the contract of assemble.py
    pd.testing.assert_frame_equal(left, right, check_exact=True)
    for name in left.columns:
        if left[name].dtype == np.float64:  # NaN payloads and the sign of zero too
            assert left[name].to_numpy().tobytes() == right[name].to_numpy().tobytes(), name


def outcome(transform, *args):
    try:
        return transform(*args)
    except Exception as err:  # the same error, message and type, either way is what matters
        return type(err), str(err)


def check(pre: Preprocessor, frame: pd.DataFrame) -> None:
    got, want = outcome(pre.transform, frame), outcome(by_column, pre, frame)
    if isinstance(want, tuple):
        assert got == want
    else:
        assert_identical(got, want)


OPTIONS = [
    {},
    {"scale": True},
    {"input_kind": "categorical"},
    {"scale": True, "max_onehot": 3, "high_cardinality": "target"},
    {"max_onehot": 0},
]


@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(map(str, o.values())))
def test_real_slices_match_the_encoders_one_column_at_a_time(
    options, telco, telco_schema, adult, ames, retail, make_schema, splitter
):
    retail_schema = make_schema(
        retail, kinds={"Description": "text", "InvoiceDate": "datetime"}, drop=("InvoiceNo",)
    )
    cases = [
        (telco, telco_schema),
        (adult, make_schema(adult, target="income")),
        (ames, make_schema(ames, target="SalePrice", drop=("Id",), target_kind="numeric")),
        (retail, retail_schema),
    ]
    for frame, schema in cases:
        train, holdout = splitter(frame, len(frame) * 2 // 3, seed=3)
        target = train[schema.target] if schema.target else train["Quantity"].astype(float)
        pre = Preprocessor(schema, text_max_features=40, **options).fit(train, target)
        for rows in (holdout, holdout.iloc[:0], holdout.iloc[[0]], holdout.iloc[[5, 2]]):
            check(pre, rows)


def test_inferred_schemas_raw_and_checked_rows(data_dir):
    raw = pd.read_csv(data_dir / "telco_churn.csv")
    typed, schema = infer_schema(raw, target="Churn")
    mnist = pd.read_csv(data_dir / "mnist_300.csv.gz", header=None)
    mnist = mnist.set_axis(mnist.columns.astype(str), axis=1)
    mnist_typed, mnist_schema = infer_schema(mnist, target="784")
    for frame, typed_frame, sch in ((raw, typed, schema), (mnist, mnist_typed, mnist_schema)):
        frame = frame.set_axis(frame.columns.astype(str), axis=1)
        for options in ({}, {"scale": True}, {"input_kind": "categorical"}):
            pre = Preprocessor(sch, **options).fit(typed_frame.iloc[:200])
            checked = check_schema(frame.iloc[200:], sch)
            for rows in (checked, checked.iloc[[3]], typed_frame.iloc[[250]]):
                check(pre, rows)
            check(pre, frame.iloc[[210, 220]])  # raw text, not converted by check_schema


AWKWARD = {
    "infinite numbers": {"MonthlyCharges": [np.inf, -np.inf, 1.0, -0.0, np.nan, 3.0]},
    "booleans as numbers": {"SeniorCitizen": [1.0, 0.0, np.nan, -0.0, 1.0, 0.0]},
    "a boolean that is not 0/1": {"SeniorCitizen": [2, 0, 1, 0, 1, 0]},
    "booleans as bools": {
        "SeniorCitizen": [True, False] * 3,
        "Partner": pd.array([True, None, False] * 2, dtype="boolean"),
    },
    "strings in numeric columns": {"tenure": ["1", " 2 ", "NA", "", None, "3.5"]},
    "a bad string in a numeric column": {"tenure": ["1", "two", "3", "4", "5", "6"]},
    "nullable numbers": {
        "tenure": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
        "MonthlyCharges": np.arange(6, dtype="float32"),
    },
    "values beyond the training range": {"MonthlyCharges": [1e9, -1e9, 50.0, 0.0, 1e300, -5.0],
                                         "tenure": [1000, -3, 5, 0, 72, 73]},
    "unseen categories": {"Contract": ["Weekly", None, " One year ", "", 3, 2.0]},
}


@pytest.mark.parametrize("case", sorted(AWKWARD))
def test_awkward_values_match_the_encoders(case, telco, telco_schema):
    for options in ({}, {"scale": True}, {"input_kind": "categorical"}):
        pre = Preprocessor(telco_schema, **options).fit(telco)
        frame = telco.head(6).assign(**AWKWARD[case])
        for rows in (frame, frame.iloc[[2]], frame.set_axis(list("aabbcc"), axis=0)):
            check(pre, rows)


def test_one_row_equals_the_same_row_in_a_batch(data_dir):
    """The serving path: check_schema then transform, one row at a time or all at once."""
    mnist = pd.read_csv(data_dir / "mnist_300.csv.gz", header=None)
    mnist = mnist.set_axis([f"c{i}" for i in mnist.columns], axis=1)
    cases = [(pd.read_csv(data_dir / "telco_churn.csv"), "Churn"), (mnist, "c784")]
    for raw, target in cases:
        typed, schema = infer_schema(raw, target=target)
        for options in ({"scale": True}, {"input_kind": "categorical"}):
            pre = Preprocessor(schema, **options).fit(typed.iloc[:150])
            rows = raw.drop(columns=[target]).iloc[150:190]
            batch = pre.transform(check_schema(rows, schema))
            one_by_one = [
                pre.transform(check_schema(rows.iloc[[i]], schema)) for i in range(len(rows))
            ]
            assert_identical(pd.concat(one_by_one), batch)


def test_category_lookups_follow_a_refit_and_match_the_index_lookup():
    encoder = CategoricalEncoder("c").fit(pd.Series(["a", "b"]))
    values = pd.Series(["b", " c", None, 2.0, "a"])
    assert encoder.codes(values).tolist() == [1, -1, 2, -1, 0]
    encoder.fit(pd.Series(["b", "c", "2"]))  # a new categories_ list: the cached lookup is dropped
    assert encoder.codes(values).tolist() == [1, 2, 3, 0, -1]
    many = pd.concat([values] * (SMALL_BATCH // len(values) + 1), ignore_index=True)
    assert len(many) > SMALL_BATCH  # the pandas index lookup: the same codes
    assert encoder.codes(many).tolist() == [1, 2, 3, 0, -1] * (len(many) // len(values))

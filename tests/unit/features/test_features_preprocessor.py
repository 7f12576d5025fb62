"""The Preprocessor end to end on real slices: output shape, dtypes, order and errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.data.schema import Column, Schema
from modelyard.errors import SchemaMismatch, SpecError, TrainingError
from modelyard.features import Preprocessor


def test_telco_train_holdout_with_an_unseen_category(telco, telco_schema, splitter):
    train, holdout = splitter(telco, 200, seed=4)
    holdout = holdout.copy()
    holdout.loc[holdout.index[0], "PaymentMethod"] = "Bitcoin"  # never seen in training
    pre = Preprocessor(telco_schema).fit(train)
    out = pre.transform(holdout)
    assert out.index.equals(holdout.index)
    assert list(out.columns) == pre.feature_names_out_
    assert set(out.dtypes) == {np.dtype("float64")}
    payment = [c for c in out.columns if c.startswith("PaymentMethod=")]
    assert len(payment) == 4
    assert out.loc[holdout.index[0], payment].sum() == pytest.approx(0.0, abs=1e-12)
    np.testing.assert_allclose(out.loc[holdout.index[1:], payment].sum(axis=1), 1.0, atol=1e-12)
    assert train["TotalCharges"].isna().any()
    assert "TotalCharges__missing" in out.columns
    assert "customerID" not in " ".join(out.columns) and "Churn" not in " ".join(out.columns)
    assert not out.isna().any().any()


def test_column_order_is_stable_and_follows_the_schema(telco, telco_schema):
    pre = Preprocessor(telco_schema).fit(telco)
    shuffled = telco[list(reversed(telco.columns))].assign(extra=1)
    assert list(pre.transform(shuffled).columns) == pre.feature_names_out_
    firsts = [
        next(c for c in pre.feature_names_out_ if c.split("=")[0].split("__")[0] == name)
        for name in telco_schema.names
    ]
    assert [pre.feature_names_out_.index(c) for c in firsts] == sorted(
        pre.feature_names_out_.index(c) for c in firsts
    )


def test_adult_dense_and_categorical_kinds(adult, make_schema):
    schema = make_schema(adult, target="income")
    dense = Preprocessor(schema).fit_transform(adult)
    assert set(dense.dtypes) == {np.dtype("float64")} and not dense.isna().any().any()
    assert "workclass=__missing__" in dense.columns
    cat = Preprocessor(schema, input_kind="categorical").fit(adult)
    out = cat.transform(adult)
    assert cat.categorical_features_ == schema.of_kind("categorical")
    for name in cat.categorical_features_:
        assert isinstance(out[name].dtype, pd.CategoricalDtype)
    assert out["workclass"].isna().sum() == adult["workclass"].isna().sum()
    assert out["age"].dtype == np.float64


def test_ames_with_many_missing_values(ames, make_schema, splitter):
    schema = make_schema(ames, target="SalePrice", drop=("Id",), target_kind="numeric")
    train, holdout = splitter(ames, 250, seed=5)
    pre = Preprocessor(schema, scale=True, max_onehot=10, high_cardinality="target")
    out = pre.fit(train).transform(holdout)
    assert not out.isna().any().any() and np.isfinite(out.to_numpy()).all()
    assert "LotFrontage__missing" in out.columns and "Alley=__missing__" in out.columns
    # more neighbourhoods than max_onehot; a numeric target kind means one regression column
    assert "Neighborhood__te" in out.columns
    assert not any(c.startswith("Neighborhood__te__") for c in out.columns)
    # every PoolQC value is missing, so pandas reads it as float: imputed 0 plus an indicator of 1
    np.testing.assert_allclose(out["PoolQC"], 0.0, atol=1e-12)
    np.testing.assert_allclose(out["PoolQC__missing"], 1.0, atol=1e-12)


def test_fit_transform_equals_fit_then_transform_without_target_encoding(retail, make_schema):
    schema = make_schema(
        retail, kinds={"Description": "text", "InvoiceDate": "datetime"}, drop=("InvoiceNo",)
    )
    a = Preprocessor(schema, scale=True, text_max_features=100).fit_transform(retail)
    b = Preprocessor(schema, scale=True, text_max_features=100).fit(retail).transform(retail)
    assert a.equals(b)  # exact: same computation twice (reproducibility)
    assert "InvoiceDate__hour" in a.columns and "CustomerID__missing" in a.columns
    assert any(c.startswith("Description__tfidf__") for c in a.columns)


def test_missing_expected_column_names_it_and_lists_the_expected(telco, telco_schema):
    pre = Preprocessor(telco_schema).fit(telco)
    with pytest.raises(SchemaMismatch) as err:
        pre.transform(telco.drop(columns=["tenure", "Contract"]))
    message = str(err.value)
    assert "'tenure'" in message and "'Contract'" in message
    assert "expected columns" in message and "MonthlyCharges" in message
    assert err.value.hint


def test_identifier_columns_in_the_schema_are_ignored(telco):
    schema = Schema(
        columns=(Column("customerID", "identifier", "str"), Column("tenure", "numeric", "int64"))
    )
    pre = Preprocessor(schema).fit(telco)
    assert pre.feature_names_out_ == ["tenure"]
    assert list(pre.transform(telco[["tenure"]]).columns) == ["tenure"]


def test_parameters_are_checked_in_fit_not_init(telco, telco_schema):
    bad = Preprocessor(telco_schema, input_kind="sparse")  # __init__ only stores
    assert bad.input_kind == "sparse"
    with pytest.raises(SpecError) as err:
        bad.fit(telco)
    assert "input_kind" in str(err.value) and "'sparse'" in str(err.value)
    with pytest.raises(SpecError):
        Preprocessor(telco_schema, max_onehot=2.5).fit(telco)
    with pytest.raises(TrainingError):
        Preprocessor(telco_schema).transform(telco)


def test_target_column_of_the_frame_is_used_for_target_encoding(telco, telco_schema):
    pre = Preprocessor(telco_schema, max_onehot=2, high_cardinality="target")
    out = pre.fit_transform(telco)
    assert "PaymentMethod__te" in out.columns
    explicit = Preprocessor(telco_schema, max_onehot=2, high_cardinality="target")
    # exact: same computation twice (reproducibility): the same target, passed another way
    assert out.equals(explicit.fit_transform(telco.drop(columns="Churn"), y=telco["Churn"]))


def test_works_on_an_inferred_schema_and_converted_frame(data_dir, splitter, tmp_path):
    from modelyard.data.infer import infer_schema  # imported here: another package's work

    raw = pd.read_csv(data_dir / "telco_churn.csv")
    frame, schema = infer_schema(raw, target="Churn")
    train, holdout = splitter(frame, 200, seed=8)
    pre = Preprocessor(schema, input_kind="categorical", scale=True).fit(train)
    out = pre.transform(holdout)
    assert "customerID" not in out.columns and "TotalCharges__missing" in pre.feature_names_out_
    assert not out.drop(columns=pre.categorical_features_).isna().any().any()
    pre.save(tmp_path)
    # exact: same computation twice (reproducibility), with the saved state read back
    assert Preprocessor.load(tmp_path).transform(holdout).equals(out)

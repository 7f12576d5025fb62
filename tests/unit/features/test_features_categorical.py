"""Categorical columns: one-hot, native categories, frequency encoding, canonical values."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import SpecError
from modelyard.features.categorical import MAX_NATIVE_CATEGORIES, CategoricalEncoder, canonical


def test_onehot_on_telco_contract(telco):
    enc = CategoricalEncoder("Contract").fit(telco["Contract"])
    assert enc.strategy_ == "onehot"
    assert enc.categories_ == sorted(telco["Contract"].unique())
    out = enc.transform(telco["Contract"])
    assert list(out.columns) == [f"Contract={c}" for c in enc.categories_]
    np.testing.assert_allclose(out.sum(axis=1), 1.0, atol=1e-12)
    assert (
        out["Contract=Two year"].tolist()
        == (telco["Contract"] == "Two year").astype(float).tolist()
    )


def test_unseen_category_is_all_zeros_and_missing_gets_its_indicator(adult, splitter):
    train, holdout = splitter(adult, 200, seed=1)
    enc = CategoricalEncoder("workclass").fit(train["workclass"])
    assert train["workclass"].isna().any() and enc.has_missing_
    assert enc.names_out_[-1] == "workclass=__missing__"
    serving = holdout["workclass"].copy()
    serving.iloc[0] = "Astronaut"  # never seen in training
    out = enc.transform(serving)
    assert out.iloc[0].sum() == pytest.approx(0.0, abs=1e-12)
    missing_rows = serving.isna().to_numpy()
    assert (out["workclass=__missing__"].to_numpy() == missing_rows).all()
    np.testing.assert_allclose(
        out.drop(columns="workclass=__missing__").to_numpy()[missing_rows], 0.0, atol=1e-12)


def test_high_cardinality_frequency_encoding(ames, splitter):
    train, holdout = splitter(ames, 250, seed=2)
    enc = CategoricalEncoder("Neighborhood", max_onehot=20).fit(train["Neighborhood"])
    assert enc.strategy_ == "frequency" and enc.names_out_ == ["Neighborhood__freq"]
    expected = train["Neighborhood"].value_counts() / len(train)
    table = enc.frequency_by_category()
    assert all(table[k] == pytest.approx(v, rel=1e-9) for k, v in expected.items())
    serving = holdout["Neighborhood"].copy()
    serving.iloc[0] = "Atlantis"
    out = enc.transform(serving)["Neighborhood__freq"]
    assert out.iloc[0] == pytest.approx(0.0, abs=1e-12)
    assert out.iloc[1] == pytest.approx(expected[serving.iloc[1]], rel=1e-9)


def test_native_categories_are_fixed_to_training(adult, splitter):
    train, holdout = splitter(adult, 200, seed=3)
    enc = CategoricalEncoder("occupation", input_kind="categorical").fit(train["occupation"])
    assert enc.strategy_ == "native"
    serving = holdout["occupation"].copy()
    serving.iloc[0] = "Astronaut"
    out = enc.transform(serving)["occupation"]
    assert isinstance(out.dtype, pd.CategoricalDtype)
    assert list(out.cat.categories) == sorted(train["occupation"].dropna().unique())
    assert pd.isna(out.iloc[0])
    assert out.isna().sum() == 1 + serving.isna().sum()


def test_very_high_cardinality_native_falls_back_to_frequency(ames):
    n = MAX_NATIVE_CATEGORIES + 1
    values = pd.Series([f"id{i}" for i in range(n)])  # synthetic: no slice has >1000 categories
    enc = CategoricalEncoder("code", input_kind="categorical").fit(values)
    assert enc.strategy_ == "frequency"
    np.testing.assert_allclose(enc.transform(values)["code__freq"], 1 / n, rtol=1e-9)


def test_canonical_values_merge_number_spellings_and_strip_spaces():
    values = pd.Series([20, 20.0, "20", " 20 ", 1.5, True, "", None, np.nan], dtype=object)
    assert canonical(values).tolist() == ["20", "20", "20", "20", "1.5", "True", None, None, None]


def test_ames_integer_category_served_as_string(ames):
    enc = CategoricalEncoder("MSSubClass").fit(ames["MSSubClass"])
    assert enc.strategy_ == "onehot"
    out = enc.transform(pd.Series(["60", 60, 60.0], dtype=object))
    assert out["MSSubClass=60"].tolist() == pytest.approx([1.0, 1.0, 1.0], abs=1e-12)


def test_invalid_parameters_are_rejected(telco):
    with pytest.raises(SpecError) as err:
        CategoricalEncoder("Contract", high_cardinality="hash").fit(telco["Contract"])
    assert "'hash'" in str(err.value) and "'frequency'" in str(err.value)
    with pytest.raises(SpecError):
        CategoricalEncoder("Contract", max_onehot=-1).fit(telco["Contract"])


def test_a_large_text_column_is_canonicalised_and_coded_as_value_by_value(telco):
    """Above SMALL_BATCH rows a text column is canonicalised once per distinct text: the same
    canonical values and codes as per row, with padding, blanks, missing and unseen values."""
    enc = CategoricalEncoder("PaymentMethod").fit(telco["PaymentMethod"])
    values = telco["PaymentMethod"].astype(object).copy()
    values.iloc[::7] = " " + values.iloc[::7].astype(str) + "  "  # padded
    values.iloc[3::11] = "   "  # blank: missing
    values.iloc[5::13] = None
    values.iloc[8::17] = "Astronaut"  # unseen
    text = values.astype("str")  # pandas' text dtype, as the schema check stores categories
    assert isinstance(text.dtype, pd.StringDtype) and len(text) > 256
    per_row = [canonical(pd.Series([v], dtype=object))[0] for v in values]
    assert canonical(text).tolist() == per_row
    small = [enc.codes(text.iloc[i : i + 1])[0] for i in range(len(text))]  # the dict path
    assert enc.codes(text).tolist() == small
    assert (enc.codes(text) == -1).sum() == len(range(8, len(text), 17))

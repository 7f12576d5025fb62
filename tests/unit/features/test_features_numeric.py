"""Numeric columns: median imputation, the missing indicator, inf as missing, scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import DataError
from modelyard.features.numeric import NumericEncoder


def test_blank_total_charges_are_imputed_with_the_training_median_and_flagged(telco):
    values = telco["TotalCharges"]
    assert values.isna().sum() > 0, "the slice keeps blank TotalCharges"
    enc = NumericEncoder("TotalCharges").fit(values)
    out = enc.transform(values)
    assert list(out.columns) == ["TotalCharges", "TotalCharges__missing"]
    assert enc.median_ == pytest.approx(float(values.median()), rel=1e-9)
    missing = values.isna().to_numpy()
    assert (out["TotalCharges__missing"].to_numpy() == missing.astype(float)).all()
    assert (out["TotalCharges"].to_numpy()[missing] == enc.median_).all()
    assert out["TotalCharges"].to_numpy()[~missing].tolist() == values[~missing].tolist()
    assert all(dtype == np.float64 for dtype in out.dtypes)


def test_raw_blank_strings_are_read_as_missing(data_dir):
    raw = pd.read_csv(data_dir / "telco_churn.csv")["TotalCharges"]  # str with ' ' for blanks
    enc = NumericEncoder("TotalCharges").fit(raw)
    assert enc.has_missing_
    assert enc.median_ == pytest.approx(pd.to_numeric(raw, errors="coerce").median(), rel=1e-9)


def test_no_indicator_when_training_had_no_missing_even_if_serving_does(telco):
    enc = NumericEncoder("MonthlyCharges").fit(telco["MonthlyCharges"])
    assert enc.names_out_ == ["MonthlyCharges"]
    serving = pd.Series([np.nan, 10.0, None], dtype="float64")
    out = enc.transform(serving)
    assert list(out.columns) == ["MonthlyCharges"]
    assert out["MonthlyCharges"].tolist() == pytest.approx([enc.median_, 10.0, enc.median_],
                                                           rel=1e-9)


def test_infinity_is_missing(telco):
    values = telco["MonthlyCharges"].copy()
    values.iloc[[0, 5]] = [np.inf, -np.inf]
    enc = NumericEncoder("MonthlyCharges").fit(values)
    assert enc.has_missing_
    assert enc.median_ == pytest.approx(
        np.median(values.iloc[[i for i in range(len(values)) if i not in (0, 5)]]), rel=1e-9
    )
    out = enc.transform(values)
    assert np.isfinite(out.to_numpy()).all()
    assert out["MonthlyCharges__missing"].iloc[[0, 5]].tolist() == pytest.approx([1.0, 1.0],
                                                                                  abs=1e-12)


def test_scaling_uses_training_mean_and_std_and_constant_std_becomes_one(telco):
    values = telco["tenure"]
    enc = NumericEncoder("tenure", scale=True).fit(values)
    assert enc.mean_ == pytest.approx(values.mean())
    assert enc.std_ == pytest.approx(values.std(ddof=0))
    out = enc.transform(values)["tenure"]
    assert out.mean() == pytest.approx(0.0, abs=1e-12)
    assert out.std(ddof=0) == pytest.approx(1.0)
    constant = NumericEncoder("c", scale=True).fit(pd.Series([3.0] * 10))
    assert constant.std_ == pytest.approx(1.0, abs=1e-12)
    clipped = constant.transform(pd.Series([3.0, 4.0]))["c"].tolist()
    assert clipped == pytest.approx([0.0, 0.0], abs=1e-12)


def test_scaled_values_outside_the_training_range_are_clipped_to_it(telco):
    values = telco["MonthlyCharges"].astype(float)
    enc = NumericEncoder("MonthlyCharges", scale=True).fit(values)
    assert (enc.low_, enc.high_) == (values.min(), values.max())
    far = pd.Series([values.min() - 1000.0, values.max() + 1000.0, values.iloc[0]])
    out = enc.transform(far)["MonthlyCharges"].to_numpy()
    edges = enc.transform(pd.Series([values.min(), values.max()]))["MonthlyCharges"].to_numpy()
    np.testing.assert_allclose(out[:2], edges, rtol=1e-9)
    assert out[2] == pytest.approx(enc.transform(values.iloc[:1])["MonthlyCharges"].iloc[0],
                                   rel=1e-9)
    unscaled = NumericEncoder("MonthlyCharges").fit(values)  # trees: values pass unchanged
    assert unscaled.transform(far)["MonthlyCharges"].tolist() == far.tolist()


def test_a_state_saved_before_clipping_loads_with_an_unbounded_range(telco):
    values = telco["tenure"].astype(float)
    enc = NumericEncoder("tenure", scale=True).fit(values)
    state, arrays = enc.get_state()
    old = {k: v for k, v in state.items() if k not in ("low", "high")}
    loaded = NumericEncoder("tenure", scale=True)
    loaded.set_state(old, arrays)
    far = pd.Series([values.max() * 10])
    assert loaded.transform(far)["tenure"].iloc[0] == \
        pytest.approx((far.iloc[0] - enc.mean_) / enc.std_, rel=1e-9)


def test_garbage_strings_raise_a_data_error_naming_the_column():
    enc = NumericEncoder("price").fit(pd.Series([1.0, 2.0, 3.0]))
    with pytest.raises(DataError) as err:
        enc.transform(pd.Series(["4.5", "twelve", "NA"]))
    assert "price" in str(err.value) and "'twelve'" in str(err.value)
    assert err.value.hint


def test_all_missing_training_column_imputes_zero():
    enc = NumericEncoder("x").fit(pd.Series([np.nan, np.nan]))
    out = enc.transform(pd.Series([np.nan, 2.0]))
    np.testing.assert_allclose(out.to_numpy(), [[0.0, 1.0], [2.0, 0.0]], rtol=1e-9, atol=1e-12)

"""Boolean columns: 0/1 floats, mode imputation, the spellings accepted at serving time."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import DataError
from modelyard.features.boolean import BooleanEncoder


def test_yes_no_column_becomes_zero_one(telco):
    enc = BooleanEncoder("Partner").fit(telco["Partner"])
    out = enc.transform(telco["Partner"])
    assert enc.names_out_ == ["Partner"]
    assert out["Partner"].tolist() == (telco["Partner"] == "Yes").astype(float).tolist()


def test_other_spellings_are_accepted_at_transform(telco):
    enc = BooleanEncoder("Partner").fit(telco["Partner"])
    serving = pd.Series([True, False, "yes", " NO ", "1", "0", 1, 0, np.True_], dtype=object)
    assert enc.transform(serving)["Partner"].tolist() == [1, 0, 1, 0, 1, 0, 1, 0, 1]


def test_missing_uses_training_mode_and_indicator(telco):
    values = telco["SeniorCitizen"].astype("float64")
    values.iloc[:4] = np.nan
    enc = BooleanEncoder("SeniorCitizen").fit(values)
    present = values.dropna()
    expected_mode = 1.0 if (present == 1).sum() > (present == 0).sum() else 0.0
    assert enc.mode_ == expected_mode
    out = enc.transform(values)
    assert enc.names_out_ == ["SeniorCitizen", "SeniorCitizen__missing"]
    assert out.iloc[:4]["SeniorCitizen"].tolist() == [expected_mode] * 4
    assert out["SeniorCitizen__missing"].sum() == pytest.approx(4, abs=1e-12)


def test_unknown_spelling_is_rejected(telco):
    enc = BooleanEncoder("Partner").fit(telco["Partner"])
    with pytest.raises(DataError) as err:
        enc.transform(pd.Series(["Yes", "maybe"]))
    assert "Partner" in str(err.value) and "'maybe'" in str(err.value)

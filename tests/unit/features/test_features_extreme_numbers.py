"""Numbers near the float limits (issue 29): preprocessing survives them and says so.

Eleven values of ``1e308`` in the telco ``tenure`` column used to overflow the scaler's sums, so a
linear model saw infinities it blamed on 'missing or infinite values'; a forest and XGBoost saw
them turn infinite in single precision. Clipped to +-3.4e38 (the largest float32) before anything
is learnt, every statistic and every output stays finite, and the profile counts the values.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from modelyard.data.convert import LARGEST_FLOAT32, convert_column
from modelyard.data.infer import infer_schema
from modelyard.data.profile import profile_frame
from modelyard.features.numeric import NumericEncoder
from modelyard.features.preprocessor import Preprocessor
from modelyard.learners.forest import RandomForestLearner
from modelyard.learners.linear import LogisticLearner


@pytest.fixture
def huge_telco(telco) -> pd.DataFrame:
    """The telco slice with 1e308 in every 29th tenure (11 rows) and -1.7e308 in one more."""
    frame = telco.copy()
    tenure = frame["tenure"].astype("float64")
    tenure.iloc[::29] = 1e308
    tenure.iloc[5] = -1.7e308
    frame["tenure"] = tenure
    return frame


@pytest.mark.parametrize("scale", [False, True])
def test_fit_and_transform_stay_finite_and_in_float32_range(huge_telco, scale):
    values = huge_telco["tenure"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow warning fails the test
        enc = NumericEncoder("tenure", scale=scale).fit(values)
        out = enc.transform(values)["tenure"].to_numpy()
    assert np.isfinite([enc.median_, enc.mean_, enc.std_, enc.low_, enc.high_]).all()
    assert np.isfinite(out).all()
    assert np.isfinite(out.astype(np.float32)).all()
    assert enc.n_clipped_ == 12
    big = values.to_numpy() > LARGEST_FLOAT32
    assert (out[big] == out.max()).all(), "the clipped values stay the largest of the column"
    ordinary = np.abs(values.to_numpy()) < 100
    if not scale:  # ordinary values pass unchanged
        assert out[ordinary].tolist() == values.to_numpy()[ordinary].tolist()


def test_a_reloaded_preprocessor_transforms_extremes_bit_identically(huge_telco, tmp_path):
    schema = infer_schema(huge_telco, target="Churn")[1]
    rows = huge_telco.drop(columns=["Churn"])
    for scale in (False, True):
        pre = Preprocessor(schema, scale=scale).fit(rows)
        pre.save(tmp_path / f"pre-{scale}")
        again = Preprocessor.load(tmp_path / f"pre-{scale}")
        want = pre.transform(rows).to_numpy()
        got = again.transform(rows).to_numpy()
        assert np.array_equal(want, got)  # bit-identical, also through the grouped path
        one = pre.encoders_["tenure"].transform(rows["tenure"]).to_numpy()[:, 0]
        column = pre.feature_names_out_.index("tenure")
        assert np.array_equal(want[:, column], one)


@pytest.mark.parametrize("learner", [LogisticLearner, RandomForestLearner])
def test_learners_train_on_preprocessed_extremes(huge_telco, learner):
    frame = huge_telco
    schema = infer_schema(frame, target="Churn")[1]
    y = (frame["Churn"] == "Yes").to_numpy().astype(np.int64)
    model = learner(task="binary")
    pre = Preprocessor(schema, scale=model.needs_scaling).fit(frame)
    model.fit(pre.transform(frame), y)
    proba = model.predict_proba(pre.transform(frame))
    assert np.isfinite(proba).all()


def test_a_learner_given_raw_extremes_names_the_column_and_value(huge_telco):
    X = huge_telco[["tenure", "MonthlyCharges"]].astype("float64")
    y = (huge_telco["Churn"] == "Yes").to_numpy().astype(np.int64)
    with pytest.raises(Exception) as caught:
        RandomForestLearner(task="binary").fit(X, y)
    message = str(caught.value)
    assert "'tenure'" in message and "1e+308" in message
    assert "features/" not in message + getattr(caught.value, "hint", "")


def test_conversion_notes_count_huge_and_infinite_values():
    values = pd.Series(["1", "2", "1e308", "-1e309", "inf", ""])
    _, _, note = convert_column(values, "numeric", name="t")
    assert "2 infinite value(s) read as missing" in note
    assert "1 value(s) beyond +-3.4e38 (the largest: 1e+308)" in note


def test_profile_mean_and_std_of_huge_values_are_finite(huge_telco):
    frame, schema = infer_schema(huge_telco, target="Churn")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        report = profile_frame(frame, schema)
    tenure = next(c for c in report["columns"] if c["name"] == "tenure")
    assert tenure["mean"] is not None and np.isfinite(tenure["mean"])
    assert tenure["std"] is not None and tenure["std"] > 1e306
    assert "12 value(s) beyond +-3.4e38" in tenure["note"]

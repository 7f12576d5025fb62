"""The leakage test: fit learns from the training rows only, and provably saw exactly them."""

from __future__ import annotations

import numpy as np
import pytest

from modelyard.features import Preprocessor, rows_digest


def test_fit_state_comes_from_training_rows_only(ames, make_schema, splitter):
    schema = make_schema(ames, target="SalePrice", drop=("Id",))
    train, holdout = splitter(ames, 250, seed=7)
    # preconditions: on these columns the training rows and all rows really differ
    assert train["LotFrontage"].median() != pytest.approx(ames["LotFrontage"].median(), rel=1e-9)
    assert train["LotArea"].mean() != pytest.approx(ames["LotArea"].mean(), rel=1e-9)
    assert set(holdout["Condition1"]) - set(train["Condition1"]), "holdout has an unseen category"

    pre = Preprocessor(schema, scale=True).fit(train)
    everything = Preprocessor(schema, scale=True).fit(ames)
    enc = pre.encoders_

    fitted_on_all = everything.encoders_
    assert enc["LotFrontage"].median_ == pytest.approx(train["LotFrontage"].median(), rel=1e-9)
    assert enc["LotFrontage"].median_ != pytest.approx(fitted_on_all["LotFrontage"].median_,
                                                       rel=1e-9)
    assert enc["LotArea"].mean_ == pytest.approx(np.mean(train["LotArea"].to_numpy(dtype=float)),
                                                 rel=1e-9)
    assert enc["LotArea"].mean_ != pytest.approx(fitted_on_all["LotArea"].mean_, rel=1e-9)

    assert enc["Condition1"].categories_ == sorted(train["Condition1"].unique())
    assert enc["Condition1"].categories_ != everything.encoders_["Condition1"].categories_
    expected = (train["Neighborhood"].value_counts() / len(train)).to_dict()
    freq = enc["Neighborhood"].frequency_by_category()
    assert {k: freq[k] for k in expected} == pytest.approx(expected, rel=1e-9)
    assert freq["__missing__"] == pytest.approx(0.0, abs=1e-12)
    assert freq != pytest.approx(fitted_on_all["Neighborhood"].frequency_by_category(), rel=1e-9)

    assert pre.n_fit_rows_ == len(train)
    assert pre.fit_rows_digest_ == rows_digest(train.index)
    assert pre.fit_rows_digest_ != rows_digest(ames.index)
    assert pre.fit_rows_digest_ != rows_digest(holdout.index)


def test_transform_never_changes_the_fitted_state(ames, make_schema, splitter, tmp_path):
    schema = make_schema(ames, target="SalePrice", drop=("Id",))
    train, holdout = splitter(ames, 250, seed=7)
    pre = Preprocessor(schema, scale=True, high_cardinality="target").fit(train)
    pre.save(tmp_path / "before")
    pre.transform(holdout)
    pre.save(tmp_path / "after")
    before = (tmp_path / "before" / "preprocessor.json").read_text()
    assert before == (tmp_path / "after" / "preprocessor.json").read_text()


def test_training_target_encodings_are_out_of_fold(ames, make_schema):
    schema = make_schema(ames[["Neighborhood", "SalePrice"]], target="SalePrice")
    y = ames["SalePrice"].astype(float).to_numpy()
    counts = ames["Neighborhood"].value_counts()
    row = int(np.flatnonzero(ames["Neighborhood"].isin(counts[counts == 1].index))[0])

    def encode(target: np.ndarray):
        pre = Preprocessor(schema, high_cardinality="target", seed=3)
        return pre, pre.fit_transform(ames, y=target)["Neighborhood__te"]

    pre, train_encoding = encode(y)
    flipped = y.copy()
    flipped[row] = y.max() * 10
    _, again = encode(flipped)
    assert again.iloc[row] == pytest.approx(train_encoding.iloc[row], rel=1e-9)
    served = pre.transform(ames)["Neighborhood__te"]
    # the serving mapping includes the row
    assert served.iloc[row] != pytest.approx(train_encoding.iloc[row], rel=1e-9)

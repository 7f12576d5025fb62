"""Target encoding: smoothed means, out-of-fold for training rows, full mapping for serving."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import DataError
from modelyard.features.categorical import CategoricalEncoder
from modelyard.features.target import SMOOTHING


def _encoder(seed: int = 0) -> CategoricalEncoder:
    return CategoricalEncoder("Neighborhood", max_onehot=5, high_cardinality="target", seed=seed)


def _singletons(values: pd.Series) -> list[int]:
    counts = values.value_counts()
    once = set(counts[counts == 1].index)
    return [i for i, v in enumerate(values) if v in once]


def test_own_target_does_not_influence_training_encoding(ames):
    values, y = ames["Neighborhood"], ames["SalePrice"].astype(float).to_numpy()
    rows = _singletons(values)
    assert rows, "the slice has neighbourhoods that appear once"
    base = _encoder().fit_transform(values, y)["Neighborhood__te"].to_numpy()
    for row in rows[:3]:
        shifted = y.copy()
        shifted[row] += 1_000_000.0
        again = _encoder().fit_transform(values, shifted)["Neighborhood__te"].to_numpy()
        assert again[row] == pytest.approx(base[row], rel=1e-9), \
            "a row's own target leaked into its encoding"
        assert not np.array_equal(again, base), "other rows do use this row's target"


def test_transform_uses_the_full_training_mapping(ames):
    values, y = ames["Neighborhood"], ames["SalePrice"].astype(float).to_numpy()
    enc = _encoder().fit(values, y)
    row = _singletons(values)[0]
    prior = y.mean()
    expected = (y[row] + SMOOTHING * prior) / (1 + SMOOTHING)
    served = enc.transform(values.iloc[[row]])["Neighborhood__te"].iloc[0]
    assert served == pytest.approx(expected, rel=1e-12)
    oof = _encoder().fit_transform(values, y)["Neighborhood__te"].iloc[row]
    assert oof != pytest.approx(expected)
    unseen = enc.transform(pd.Series(["Atlantis", None]))["Neighborhood__te"]
    assert unseen.tolist() == pytest.approx([prior, prior])


def test_out_of_fold_is_seeded(ames):
    values, y = ames["Neighborhood"], ames["SalePrice"].astype(float)
    a = _encoder(seed=1).fit_transform(values, y)
    assert a.equals(_encoder(seed=1).fit_transform(values, y))  # exact: same computation twice
    assert not a.equals(_encoder(seed=2).fit_transform(values, y))


def test_multiclass_target_gives_one_column_per_class(adult):
    y = adult["education"].to_numpy(dtype=object)  # 16 classes
    enc = CategoricalEncoder("native_country", max_onehot=3, high_cardinality="target")
    out = enc.fit_transform(adult["native_country"], y, task="multiclass")
    classes = sorted(set(y))
    assert list(out.columns) == [f"native_country__te__{c}" for c in classes]
    assert np.allclose(out.sum(axis=1), 1.0)  # smoothed class frequencies still sum to one
    assert np.allclose(enc.prior_, [np.mean(y == c) for c in classes])


def test_binary_string_target(telco):
    enc = CategoricalEncoder("PaymentMethod", max_onehot=2, high_cardinality="target")
    enc.fit(telco["PaymentMethod"], telco["Churn"])
    assert enc.prior_.tolist() == pytest.approx([(telco["Churn"] == "Yes").mean()])


def test_missing_or_misshapen_target_is_a_data_error(telco):
    enc = CategoricalEncoder("PaymentMethod", max_onehot=2, high_cardinality="target")
    with pytest.raises(DataError) as err:
        enc.fit(telco["PaymentMethod"], None)
    assert "target" in str(err.value) and err.value.hint
    with pytest.raises(DataError):
        enc.fit(telco["PaymentMethod"], np.zeros(3))

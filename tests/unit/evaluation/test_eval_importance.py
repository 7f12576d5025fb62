"""Permutation importance on raw rows through a black-box score function."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.linear_model import Ridge

from modelyard.errors import DataError, SpecError
from modelyard.evaluation.importance import permutation_importance


@pytest.fixture(scope="module")
def housing(data_dir):
    """Raw numeric rows plus a pure-noise column, a Ridge fitted on them, and the targets."""
    frame = pd.read_csv(data_dir / "california_housing.csv")
    y = frame.pop("median_house_value")
    rows = frame[["median_income", "housing_median_age", "total_rooms"]].copy()
    rows["noise"] = np.random.default_rng(42).normal(size=len(rows))
    model = Ridge().fit(rows, y)
    return rows, y, model


def _r2(model, y):
    return lambda frame: skm.r2_score(y.loc[frame.index], model.predict(frame))


def _rmse(model, y):
    return lambda frame: skm.root_mean_squared_error(y.loc[frame.index], model.predict(frame))


def test_informative_feature_outranks_noise(housing):
    rows, y, model = housing
    result = permutation_importance(_r2(model, y), rows, n_repeats=4, seed=0)
    ranking = [r["feature"] for r in result]
    assert ranking[0] == "median_income"
    assert ranking.index("median_income") < ranking.index("noise")
    by_name = {r["feature"]: r for r in result}
    assert by_name["median_income"]["importance_mean"] > 0.3
    assert abs(by_name["noise"]["importance_mean"]) < 0.02
    assert all(r["importance_std"] >= 0 for r in result)
    means = [r["importance_mean"] for r in result]
    assert means == sorted(means, reverse=True)


def test_seeded_and_loss_sign_flipped(housing):
    rows, y, model = housing
    first = permutation_importance(_rmse(model, y), rows, n_repeats=3, seed=5,
                                   greater_is_better=False)
    # exact: same computation twice (reproducibility)
    assert first == permutation_importance(_rmse(model, y), rows, n_repeats=3, seed=5,
                                           greater_is_better=False)
    assert first[0]["feature"] == "median_income" and first[0]["importance_mean"] > 0


def test_max_rows_subsamples_with_the_original_index(housing):
    rows, y, model = housing
    seen: list[int] = []

    def score(frame: pd.DataFrame) -> float:
        seen.append(len(frame))
        return _r2(model, y)(frame)

    result = permutation_importance(score, rows, n_repeats=2, max_rows=100)
    assert set(seen) == {100} and len(seen) == 1 + 2 * rows.shape[1]
    assert result[0]["feature"] == "median_income"


def test_rows_are_not_modified_and_bad_inputs_fail(housing):
    rows, y, model = housing
    before = rows.copy()
    permutation_importance(_r2(model, y), rows, n_repeats=1)
    pd.testing.assert_frame_equal(rows, before)
    with pytest.raises(SpecError, match="n_repeats"):
        permutation_importance(_r2(model, y), rows, n_repeats=0)
    with pytest.raises(DataError, match="at least 2 rows"):
        permutation_importance(_r2(model, y), rows.iloc[:1])
    with pytest.raises(DataError, match="finite"):
        permutation_importance(lambda frame: float("nan"), rows)

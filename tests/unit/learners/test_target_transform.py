"""``target_transform='log'``: regression learners fit log(1 + y), predict in y's units within the
training range, save and load it, and refuse targets and tasks it cannot apply to.

Data: the committed house_prices_ames slice (SalePrice: non-negative, right-skewed) and the
california housing slice.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from modelyard.errors import DataError, SpecError
from modelyard.learners.base import get_learner
from modelyard.learners.target_transform import suits_log

DATA = Path(__file__).parents[2] / "data"
REGRESSORS = ("linear", "random_forest", "extra_trees", "lightgbm", "xgboost", "catboost", "mlp")
NUMERIC = ["OverallQual", "GrLivArea", "TotalBsmtSF", "GarageCars", "YearBuilt", "LotArea",
           "FullBath", "1stFlrSF"]


@functools.cache
def ames():
    df = pd.read_csv(DATA / "house_prices_ames.csv")
    X = df[NUMERIC].astype(float).fillna(0.0)
    X = (X - X.mean()) / X.std(ddof=0)  # scaled: the linear model and the MLP need it
    y = df["SalePrice"].to_numpy(float)
    return train_test_split(X, y, test_size=0.3, random_state=0)


def _learner(name: str, **params):
    cls = get_learner(name)
    fast = {"n_estimators": 60} if "n_estimators" in cls().get_params() else {}
    if name == "mlp":
        fast = {"epochs": 15, "seed": 0}
    return cls(**{**fast, **params})


def _rmse(a, b) -> float:
    return float(np.sqrt(np.mean((np.asarray(a) - np.asarray(b)) ** 2)))


@pytest.mark.parametrize("name", REGRESSORS)
def test_log_target_predicts_prices_in_their_units_and_survives_save_and_load(name, tmp_path):
    X_train, X_test, y_train, y_test = ames()
    model = _learner(name, target_transform="log").fit(X_train, y_train)
    pred = model.predict(X_test)
    assert model.target_range_ == pytest.approx([np.log1p(y_train.min()), np.log1p(y_train.max())])
    # in dollars, not log-dollars: within the training range and about as good as the spread
    assert y_train.min() - 1e-6 <= pred.min() and pred.max() <= y_train.max() + 1e-6
    assert _rmse(pred, y_test) < np.std(y_test)
    model.save(tmp_path)
    saved = json.loads((tmp_path / "learner.json").read_text())
    assert saved["params"]["target_transform"] == "log" and saved["target_range"] is not None
    np.testing.assert_allclose(get_learner(name).load(tmp_path).predict(X_test), pred, rtol=1e-6)


def test_a_log_linear_model_is_clipped_where_it_would_extrapolate():
    """Inputs far beyond the training rows: exp() of a linear score would grow without bound."""
    X_train, X_test, y_train, _ = ames()
    model = _learner("linear", target_transform="log").fit(X_train, y_train)
    far = X_test * 25.0
    raw = model._values(model._input(far))  # the log-scale scores before the back-transform
    assert np.expm1(raw.max()) > 10 * y_train.max()  # unclipped, a price no house ever had
    assert model.predict(far).max() == pytest.approx(y_train.max())


def test_log_target_improves_a_linear_fit_of_a_skewed_price():
    """The reason it exists: on Ames' SalePrice a log-linear model beats the linear one."""
    X_train, X_test, y_train, y_test = ames()
    plain = _learner("linear", alpha=1.0).fit(X_train, y_train).predict(X_test)
    logged = _learner("linear", alpha=1.0, target_transform="log").fit(X_train, y_train)
    assert _rmse(logged.predict(X_test), y_test) < _rmse(plain, y_test)


def test_early_stopping_watches_the_log_scale():
    X_train, X_test, y_train, y_test = ames()
    model = _learner("lightgbm", n_estimators=400, learning_rate=0.1, target_transform="log",
                     early_stopping_rounds=10)
    model.fit(X_train, y_train, eval_set=(X_test, y_test))
    assert model.best_score_ < 1.0  # an RMSE in log-dollars; in dollars it would be ~1e4
    assert model.stop_reason_ == "early_stopping"


def test_models_saved_before_the_transform_existed_still_load(tmp_path):
    X_train, X_test, y_train, _ = ames()
    model = _learner("lightgbm").fit(X_train, y_train)
    model.save(tmp_path)
    meta = json.loads((tmp_path / "learner.json").read_text())
    del meta["target_range"], meta["params"]["target_transform"]
    (tmp_path / "learner.json").write_text(json.dumps(meta))
    np.testing.assert_allclose(get_learner("lightgbm").load(tmp_path).predict(X_test),
                               model.predict(X_test))


def test_a_negative_target_a_classifier_or_an_unknown_transform_is_refused():
    X_train, _, y_train, _ = ames()
    with pytest.raises(DataError, match="needs a target >= 0; the smallest value is -1"):
        _learner("lightgbm", target_transform="log").fit(X_train, y_train - y_train.min() - 1)
    with pytest.raises(SpecError, match="target_transform applies to regression"):
        _learner("random_forest", target_transform="log").fit(
            X_train, (y_train > np.median(y_train)).astype(np.int64))
    with pytest.raises(SpecError, match="'target_transform' expected None or 'log'"):
        _learner("xgboost", target_transform="sqrt").fit(X_train, y_train)


def test_only_non_negative_right_skewed_targets_suit_the_log_scale():
    _, _, y_train, _ = ames()
    rng = np.random.default_rng(0)
    assert suits_log(y_train)  # prices
    assert not suits_log(rng.normal(100.0, 10.0, 500))  # symmetric
    assert not suits_log(np.append(y_train, -5.0))  # a negative value
    assert not suits_log(np.full(50, 3.0))  # constant
    assert not suits_log(np.append(y_train, np.nan))

"""The tabular families learn, stop early, weight classes, and check their input.

Data: the committed telco, california housing and ai4i2020 slices.
"""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
from sklearn.metrics import r2_score, roc_auc_score
from sklearn.model_selection import train_test_split

from modelyard.errors import (
    DataError,
    IntegrityError,
    NotFound,
    SchemaMismatch,
    SpecError,
    TrainingError,
)
from modelyard.evaluation.kpis import cpus_available
from modelyard.learners.base import get_learner
from modelyard.learners.forest import RandomForestLearner
from modelyard.learners.gbdt_catboost import CatBoostLearner
from modelyard.learners.gbdt_lightgbm import LightGBMLearner
from modelyard.learners.gbdt_xgboost import XGBoostLearner
from modelyard.learners.linear import LinearLearner, LogisticLearner
from modelyard.learners.persist import from_json_value, to_json_value
from modelyard.learners.threads import capped_predict_threads, predict_threads
from modelyard.search.trial import thread_limit

DATA = Path(__file__).parents[2] / "data"
CLASSIFIERS = ("logistic", "random_forest", "extra_trees", "lightgbm", "xgboost", "catboost")
REGRESSORS = ("linear", "random_forest", "extra_trees", "lightgbm", "xgboost", "catboost")
BOOSTERS = (LightGBMLearner, XGBoostLearner, CatBoostLearner)
TELCO_CATS = ["Contract", "InternetService", "PaymentMethod"]


class Deadline:
    """A real time budget: seconds left until a monotonic-clock deadline."""

    def __init__(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.deadline - time.monotonic()


def categorical(frame: pd.DataFrame, columns: list[str], like: pd.DataFrame | None = None):
    """Category dtype with the categories of ``like`` (the training rows) or of ``frame``."""
    out = frame.copy()
    for col in columns:
        source = frame if like is None else like
        out[col] = out[col].astype(pd.CategoricalDtype(sorted(source[col].unique())))
    return out


def dense(train: pd.DataFrame, other: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One-hot and standardise, with columns and statistics from the training rows."""
    a = pd.get_dummies(train, dtype=float)
    b = pd.get_dummies(other, dtype=float).reindex(columns=a.columns, fill_value=0.0)
    mean, std = a.mean(), a.std(ddof=0).replace(0.0, 1.0)
    return (a - mean) / std, (b - mean) / std


def inputs(name: str, train, test, cats):
    if get_learner(name).input_kind == "dense":
        return dense(train, test)
    return categorical(train, cats), categorical(test, cats, like=train)


def small(name: str, **params):
    cls = get_learner(name)
    fast = {"n_estimators": 60} if "n_estimators" in cls().get_params() else {}
    return cls(**fast, **params)


@functools.cache
def telco():
    df = pd.read_csv(DATA / "telco_churn.csv")
    y = (df["Churn"] == "Yes").to_numpy().astype(np.int64)
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"], errors="coerce").fillna(0.0)
    X = df[["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]].astype(float)
    X = X.join(df[TELCO_CATS])
    return train_test_split(X, y, test_size=0.35, random_state=0, stratify=y)


@functools.cache
def california():
    df = pd.read_csv(DATA / "california_housing.csv")
    y = (df.pop("median_house_value") / 1e5).to_numpy(dtype=float)
    df["total_bedrooms"] = df["total_bedrooms"].fillna(df["total_bedrooms"].median())
    return train_test_split(df, y, test_size=0.35, random_state=0)


@functools.cache
def ai4i():
    df = pd.read_csv(DATA / "ai4i2020.csv", encoding="utf-8-sig")
    y = df.pop("Machine failure").to_numpy().astype(np.int64)
    leaky = ["TWF", "HDF", "PWF", "OSF", "RNF"]
    X = df.drop(columns=["UDI", "Product ID", *leaky])
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


# -- they learn --------------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_classifiers_rank_churners_above_chance(name):
    X_train, X_test, y_train, y_test = telco()
    train, test = inputs(name, X_train, X_test, TELCO_CATS)
    proba = small(name).fit(train, y_train).predict_proba(test)[:, 1]
    assert roc_auc_score(y_test, proba) > 0.7


@pytest.mark.parametrize("name", REGRESSORS)
def test_regressors_explain_house_values(name):
    X_train, X_test, y_train, y_test = california()
    train, test = inputs(name, X_train, X_test, ["ocean_proximity"])
    pred = small(name).fit(train, y_train).predict(test)
    assert r2_score(y_test, pred) > 0.3


@pytest.mark.parametrize("name", ["random_forest", "extra_trees", *(c.name for c in BOOSTERS)])
def test_tree_models_trained_on_one_thread_predict_alike_on_every_core(name):
    """A searched model trains with n_jobs=1; it predicts with every core outside a trial."""
    X_train, X_test, y_train, _ = california()
    train, test = inputs(name, X_train, X_test, ["ocean_proximity"])
    test = pd.concat([test] * 6)  # past the forests' PARALLEL_PREDICT_ROWS
    model = small(name, n_jobs=1).fit(train, y_train)
    assert predict_threads() == max(1, cpus_available())
    with thread_limit(1):  # what a search trial runs under
        assert predict_threads() == 1
        one = model.predict(test)
    assert predict_threads() == max(1, cpus_available())
    with capped_predict_threads(2):
        assert predict_threads() == 2
        every = model.predict(test)
    np.testing.assert_allclose(every, one, rtol=1e-12)


# -- early stopping and budgets ----------------------------------------------------------------
@pytest.mark.parametrize("cls", BOOSTERS)
def test_boosters_stop_early_on_the_validation_split(cls, tmp_path):
    X_train, X_test, y_train, y_test = telco()
    train, test = categorical(X_train, TELCO_CATS), categorical(X_test, TELCO_CATS, like=X_train)
    learner = cls(n_estimators=400, learning_rate=0.3, early_stopping_rounds=10)
    learner.fit(train, y_train, eval_set=(test, y_test))
    assert learner.stop_reason_ == "early_stopping"
    assert 1 <= learner.best_iteration_ < learner.n_trees_ < 400
    assert learner.n_trees_ == learner.best_iteration_ + 10
    learner.save(tmp_path)
    meta = json.loads((tmp_path / "learner.json").read_text())
    assert meta["model"]["best_iteration"] == learner.best_iteration_
    assert type(learner).load(tmp_path).best_iteration_ == learner.best_iteration_


@pytest.mark.parametrize("cls", BOOSTERS)
def test_boosters_use_every_tree_without_early_stopping(cls):
    X_train, X_test, y_train, y_test = telco()
    train, test = categorical(X_train, TELCO_CATS), categorical(X_test, TELCO_CATS, like=X_train)
    learner = cls(n_estimators=25, early_stopping_rounds=None)
    learner.fit(train, y_train, eval_set=(test, y_test))
    assert learner.best_iteration_ == learner.n_trees_ == 25
    assert learner.stop_reason_ == "completed"


@pytest.mark.parametrize("cls", BOOSTERS)
def test_boosters_stop_when_the_budget_runs_out(cls):
    X_train, _, y_train, _ = telco()
    learner = cls(n_estimators=200).fit(
        categorical(X_train, TELCO_CATS), y_train, budget=Deadline(-1.0)
    )
    assert learner.stop_reason_ == "budget" and learner.n_trees_ == 1
    with pytest.raises(SpecError):
        cls(n_estimators=5).fit(categorical(X_train, TELCO_CATS), y_train, budget=30)


# -- class weights -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", CLASSIFIERS)
def test_balanced_class_weight_raises_the_rare_class(name):
    X_train, X_test, y_train, _ = ai4i()
    train, test = inputs(name, X_train, X_test, ["Type"])
    extra = {"min_samples_leaf": 5} if name in ("random_forest", "extra_trees") else {}
    plain = small(name, **extra).fit(train, y_train).predict_proba(test)[:, 1]
    weighted = small(name, class_weight="balanced", **extra).fit(train, y_train)
    balanced = weighted.predict_proba(test)[:, 1]
    assert not np.array_equal(plain, balanced)
    assert balanced.mean() > plain.mean()
    assert (balanced >= 0.5).sum() > (plain >= 0.5).sum()


def test_class_weight_dict_survives_save_and_load(tmp_path):
    X_train, _, y_train, _ = ai4i()
    train, _ = dense(X_train, X_train)
    learner = LogisticLearner(class_weight={0: 1.0, 1: 4.0}).fit(train, y_train)
    learner.save(tmp_path)
    assert LogisticLearner.load(tmp_path).class_weight == {0: 1.0, 1: 4.0}  # exact: read back
    value = {"a": (1, 2), "b": [3, {4: None}]}
    assert from_json_value(json.loads(json.dumps(to_json_value(value)))) == value


def test_class_weight_is_refused_for_regression():
    X_train, _, y_train, _ = california()
    train = categorical(X_train, ["ocean_proximity"])
    with pytest.raises(SpecError, match="classification"):
        LightGBMLearner(n_estimators=5, class_weight="balanced").fit(train, y_train)


# -- the registry ------------------------------------------------------------------------------
def test_unknown_learner_name_lists_the_valid_ones():
    with pytest.raises(SpecError) as info:
        get_learner("lgbm")
    assert "lgbm" in str(info.value)
    assert "lightgbm" in info.value.hint


# -- input checks ------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", BOOSTERS)
def test_unseen_and_plain_string_categories_are_handled(cls):
    X_train, X_test, y_train, _ = telco()
    learner = cls(n_estimators=30).fit(categorical(X_train, TELCO_CATS), y_train)
    as_categories = categorical(X_test, TELCO_CATS, like=X_train)
    as_strings = X_test.copy()  # plain string columns, as a JSON request would give them
    np.testing.assert_allclose(learner.predict_proba(as_strings),
                               learner.predict_proba(as_categories), rtol=1e-9)
    unseen = as_strings.assign(Contract="Decade", PaymentMethod="Gold bars")
    proba = learner.predict_proba(unseen)
    assert proba.shape == (len(X_test), 2) and np.all(np.isfinite(proba))


def test_lightgbm_scores_category_codes_as_its_own_pandas_handling_does():
    """The learner hands LightGBM a code matrix; LightGBM's pandas path must agree on every row,
    missing and unseen categories included."""
    X_train, X_test, y_train, _ = telco()
    learner = LightGBMLearner(n_estimators=40).fit(categorical(X_train, TELCO_CATS), y_train)
    rows = X_test.assign(Contract=X_test["Contract"].where(X_test.index % 3 != 0, "Decade"),
                         PaymentMethod=X_test["PaymentMethod"].where(X_test.index % 4 != 0))
    frame = learner._input(rows)
    assert frame["Contract"].isna().any() and frame["PaymentMethod"].isna().any()
    own = learner.booster_.predict(frame.set_axis([f"f{i}" for i in range(frame.shape[1])],
                                                  axis=1), num_iteration=learner.best_iteration_)
    np.testing.assert_allclose(learner.predict_proba(rows)[:, 1], own, rtol=1e-9)


@pytest.mark.parametrize("name", ["logistic", "random_forest", "lightgbm"])
def test_columns_are_matched_by_name(name):
    X_train, X_test, y_train, _ = telco()
    train, test = inputs(name, X_train, X_test, TELCO_CATS)
    learner = small(name).fit(train, y_train)
    shuffled = test[test.columns[::-1]].assign(unused=1.0)
    np.testing.assert_allclose(learner.predict_proba(shuffled), learner.predict_proba(test),
                               rtol=1e-9)
    with pytest.raises(SchemaMismatch, match="missing"):
        learner.predict(test.drop(columns=test.columns[0]))


def test_linear_learners_refuse_non_finite_values():
    X_train, X_test, y_train, y_test = california()
    train, test = dense(X_train, X_test)
    broken = train.copy()
    broken.iloc[3, 0] = np.nan
    with pytest.raises(DataError) as info:
        LinearLearner().fit(broken, y_train)
    assert info.value.hint and "impute" in info.value.hint
    fitted = LinearLearner().fit(train, y_train)
    with pytest.raises(DataError):
        fitted.predict(test.assign(**{test.columns[1]: np.inf}))


def test_dense_learners_refuse_category_columns():
    X_train, _, y_train, _ = telco()
    with pytest.raises(DataError, match="one-hot"):
        RandomForestLearner(n_estimators=5).fit(categorical(X_train, TELCO_CATS), y_train)


def test_task_and_target_are_checked():
    X_train, _, y_train, _ = telco()
    train, _ = dense(X_train, X_train)
    with pytest.raises(SpecError, match="regression"):
        LinearLearner(task="binary").fit(train, y_train)
    with pytest.raises(SpecError) as info:  # float target -> regression, which logistic lacks
        LogisticLearner().fit(train, y_train.astype(float))
    assert "linear" in info.value.hint
    with pytest.raises(DataError, match="class codes"):
        LogisticLearner().fit(train, np.where(y_train == 1, "Yes", "No"))
    with pytest.raises(TrainingError, match="single class"):
        LogisticLearner().fit(train, np.zeros(len(train), dtype=int))
    with pytest.raises(DataError, match="1-d"):
        LogisticLearner().fit(train, y_train[:-1])


@pytest.mark.parametrize("name", ["logistic", "random_forest", "lightgbm", "xgboost", "catboost"])
def test_a_class_absent_from_training_gets_probability_zero(name):
    X_train, _, y_train, _ = telco()
    train, _ = inputs(name, X_train, X_train, TELCO_CATS)
    codes = np.where(y_train == 1, 2, 0)  # class 1 never appears
    learner = small(name).fit(train, codes)
    proba = learner.predict_proba(train)
    assert learner.task_ == "multiclass" and proba.shape == (len(train), 3)
    assert np.all(proba[:, 1] < 1e-3) and np.allclose(proba.sum(axis=1), 1.0)


# -- persistence -------------------------------------------------------------------------------
def test_saved_layout_rebuilds_identical_categoricals(tmp_path):
    X_train, _, y_train, _ = telco()
    train = categorical(X_train, TELCO_CATS)
    LightGBMLearner(n_estimators=5).fit(train, y_train).save(tmp_path)
    loaded = LightGBMLearner.load(tmp_path)
    layout = {c["name"]: c for c in loaded.layout_}
    for col in TELCO_CATS:
        assert layout[col]["categories"] == list(train[col].cat.categories)
    assert (tmp_path / "model.txt").read_text().startswith("tree")


def test_load_refuses_wrong_learner_missing_dir_and_untrusted_types(tmp_path):
    X_train, _, y_train, _ = telco()
    train, _ = dense(X_train, X_train)
    RandomForestLearner(n_estimators=5).fit(train, y_train).save(tmp_path / "rf")
    with pytest.raises(SpecError, match="random_forest"):
        LightGBMLearner.load(tmp_path / "rf")
    with pytest.raises(NotFound):
        RandomForestLearner.load(tmp_path / "nothing")
    (tmp_path / "rf" / "model.skops").write_bytes(skops.io.dumps(Deadline(5.0)))
    with pytest.raises(IntegrityError):
        RandomForestLearner.load(tmp_path / "rf")


# -- search-space conversions ------------------------------------------------------------------
def test_params_from_space_converts_search_representations():
    forest = RandomForestLearner.params_from_space({"depth": 0, "min_samples_leaf": 2})
    assert forest == {"max_depth": None, "min_samples_leaf": 2}
    assert RandomForestLearner.params_from_space({"depth": 7})["max_depth"] == 7
    assert LightGBMLearner.params_from_space({"subsample": 0.8})["subsample_freq"] == 1
    assert LightGBMLearner.params_from_space({"subsample": 1.0})["subsample_freq"] == 0
    assert XGBoostLearner.params_from_space({"log2_max_bin": 6}) == {"max_bin": 64}
    assert CatBoostLearner.params_from_space({"log2_max_bin": 5, "depth": 4}) == \
        {"max_bin": 32, "depth": 4}
    assert CatBoostLearner.search_space(300, 10, "binary")["depth"].high < \
        CatBoostLearner.search_space(100_000, 10, "binary")["depth"].high
    small_space = LightGBMLearner.search_space(200, 10, "binary")
    large_space = LightGBMLearner.search_space(200_000, 10, "binary")
    assert small_space["num_leaves"].high < large_space["num_leaves"].high
    assert "class_weight" not in LightGBMLearner.search_space(200, 10, "regression")


@pytest.mark.parametrize(
    ("cls", "params", "bad"),
    [
        (LogisticLearner, {"C": 0.0}, "C"),
        (LinearLearner, {"alpha": -1.0}, "alpha"),
        (RandomForestLearner, {"max_features": "auto"}, "max_features"),
        (LightGBMLearner, {"num_leaves": 1}, "num_leaves"),
        (XGBoostLearner, {"subsample": 0.0}, "subsample"),
        (XGBoostLearner, {"n_jobs": 0}, "n_jobs"),
        (LightGBMLearner, {"early_stopping_rounds": 2.5}, "early_stopping_rounds"),
        (CatBoostLearner, {"depth": 17}, "depth"),
        (CatBoostLearner, {"l2_leaf_reg": -1.0}, "l2_leaf_reg"),
    ],
)
def test_bad_hyperparameters_are_named_at_fit(cls, params, bad):
    X_train, _, y_train, _ = telco()
    train, _ = dense(X_train, X_train)
    with pytest.raises(SpecError, match=f"parameter '{bad}' expected") as info:
        cls(**params).fit(train, y_train.astype(float) if cls is LinearLearner else y_train)
    assert "default" in info.value.hint


def test_x_must_be_a_frame():
    with pytest.raises(DataError, match="DataFrame"):
        LogisticLearner().fit(np.ones((4, 2)), np.array([0, 1, 0, 1]))

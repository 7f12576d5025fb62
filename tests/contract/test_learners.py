"""The generic learner contract, run over every registered learner and every task it serves.

Data: the committed telco slice (binary), scikit-learn's bundled iris (multiclass) and the
california housing slice (regression). Learners with input_kind 'categorical' get pandas category
columns with fixed categories; 'dense' learners get them one-hot encoded and every column scaled.
"""

from __future__ import annotations

import functools
import inspect
import json
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.datasets import load_iris

from modelyard.errors import TrainingError
from modelyard.learners.base import TASKS, available
from modelyard.learners.space import Choice, Float, Int

DATA = Path(__file__).parent.parent / "data"
LEARNERS = available()
CASES = [(name, task) for name, cls in LEARNERS.items() for task in cls.tasks]
# tiny settings so that the suite stays fast; only the ones a learner has are applied
FAST = {"n_estimators": 20, "epochs": 3, "max_epochs": 3, "max_iter": 300}
SEED_NAMES = ("seed", "random_state")


def _categorical(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = frame.copy()
    for col in columns:
        out[col] = out[col].astype(pd.CategoricalDtype(sorted(out[col].dropna().unique())))
    return out


def _dense(frame: pd.DataFrame) -> pd.DataFrame:
    dense = pd.get_dummies(frame, dtype=float)
    return (dense - dense.mean()) / dense.std(ddof=0).replace(0.0, 1.0)


@functools.cache
def _raw(task: str) -> tuple[pd.DataFrame, list[str], np.ndarray]:
    """(features with numeric columns as float, the categorical column names, target)."""
    if task == "binary":
        df = pd.read_csv(DATA / "telco_churn.csv")
        y = (df["Churn"] == "Yes").to_numpy().astype(np.int64)
        df["TotalCharges"] = pd.to_numeric(df["TotalCharges"], errors="coerce")
        df["TotalCharges"] = df["TotalCharges"].fillna(df["TotalCharges"].median())
        numeric = ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]
        cats = ["Contract", "InternetService", "PaymentMethod", "PaperlessBilling"]
        return df[numeric].astype(float).join(df[cats]), cats, y
    if task == "multiclass":
        iris = load_iris(as_frame=True)
        X = iris.data.astype(float)
        X["sepal_size"] = pd.cut(
            X["sepal length (cm)"], [0, 5.4, 6.2, 10], labels=["small", "medium", "large"]
        ).astype(str)
        return X, ["sepal_size"], iris.target.to_numpy().astype(np.int64)
    df = pd.read_csv(DATA / "california_housing.csv")
    y = (df.pop("median_house_value") / 1e5).to_numpy(dtype=float)
    df["total_bedrooms"] = df["total_bedrooms"].fillna(df["total_bedrooms"].median())
    cats = ["ocean_proximity"]
    numeric = [c for c in df.columns if c not in cats]
    return df[numeric].astype(float).join(df[cats]), cats, y


@functools.cache
def dataset(task: str, input_kind: str) -> tuple[pd.DataFrame, np.ndarray]:
    frame, cats, y = _raw(task)
    X = _categorical(frame, cats) if input_kind == "categorical" else _dense(frame)
    return X, y


def make(name: str, **params):
    """A learner with the suite's tiny settings applied (only the parameters it has)."""
    learner = LEARNERS[name]()
    known = learner.get_params()
    return learner.set_params(**{k: v for k, v in {**FAST, **params}.items() if k in known})


@functools.cache
def fitted(name: str, task: str):
    X, y = dataset(task, LEARNERS[name].input_kind)
    learner = make(name, task=task)
    returned = learner.fit(X, y)
    return learner, returned


def _n_classes(task: str) -> int:
    return len(np.unique(_raw(task)[2]))


# -- construction ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_init_only_stores_params(name):
    cls = LEARNERS[name]
    signature = inspect.signature(cls.__init__)
    names = [p for p in signature.parameters if p != "self"]
    default = cls()
    expected = {p: signature.parameters[p].default for p in names}
    assert default.get_params() == expected
    sentinels = {p: object() for p in names}  # __init__ must not validate or derive anything
    learner = cls(**sentinels)
    assert all(learner.get_params()[p] is sentinels[p] for p in names)
    assert not [k for k in vars(default) if k.endswith("_") and not k.startswith("_")]
    assert "task" in names and any(s in names for s in SEED_NAMES)


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_clone_keeps_params(name):
    learner = make(name)
    seed_name = next(s for s in SEED_NAMES if s in learner.get_params())
    learner.set_params(**{seed_name: 7})
    copy = clone(learner)
    assert copy is not learner and copy.get_params() == learner.get_params()


@pytest.mark.parametrize("name", sorted(LEARNERS))
def test_unfitted_learner_refuses_with_hint(name, tmp_path):
    learner = make(name)
    X, _ = dataset(LEARNERS[name].tasks[0], learner.input_kind)
    calls = [lambda: learner.predict(X), lambda: learner.save(tmp_path / "m")]
    if hasattr(learner, "predict_proba"):
        calls.append(lambda: learner.predict_proba(X))
    for call in calls:
        with pytest.raises(TrainingError) as info:
            call()
        assert info.value.hint


# -- fitting and predicting --------------------------------------------------------------------
@pytest.mark.parametrize(("name", "task"), CASES)
def test_fit_returns_self_and_sets_fitted_attributes(name, task):
    learner, returned = fitted(name, task)
    X, _ = dataset(task, learner.input_kind)
    assert returned is learner
    assert learner.task_ == task
    assert learner.n_features_in_ == X.shape[1]
    assert list(learner.feature_names_in_) == list(X.columns)
    if task != "regression":
        assert np.array_equal(learner.classes_, np.arange(_n_classes(task)))


@pytest.mark.parametrize(("name", "task"), CASES)
def test_predictions_have_the_right_shape(name, task):
    learner, _ = fitted(name, task)
    X, _ = dataset(task, learner.input_kind)
    pred = learner.predict(X)
    assert pred.shape == (len(X),)
    if task == "regression":
        assert np.all(np.isfinite(pred))
        return
    proba = learner.predict_proba(X)
    assert proba.shape == (len(X), _n_classes(task))
    assert np.all((proba >= 0) & (proba <= 1))
    assert np.allclose(proba.sum(axis=1), 1.0, atol=1e-6)
    assert np.array_equal(pred, proba.argmax(axis=1))


@pytest.mark.parametrize(("name", "task"), CASES)
def test_same_seed_gives_same_predictions(name, task):
    X, y = dataset(task, LEARNERS[name].input_kind)
    first = make(name, task=task).fit(X, y)
    second = make(name, task=task).fit(X, y)
    # exact: same computation twice (reproducibility)
    assert np.array_equal(first.predict(X), second.predict(X))
    if task != "regression":
        # exact: same computation twice (reproducibility)
        assert np.array_equal(first.predict_proba(X), second.predict_proba(X))


# -- persistence -------------------------------------------------------------------------------
def _assert_no_pickle(directory: Path) -> None:
    for path in directory.rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        assert not data.startswith(b"\x80"), f"{path} looks like a pickle"
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    assert not member.endswith((".pkl", ".pickle")), f"{path}:{member}"
                    assert not archive.read(member).startswith(b"\x80"), f"{path}:{member}"


def _refuse(*args, **kwargs):
    raise AssertionError("a learner must load without unpickling anything")


@pytest.mark.parametrize(("name", "task"), CASES)
def test_save_load_round_trip_is_exact_and_pickle_free(name, task, tmp_path, monkeypatch):
    learner, _ = fitted(name, task)
    X, _ = dataset(task, learner.input_kind)
    learner.save(tmp_path / "model")
    _assert_no_pickle(tmp_path / "model")
    metas = [json.loads(p.read_text()) for p in (tmp_path / "model").rglob("*.json")]
    described = [m for m in metas if name in json.dumps(m)]
    assert described, "the saved directory needs a JSON file naming the learner"
    assert any(all(c in json.dumps(m) for c in X.columns) for m in described)

    monkeypatch.setattr(pickle, "load", _refuse)
    monkeypatch.setattr(pickle, "loads", _refuse)
    monkeypatch.setattr(pickle, "Unpickler", _refuse)
    loaded = LEARNERS[name].load(tmp_path / "model")

    assert type(loaded) is type(learner)
    assert loaded.get_params() == learner.get_params()
    # exact: same computation twice (reproducibility), with the saved model read back
    assert np.array_equal(loaded.predict(X), learner.predict(X))
    if task != "regression":
        # exact: same computation twice (reproducibility), with the saved model read back
        assert np.array_equal(loaded.predict_proba(X), learner.predict_proba(X))


# -- search spaces and the registry ------------------------------------------------------------
@pytest.mark.parametrize(("name", "task"), CASES)
def test_search_space_is_typed_and_sized_by_rows(name, task):
    cls = LEARNERS[name]
    sizes = (100, 10_000, 1_000_000)
    spaces = [cls.search_space(n_rows, 12, task) for n_rows in sizes]
    assert spaces[0] and all(set(s) == set(spaces[0]) for s in spaces)
    for space in spaces:
        for key, dist in space.items():
            assert isinstance(dist, Int | Float | Choice), f"{key}: {dist!r}"
            if isinstance(dist, Int):
                assert isinstance(dist.low, int) and isinstance(dist.high, int), key
    for small, large in zip(spaces, spaces[1:], strict=False):
        for key, dist in small.items():
            if isinstance(dist, Int | Float):
                assert large[key].high >= dist.high, f"{key} shrinks as rows grow"
    # a point of the space, converted, is a valid set of constructor parameters
    convert = getattr(cls, "params_from_space", dict)
    for space in spaces:
        point = {k: d.options[-1] if isinstance(d, Choice) else d.high for k, d in space.items()}
        params = convert(point)
        cls().set_params(**params)


def test_learners_are_listed_per_task():
    binary, regression = available("binary"), available("regression")
    assert {"logistic", "random_forest", "extra_trees", "lightgbm", "xgboost"} <= set(binary)
    assert {"linear", "random_forest", "extra_trees", "lightgbm", "xgboost"} <= set(regression)
    assert "logistic" in available("multiclass") and "linear" not in available("multiclass")
    assert "linear" not in binary and "logistic" not in regression
    for name, cls in LEARNERS.items():
        assert cls.name == name
        assert cls.tasks and set(cls.tasks) <= set(TASKS)
        assert cls.input_kind in ("dense", "categorical")
        assert all(name in available(task) for task in cls.tasks)

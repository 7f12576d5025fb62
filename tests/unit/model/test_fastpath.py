"""The single-row fast path (``model.fastpath``): ``predict_row`` answers a raw record without a
DataFrame, with the batch path's outputs to the last bit and the batch path's errors.

The property test draws real rows of the committed slices (read raw and sent through JSON, as
a request carries them), blanks some values, puts unseen, near-miss and padded categories, other
spellings of booleans and numbers, and values that do not convert into others, and compares
``predict_row`` with ``predict_checked`` on the record as a one-row frame, for every learner
family the search uses and for ensembles.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from modelyard.data.infer import check_schema, infer_schema
from modelyard.features.preprocessor import Preprocessor
from modelyard.learners.base import get_learner
from modelyard.model import EnsembleBundle, ModelBundle, encode_target, fit_model
from modelyard.model.fastpath import row_path
from modelyard.serving.inputs import find_unseen

DATA = Path(__file__).parents[2] / "data"
ADULT = ["age", "workclass", "fnlwgt", "education", "education_num", "marital_status",
         "occupation", "relationship", "race", "sex", "capital_gain", "capital_loss",
         "hours_per_week", "native_country", "income"]
SMALL = {  # a few trees or epochs: the path is under test, not the model's quality
    "lightgbm": {"n_estimators": 40}, "xgboost": {"n_estimators": 40},
    "catboost": {"n_estimators": 40}, "random_forest": {"n_estimators": 20},
    "extra_trees": {"n_estimators": 20}, "mlp": {"epochs": 3},
}
# dataset name -> (raw frame reader, target, task)
DATASETS = {
    "telco": (lambda: pd.read_csv(DATA / "telco_churn.csv"), "Churn", "binary"),
    "credit": (lambda: pd.read_csv(DATA / "credit_g.csv", header=None), "20", "binary"),
    "housing": (lambda: pd.read_csv(DATA / "california_housing.csv"), "median_house_value",
                "regression"),
    "adult": (lambda: pd.read_csv(DATA / "adult" / "adult-train.csv", header=None, names=ADULT,
                                  skipinitialspace=True), "relationship", "multiclass"),
}
CASES = [
    ("telco", "logistic"), ("telco", "lightgbm"), ("telco", "xgboost"), ("telco", "catboost"),
    ("telco", "random_forest"), ("telco", "mlp"), ("credit", "lightgbm"),
    ("credit", "extra_trees"), ("housing", "linear"), ("housing", "lightgbm"),
    ("housing", "xgboost"), ("housing", "catboost"), ("housing", "random_forest"),
    ("housing", "mlp"), ("housing", "xgboost_log"), ("adult", "logistic"), ("adult", "lightgbm"),
    ("adult", "xgboost"), ("adult", "catboost"), ("adult", "mlp"),
]
_models: dict[tuple[str, str], object] = {}
_data: dict[str, tuple] = {}


def dataset(name: str) -> tuple[pd.DataFrame, list[dict], object, np.ndarray, object]:
    """(converted frame, raw records as JSON gives them, schema, target codes, labels)."""
    if name not in _data:
        read, target, task = DATASETS[name]
        raw = read()
        raw.columns = [str(c) for c in raw.columns]
        frame, schema = infer_schema(raw, target=target)
        y, labels = encode_target(frame[target], task)
        records = json.loads(raw.drop(columns=[target]).to_json(orient="records"))
        _data[name] = (frame, records, schema, y, labels)
    return _data[name]


def model(name: str, learner: str):
    if (name, learner) not in _models:
        frame, _, schema, y, labels = dataset(name)
        task = DATASETS[name][2]
        family, log, _ = learner.partition("_log")  # 'xgboost_log': target_transform='log'
        params = {**SMALL.get(family, {}), **({"target_transform": "log"} if log else {})}
        _models[name, learner] = fit_model(
            frame, y, schema=schema, task=task, learner=family, params=params, labels=labels,
            threads=1).bundle
    return _models[name, learner]


def batch_answer(fitted, record: dict) -> dict:
    """What the batch path answers for one record: predict_checked on a one-row frame."""
    checked = check_schema(pd.DataFrame([dict(record)]), fitted.schema)
    return {name: values[0].item() if isinstance(values[0], np.generic) else values[0]
            for name, values in fitted.predict_checked(checked).items()}


def outcome(call) -> tuple[str, object]:
    try:
        return "answer", call()
    except Exception as err:  # noqa: BLE001 - the errors themselves are compared
        return type(err).__name__, str(err)


def assert_same(fitted, record: dict) -> None:
    fast = outcome(lambda: fitted.predict_row(record))
    slow = outcome(lambda: batch_answer(fitted, record))
    # exact: the fast path promises the batch path's bits and its errors
    assert fast == slow, f"record {record}"


@st.composite
def mutated(draw, records: list[dict], schema) -> dict:
    """A real record, with some of its values changed the way requests change them."""
    record = dict(draw(st.sampled_from(records)))
    kinds = {c.name: c.kind for c in schema.columns}
    names = sorted(kinds)
    for name in draw(st.lists(st.sampled_from(names), max_size=4, unique=True)):
        value, kind = record.get(name), kinds[name]
        choices = [None, float("nan")]
        if kind == "categorical":
            text = value if isinstance(value, str) else str(value)
            choices += [draw(st.text(max_size=8)), f"  {text} ", text.lower(), text.upper(),
                        draw(st.integers(-5, 5)), 2.0, True]
        elif kind == "numeric":
            number = value if isinstance(value, int | float) else 1.5
            choices += [draw(st.floats(allow_nan=True, allow_infinity=True)), -0.0,
                        draw(st.integers(-(2**64), 2**64)), float(np.round(number)), True,
                        str(number), f" {number} ", "", "n/a", "abc", [1]]
        elif kind == "boolean":
            choices += [True, False, 0, 1, 1.0, 2, " Yes ", "no", "TRUE", "f", "maybe", ""]
        else:
            choices += ["x"]
        record[name] = draw(st.sampled_from(choices))
    if draw(st.integers(0, 19)) == 0:
        record.pop(draw(st.sampled_from(names)), None)  # a missing column
    if draw(st.integers(0, 9)) == 0:
        record["not_a_column"] = "ignored"
    return record


@pytest.mark.parametrize(("name", "learner"), CASES)
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_a_row_answers_as_the_batch_path_to_the_last_bit(name, learner, data):
    fitted = model(name, learner)
    _, records, schema, _, _ = dataset(name)
    assert row_path(fitted) is not None, f"{learner} on {name} should take the fast path"
    assert_same(fitted, data.draw(mutated(records, schema)))


@pytest.mark.parametrize(("name", "learner"), CASES)
def test_plain_records_take_the_fast_path(name, learner):
    """Records as JSON carries them are answered without the batch path (None would mean it)."""
    fitted = model(name, learner)
    _, records, _, _, _ = dataset(name)
    path = row_path(fitted)
    for record in records[:20]:
        out = path.output(record)
        assert out is not None
        assert fitted.predict_row(record) == batch_answer(fitted, record)  # exact: bit for bit


def ensembles() -> dict[str, EnsembleBundle]:
    telco = [model("telco", n) for n in ("lightgbm", "logistic", "mlp", "catboost")]
    housing = [model("housing", n) for n in ("lightgbm", "linear", "xgboost")]
    adult = [model("adult", n) for n in ("lightgbm", "logistic")]
    return {
        "telco": EnsembleBundle(telco[0].schema, "binary", telco, [0.4, 0.3, 0.2, 0.1],
                                labels=telco[0].labels, threshold=0.35),
        "housing": EnsembleBundle(housing[0].schema, "regression", housing, [0.5, 0.3, 0.2]),
        "adult": EnsembleBundle(adult[0].schema, "multiclass", adult, [0.7, 0.3],
                                labels=adult[0].labels),
    }


@pytest.mark.parametrize("name", ["telco", "housing", "adult"])
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_an_ensemble_averages_its_members_as_the_batch_path(name, data):
    fitted = ensembles()[name]
    _, records, schema, _, _ = dataset(name)
    assert row_path(fitted) is not None
    record = data.draw(mutated(records, schema))
    assert_same(fitted, record)


@pytest.mark.parametrize("name", ["telco", "adult"])
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_unseen_categories_are_named_as_the_server_finds_them(name, data):
    """``RowPath.unseen`` equals ``find_unseen`` (the server's policy check) on the one-row frame,
    for one model and for an ensemble (unseen means no member saw it)."""
    _, records, schema, _, _ = dataset(name)
    record = data.draw(mutated(records, schema))
    members = [model(name, "lightgbm"), model(name, "logistic")]
    ensemble = EnsembleBundle(members[0].schema, members[0].task, members, [0.5, 0.5],
                              labels=members[0].labels)
    for fitted, preprocessors in ((members[1], [members[1].preprocessor]),
                                  (ensemble, [m.preprocessor for m in members])):
        named = row_path(fitted).unseen(record)
        if named is None:  # the batch path's record: nothing to compare
            continue
        checked = check_schema(pd.DataFrame([record]), fitted.schema)
        expected = {u.column: u.values[0] for u in find_unseen(preprocessors, checked)}
        assert named == expected  # exact: the same columns and values


def test_target_and_frequency_encodings_and_a_threshold(tmp_path):
    """High-cardinality columns (frequency, target means; the prior for unseen values), a decision
    threshold, and a model saved and loaded: the same bits as the batch path."""
    frame, records, schema, y, labels = dataset("adult")
    for strategy in ("frequency", "target"):
        pre = Preprocessor(schema, input_kind="dense", scale=True, max_onehot=5,
                           high_cardinality=strategy)
        X = pre.fit_transform(frame, y, "multiclass")
        learner = get_learner("logistic")(task="multiclass").fit(X, y)
        built = ModelBundle(schema, "multiclass", "logistic", pre, learner, labels)
        strategies = {e.strategy_ for e in pre.encoders_.values() if hasattr(e, "strategy_")}
        assert strategy in strategies
        loaded = ModelBundle.load(built.save(tmp_path / strategy))
        for fitted in (built, loaded):
            assert row_path(fitted) is not None
            for record in records[:15] + [{**records[0], "native_country": "Atlantis"}]:
                assert_same(fitted, record)
    telco = model("telco", "lightgbm")
    _, telco_records, _, _, _ = dataset("telco")
    thresholded = ModelBundle(telco.schema, "binary", "lightgbm", telco.preprocessor,
                              telco.learner, telco.labels, threshold=0.2)
    for record in telco_records[:20]:
        assert_same(thresholded, record)


def test_a_text_model_answers_through_the_batch_path():
    """TF-IDF is not compiled: a model with a text column has no row path and still answers."""
    raw = pd.read_csv(DATA / "sst2_dev.tsv", sep="\t").head(200)
    frame, schema = infer_schema(raw, target="label", types={"label": "categorical"})
    assert [c.kind for c in schema.columns] == ["text"]
    y, labels = encode_target(frame["label"], "binary")
    fitted = fit_model(frame, y, schema=schema, task="binary", learner="logistic",
                       labels=labels).bundle
    assert row_path(fitted) is None
    for record in json.loads(raw.drop(columns=["label"]).head(10).to_json(orient="records")):
        assert_same(fitted, record)
    assert_same(fitted, {"nothing": 1})  # the batch path's missing-column error


def test_errors_are_the_batch_paths():
    fitted = model("telco", "logistic")
    _, records, _, _, _ = dataset("telco")
    record = dict(records[0])
    for bad in ({k: v for k, v in record.items() if k != "tenure"},  # a missing column
                {**record, "tenure": "twelve"}, {**record, "Partner": "maybe"},
                {**record, "SeniorCitizen": 3}):
        fast = outcome(lambda bad=bad: fitted.predict_row(bad))
        assert fast[0] == "SchemaMismatch"
        assert fast == outcome(lambda bad=bad: batch_answer(fitted, bad))  # exact: same text


def test_a_replaced_part_is_compiled_again():
    """The compiled path belongs to the parts it was made from (it is cached on the model)."""
    first, second = model("telco", "logistic"), model("telco", "lightgbm")
    _, records, _, _, _ = dataset("telco")
    mixed = ModelBundle(first.schema, "binary", "logistic", first.preprocessor, first.learner,
                        first.labels)
    before = mixed.predict_row(records[3])
    mixed.preprocessor, mixed.learner = second.preprocessor, second.learner
    assert mixed.predict_row(records[3]) == second.predict_row(records[3]) != before  # exact


def _bits(value) -> object:
    """A checked value as comparable bits: floats by their IEEE bytes (NaN equals NaN)."""
    if isinstance(value, float | np.floating):  # any NaN is a missing value: one NaN
        return "nan" if np.isnan(value) else np.float64(value).tobytes()
    return value


@settings(max_examples=300, deadline=None)
@example(number="-0", token=" No ", category=" a ")
@example(number=" 29.85 ", token="TRUE", category=-0.0)
@example(number=-0.0, token=0, category=3.0)
@example(number="0.1000000000000001", token=1.0, category=float("nan"))
@given(number=st.from_regex(r"[ ]?[+-]?[0-9]{0,9}\.?[0-9]{0,7}[ ]?", fullmatch=True)
       | st.floats() | st.integers(-(2**63), 2**63 - 1),
       token=st.sampled_from(["yes", " No ", "TRUE", "f", "1", "0.0", "", " ", None, True, 0, 1.0]),
       category=st.text(max_size=6) | st.integers(-(10**20), 10**20) | st.floats() | st.none())
def test_the_compiled_check_stores_what_check_schema_stores(number, token, category):
    """Per value, what ``RowCheck`` keeps equals (bit for bit) what ``check_schema`` stores on a
    one-row frame: numbers held as text and as numbers, true/false tokens, categories (as the
    encoder's canonical string); a value it does not take is left to the batch path."""
    from modelyard.data.schema import Column, Schema
    from modelyard.features.categorical import canonical
    from modelyard.model.fastpath import RowCheck, _Batch

    schema = Schema(columns=(Column(name="n", kind="numeric", dtype="float64"),
                             Column(name="b", kind="boolean", dtype="boolean"),
                             Column(name="c", kind="categorical", dtype="str")))
    record = {"n": number, "b": token, "c": category}
    try:
        fast = RowCheck(schema).check(record)
    except _Batch:
        return  # the batch path answers this record
    checked = check_schema(pd.DataFrame([record]), schema)  # raises if the fast path was wrong
    stored_b = checked["b"].iloc[0]
    assert _bits(fast["n"]) == _bits(checked["n"].iloc[0]), record  # exact: IEEE bytes
    assert _bits(fast["b"]) == _bits(np.nan if stored_b is pd.NA else float(stored_b))  # exact
    assert fast["c"] == canonical(checked["c"])[0], record


def test_members_fitted_on_the_same_rows_share_one_encoding():
    """A refit ensemble's seeds: the same preprocessing fitted on the same rows compiles to one
    encoding, which the record is encoded with once; the answers stay the batch path's."""
    frame, records, schema, y, labels = dataset("telco")
    seeds = [fit_model(frame, y, schema=schema, task="binary", learner="lightgbm",
                       params={**SMALL["lightgbm"], "subsample": 0.7, "subsample_freq": 1},
                       labels=labels, seed=seed, threads=1).bundle for seed in (0, 1, 2)]
    other = model("telco", "logistic")  # dense one-hot input: its own encoding
    members = [*seeds, other]
    fitted = EnsembleBundle(schema, "binary", members, [0.3, 0.3, 0.3, 0.1], labels=labels)
    path = row_path(fitted)
    encodings = [encoding for encoding, _ in path.members]
    assert encodings[0] is encodings[1] is encodings[2]
    assert encodings[3] is not encodings[0]
    assert encodings[3].fingerprint() != encodings[0].fingerprint()
    assert len({id(e) for e in encodings}) == 2
    for record in records[:25]:
        assert_same(fitted, record)

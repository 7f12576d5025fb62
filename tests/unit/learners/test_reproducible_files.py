"""A learner's saved files depend only on the data, the hyperparameters and the seed, and files
saved by older versions (skops' own zip, CatBoost's stamped CBM, an MLP's timed history) still load.

Comparisons of predictions are exact on purpose: the promise is the same bits, not close values.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io
import torch

from modelyard.learners import skops_file
from modelyard.learners.forest import TRUSTED_TYPES, ExtraTreesLearner, RandomForestLearner
from modelyard.learners.gbdt_catboost import RUN_METADATA, CatBoostLearner
from modelyard.learners.neural import MLPLearner
from modelyard.learners.threads import capped_predict_threads
from modelyard.training.history import TIMING_KEYS


@pytest.fixture(scope="module")
def telco(data_dir):
    """The telco slice: four numbers and four categories (``category`` dtype), churn codes."""
    frame = pd.read_csv(data_dir / "telco_churn.csv")
    y = (frame.pop("Churn") == "Yes").to_numpy().astype(np.int64)
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce").fillna(0.0)
    numbers = ["SeniorCitizen", "tenure", "MonthlyCharges", "TotalCharges"]
    x = frame[numbers].astype(float)
    x = (x - x.mean()) / x.std()
    for name in ("Contract", "InternetService", "PaymentMethod", "PaperlessBilling"):
        x[name] = frame[name].astype(pd.CategoricalDtype(sorted(frame[name].unique())))
    return x, y


def _dense(x: pd.DataFrame) -> pd.DataFrame:
    return pd.get_dummies(x, dtype=float)


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


# -- forests (skops) -----------------------------------------------------------------------------
def test_a_forest_saves_the_same_bytes_whatever_its_object_ids_and_clock(telco, tmp_path):
    x, y = _dense(telco[0]), telco[1]
    model = RandomForestLearner(n_estimators=12, seed=3).fit(x, y)
    model.predict_proba(x)  # predicting first changes nothing that is saved
    model.save(tmp_path / "first")
    loaded = RandomForestLearner.load(tmp_path / "first")  # every object (and its id) is new
    loaded.save(tmp_path / "again")
    assert _files(tmp_path / "first") == _files(tmp_path / "again")

    with zipfile.ZipFile(tmp_path / "first" / "model.skops") as archive:
        infos = archive.infolist()
    assert {i.date_time for i in infos} == {skops_file.ZIP_EPOCH}
    data = sorted(i.filename for i in infos if i.filename != "schema.json")
    assert data == sorted(f"{n}.npy" for n in range(1, len(data) + 1))
    # exact: the same trees read back
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_a_forest_saved_by_an_older_version_still_loads(telco, tmp_path):
    x, y = _dense(telco[0]), telco[1]
    model = ExtraTreesLearner(n_estimators=12, seed=3).fit(x, y)
    model.save(tmp_path / "m")
    # what modelyard wrote before: skops' own zip, entries named by object id and time-stamped
    (tmp_path / "m" / "model.skops").write_bytes(skops.io.dumps(model.model_))
    loaded = ExtraTreesLearner.load(tmp_path / "m")
    # exact: the same trees read back
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_forest_predictions_are_the_same_on_one_thread_and_on_several(telco):
    x, y = _dense(telco[0]), telco[1]
    rows = pd.concat([x] * 4, ignore_index=True)  # 1,268 rows: scored in parallel
    model = RandomForestLearner(n_estimators=60, seed=3).fit(x, y)
    with capped_predict_threads(1):
        one = model.predict_proba(rows)
    for _ in range(3):  # a sum in thread-finishing order would differ now and then
        with capped_predict_threads(4):
            # exact: every row is the same sum over the same trees in the same order
            assert np.array_equal(model.predict_proba(rows), one)
    assert model.model_.n_jobs == 1  # scikit-learn's tree-parallel sum is never used


# -- CatBoost ------------------------------------------------------------------------------------
def test_catboost_files_leave_out_the_finish_time_and_the_random_guid(telco, tmp_path):
    x, y = telco
    first = CatBoostLearner(n_estimators=20, seed=3).fit(x, y)
    second = CatBoostLearner(n_estimators=20, seed=3).fit(x, y)
    assert first.model_.get_metadata()["model_guid"] != second.model_.get_metadata()["model_guid"]
    first.save(tmp_path / "first")
    second.save(tmp_path / "second")
    assert _files(tmp_path / "first") == _files(tmp_path / "second")
    loaded = CatBoostLearner.load(tmp_path / "first")
    assert not set(RUN_METADATA) & set(loaded.model_.get_metadata().keys())
    # exact: the same trees read back
    assert np.array_equal(loaded.predict_proba(x), second.predict_proba(x))


def test_a_catboost_file_saved_by_an_older_version_still_loads(telco, tmp_path):
    x, y = telco
    model = CatBoostLearner(n_estimators=20, seed=3).fit(x, y)
    stamped = tmp_path / "stamped.cbm"
    model.model_.save_model(str(stamped), format="cbm")  # what modelyard wrote before
    model.save(tmp_path / "m")
    (tmp_path / "m" / "model.cbm").write_bytes(stamped.read_bytes())
    loaded = CatBoostLearner.load(tmp_path / "m")
    assert "train_finish_time" in loaded.model_.get_metadata().keys()
    # exact: the same trees read back
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))


# -- MLP -----------------------------------------------------------------------------------------
def test_mlp_files_hold_no_timings_and_no_checkpoint_path(telco, tmp_path):
    x, y = telco
    saved = []
    for run in ("one", "two"):
        model = MLPLearner(hidden_sizes=(8,), epochs=3, batch_size=64, device="cpu",
                           checkpoint_dir=str(tmp_path / run / "checkpoint")).fit(x, y)
        assert all(set(TIMING_KEYS) <= set(r) for r in model.history_)  # the run keeps them
        model.save(tmp_path / run / "model")
        saved.append(_files(tmp_path / run / "model"))
    assert saved[0] == saved[1]
    meta = json.loads(saved[0]["learner.json"])
    assert meta["params"]["checkpoint_dir"] is None and meta["params"]["n_jobs"] == 1
    assert not any(set(TIMING_KEYS) & set(r) for r in meta["model"]["history"])


def test_mlp_weights_and_history_do_not_depend_on_the_process_thread_count(tmp_path):
    # one batch of 50,000 rows: PyTorch splits the loss's sum among its threads
    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(50_000, 4)), columns=list("abcd"))
    y = 2.0 * x["a"].to_numpy() + rng.normal(size=len(x))
    before = torch.get_num_threads()
    saved = []
    try:
        for threads in (1, 4):
            torch.set_num_threads(threads)
            model = MLPLearner(hidden_sizes=(8,), epochs=3, batch_size=50_000, device="cpu",
                               patience=None).fit(x, y)
            assert torch.get_num_threads() == threads  # the fit's own count is undone after it
            model.save(tmp_path / str(threads))
            saved.append(_files(tmp_path / str(threads)))
    finally:
        torch.set_num_threads(before)
    assert saved[0] == saved[1]


def test_an_mlp_saved_by_an_older_version_still_loads(telco, tmp_path):
    x, y = telco
    model = MLPLearner(hidden_sizes=(8,), epochs=2, batch_size=64, device="cpu").fit(x, y)
    model.save(tmp_path / "m")
    path = tmp_path / "m" / "learner.json"
    meta = json.loads(path.read_text())
    # what modelyard wrote before: no n_jobs, the checkpoint path, the epochs' timings
    del meta["params"]["n_jobs"]
    meta["params"]["checkpoint_dir"] = "/somewhere/runs/0123/checkpoint"
    for record in meta["model"]["history"]:
        record.update(epoch_seconds=0.25, samples_per_sec=1200.0)
    path.write_text(json.dumps(meta, indent=2))
    loaded = MLPLearner.load(tmp_path / "m")
    assert loaded.n_jobs == 1 and loaded.history_[0]["epoch_seconds"] == pytest.approx(0.25)
    # exact: the same weights read back
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))


def test_skops_bytes_of_the_same_forest_are_the_same(telco):
    """The normalised bytes do not depend on anything the estimator does not hold."""
    x, y = _dense(telco[0]), telco[1]
    forest = RandomForestLearner(n_estimators=5, seed=1).fit(x, y).model_
    copy = skops_file.loads(skops_file.dumps(forest), TRUSTED_TYPES)
    assert skops_file.dumps(copy) == skops_file.dumps(forest)
    raw = zipfile.ZipFile(io.BytesIO(skops.io.dumps(copy))).namelist()
    assert raw != zipfile.ZipFile(io.BytesIO(skops.io.dumps(forest))).namelist()  # ids differ

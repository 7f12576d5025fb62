"""The 'mlp' learner on the committed data slices: learning, contract, persistence, guards."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pandas as pd
import pytest
import torch
from sklearn.base import clone

from modelyard.errors import SchemaMismatch, SpecError, TrainingError
from modelyard.learners.base import get_learner
from modelyard.learners.neural import MLPLearner
from modelyard.learners.space import Choice, Float, Int
from modelyard.training.history import TIMING_KEYS


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _idx(path) -> np.ndarray:
    data = gzip.open(path).read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(dims)


@pytest.fixture(scope="module")
def fashion(data_dir):
    """Fashion-MNIST slice: 600 train / 200 test images, pixels scaled to [0, 1], 10 classes."""
    folder = data_dir / "fashion_mnist"
    cols = [f"px{i}" for i in range(784)]
    frames = []
    for part in ("train", "t10k"):
        x = _idx(folder / f"{part}-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
        y = _idx(folder / f"{part}-labels-idx1-ubyte.gz").astype(np.int64)
        frames += [pd.DataFrame(x, columns=cols), y]
    return frames


@pytest.fixture(scope="module")
def kc1(data_dir):
    """kc1: 21 numeric code metrics, standardised; boolean-like Class, imbalanced (~15% true)."""
    frame = pd.read_csv(data_dir / "kc1.csv")
    y = frame.pop("Class").astype(bool).to_numpy().astype(np.int64)
    x = np.log1p(frame.clip(lower=0))
    return (x - x.mean()) / x.std(), y


@pytest.fixture(scope="module")
def housing(data_dir):
    """California housing slice: standardised numbers (with NaN) plus a category column."""
    frame = pd.read_csv(data_dir / "california_housing.csv")
    y = frame.pop("median_house_value").to_numpy(dtype=np.float64)
    ocean = frame.pop("ocean_proximity").astype("category")
    x = (frame - frame.mean()) / frame.std()
    x["ocean_proximity"] = ocean
    return x, y


def test_registered_with_its_contract_attributes():
    assert get_learner("mlp") is MLPLearner
    assert MLPLearner.tasks == ("binary", "multiclass", "regression")
    assert MLPLearner.input_kind == "categorical" and MLPLearner.needs_scaling


def test_the_seed_example_network_learns_fashion_mnist(fashion):
    x, y, xt, yt = fashion
    model = MLPLearner(
        hidden_sizes=(128,), dropout=0.2, epochs=5, optimizer="adam", batch_size=32, device="cpu"
    )
    assert model.fit(x, y) is model
    layers = [type(m).__name__ for m in model.module_.body] + [type(model.module_.head).__name__]
    assert layers == ["Linear", "ReLU", "Dropout", "Linear"]
    assert model.module_.head.out_features == 10
    assert model.module_.body[2].p == 0.2  # exact: the configured dropout, passed through
    assert model.loss_ == "cross_entropy" and len(model.history_) == 5
    accuracy = float(np.mean(model.predict(xt) == yt))
    assert accuracy > 0.6, f"test accuracy {accuracy:.2f} is not clearly better than chance (0.10)"
    proba = model.predict_proba(xt)
    assert proba.shape == (200, 10) and np.allclose(proba.sum(axis=1), 1.0)
    assert list(model.classes_) == list(range(10)) and model.n_features_in_ == 784


def test_contract_clone_unfitted_error_same_seed_and_save_load(kc1, tmp_path):
    x, y = kc1
    model = MLPLearner(
        hidden_sizes=(32, 16), epochs=4, batch_size=32, class_weight="balanced", seed=3
    )
    with pytest.raises(TrainingError, match="not fitted"):
        model.predict(x)
    twin = clone(model)
    assert twin.get_params() == model.get_params() and twin.hidden_sizes == (32, 16)
    model.fit(x, y)
    twin.fit(x, y)
    # exact: same computation twice (reproducibility)
    assert np.array_equal(model.predict_proba(x), twin.predict_proba(x))
    other = clone(model).set_params(seed=4).fit(x, y)
    assert not np.array_equal(model.predict_proba(x), other.predict_proba(x))
    model.save(tmp_path / "m")
    assert sorted(p.name for p in (tmp_path / "m").iterdir()) == [
        "learner.json",
        "model.safetensors",
    ]
    meta = json.loads((tmp_path / "m" / "learner.json").read_text())
    assert meta["model"]["architecture"]["hidden_sizes"] == [32, 16] and meta["task"] == "binary"
    loaded = MLPLearner.load(tmp_path / "m")
    # exact: same computation twice (reproducibility), with the saved model read back
    assert np.array_equal(loaded.predict_proba(x), model.predict_proba(x))
    # exact: stored values read back; the timings stay with the run, out of the saved model
    untimed = [{k: v for k, v in r.items() if k not in TIMING_KEYS} for r in model.history_]
    assert loaded.get_params() == model.get_params() and loaded.history_ == untimed
    assert all("epoch_seconds" in r for r in model.history_)


def test_class_weight_balanced_favours_the_minority_class(kc1):
    x, y = kc1
    plain = MLPLearner(hidden_sizes=(16,), epochs=6, batch_size=32, patience=None).fit(x, y)
    balanced = clone(plain).set_params(class_weight="balanced").fit(x, y)
    assert balanced.predict(x).sum() > plain.predict(x).sum()
    assert balanced.predict_proba(x)[:, 1].mean() > plain.predict_proba(x)[:, 1].mean()


def test_regression_with_embeddings_beats_the_mean_and_handles_unseen_categories(housing, tmp_path):
    x, y = housing
    model = MLPLearner(hidden_sizes=(64,), epochs=30, batch_size=32, lr=3e-3, dropout=0.0)
    model.fit(x[:400], y[:400], eval_set=(x[400:], y[400:]))
    assert model.task_ == "regression" and not hasattr(model, "classes_")
    assert model.module_.embeddings[0].num_embeddings == 5  # 4 categories + the missing slot
    assert model.module_.embeddings[0].embedding_dim == 2  # min(16, (4 + 1) // 2)
    rmse = float(np.sqrt(np.mean((model.predict(x[400:]) - y[400:]) ** 2)))
    baseline = float(np.std(y[400:]))
    assert rmse < 0.85 * baseline, f"rmse {rmse:.0f} vs predicting the mean {baseline:.0f}"
    odd = x[400:405].copy()
    odd["ocean_proximity"] = pd.Series(
        ["ISLAND", None, "INLAND", "ISLAND", "NEAR BAY"], index=odd.index, dtype="category"
    )
    assert np.isfinite(model.predict(odd)).all()
    model.save(tmp_path / "r")
    # exact: same computation twice (reproducibility), with the saved model read back
    assert np.array_equal(MLPLearner.load(tmp_path / "r").predict(odd), model.predict(odd))
    with pytest.raises(SchemaMismatch, match="missing"):
        model.predict(x.drop(columns=["median_income"]))


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "adamw"])
@pytest.mark.parametrize("schedule", ["none", "cosine", "onecycle", "plateau"])
def test_every_optimizer_and_schedule_trains(kc1, optimizer, schedule):
    x, y = kc1
    model = MLPLearner(
        hidden_sizes=(8,),
        epochs=2,
        batch_size=64,
        optimizer=optimizer,
        schedule=schedule,
        lr=1e-2,
        grad_clip_norm=1.0,
    ).fit(x, y)
    assert len(model.history_) == 2 and np.isfinite(model.history_[-1]["train_loss"])


def test_early_stopping_on_a_plateau_restores_the_best_epoch(kc1):
    x, y = kc1
    flipped = (x, 1 - y)  # a validation set that only gets worse as training fits y
    model = MLPLearner(hidden_sizes=(16,), epochs=40, patience=3, batch_size=32, lr=1e-2)
    model.fit(x, y, eval_set=flipped)
    assert model.stop_reason_ == "early_stopping: no improvement in val_loss for 3 epochs"
    assert len(model.history_) < 40
    best = model.best_epoch_
    short = clone(model).set_params(epochs=best, patience=None).fit(x, y, eval_set=flipped)
    # exact: same computation twice (reproducibility): the same seed and batches for the first
    # `best` epochs, whose weights the long run restores
    assert np.array_equal(model.predict_proba(x), short.predict_proba(x))


def test_divergence_names_the_epoch(kc1):
    x, y = kc1
    with pytest.raises(TrainingError, match=r"at epoch \d+, batch \d+; try a lower learning rate"):
        MLPLearner(
            hidden_sizes=(16,), epochs=3, optimizer="sgd", lr=1e6, patience=None, task="regression"
        ).fit(x, y.astype(float) * 1e3)
    bad = x.copy()
    bad.iloc[5, 0] = np.inf
    with pytest.raises(TrainingError, match=r"loss became (nan|inf) at epoch 1"):
        MLPLearner(hidden_sizes=(16,), epochs=2).fit(bad, y)


def test_checkpoint_dir_resumes_and_budget_stops(kc1, tmp_path):
    x, y = kc1
    model = MLPLearner(
        hidden_sizes=(16,), epochs=3, batch_size=32, checkpoint_dir=str(tmp_path / "ck")
    )
    model.fit(x, y)
    assert (tmp_path / "ck" / "checkpoint.json").is_file()
    again = clone(model).fit(x, y)  # finds the finished checkpoint: same model, no training
    # exact: same computation twice (reproducibility), with the saved model read back
    assert np.array_equal(again.predict_proba(x), model.predict_proba(x))
    assert again.history_ == model.history_  # exact: stored values read back

    class Spent:
        def remaining(self) -> float:
            return 0.0

    short = MLPLearner(hidden_sizes=(16,), epochs=10).fit(x, y, budget=Spent())
    assert len(short.history_) == 1 and short.stop_reason_.startswith("budget")


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"hidden_sizes": (0,)}, r"'hidden_sizes' expected a list of 1 to 16 layer widths"),
        ({"optimizer": "adamm"}, r"'optimizer' expected one of 'sgd', 'adam', 'adamw'; got 'adam"),
        ({"loss": "mse"}, r"loss: 'mse' does not fit task 'binary'"),
        ({"activation": "sigmoidish"}, r"'activation' expected one of 'relu'"),
        ({"dropout": 1.0}, r"'dropout' expected a number in \[0, 1\)"),
        ({"device": "gpu"}, r"'device' expected one of 'auto', 'cpu', 'cuda', 'cuda:N', 'mps'"),
        ({"lr": 0}, r"'lr' expected a number in \(0, inf\]"),
    ],
)
def test_bad_hyperparameters_are_spec_errors(kc1, params, match):
    x, y = kc1
    with pytest.raises(SpecError, match=match):
        MLPLearner(epochs=1, **params).fit(x, y)


def test_search_space_is_sized_by_the_data_and_converts_to_params(kc1):
    small = MLPLearner.search_space(300, 20, "binary")
    big = MLPLearner.search_space(100_000, 20, "regression")
    assert isinstance(small["width"], Int) and small["width"].high < big["width"].high
    assert isinstance(small["lr"], Float) and small["lr"].log
    assert max(small["batch_size"].options) <= 32 < max(big["batch_size"].options)
    assert isinstance(small["class_weight"], Choice) and "class_weight" not in big
    params = MLPLearner.params_from_space({"width": 24, "n_layers": 2, "lr": 1e-3, "epochs": 2})
    assert params == {"hidden_sizes": (24, 24), "lr": 1e-3, "epochs": 2}  # exact: passed through
    x, y = kc1
    assert MLPLearner(**params).fit(x, y).module_.body[3].out_features == 24

"""The Trainer: history, stop reasons, optimizers, schedules, losses, callbacks and guards."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from modelyard.errors import DataError, SpecError, TrainingError
from modelyard.training import (
    HOOKS,
    BudgetStop,
    Callback,
    EarlyStopping,
    LoopConfig,
    Metric,
    OptimizerConfig,
    ScheduleConfig,
    Trainer,
    resolve_device,
)
from modelyard.training.losses import build_loss
from modelyard.training.trainer import epoch_seed


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def blobs(n: int = 240, seed: int = 0, flip: bool = False):
    """Two Gaussian blobs in 6-d: (x (n, 6), y (n,)); ``flip`` swaps the labels."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=gen)
    x = torch.randn(n, 6, generator=gen) + 1.5 * y[:, None].float()
    return x, (1 - y) if flip else y


def net(seed: int = 0, out: int = 2) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.1), nn.Linear(16, out))


def cfg(**kw) -> LoopConfig:
    opt = kw.pop("optimizer", OptimizerConfig(name="adam", lr=1e-2))
    return LoopConfig(**{"epochs": 3, "batch_size": 32, "device": "cpu", "optimizer": opt, **kw})


class Recorder(Callback):
    """Records every hook call, and the weights at the end of each epoch."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self.weights: dict[int, dict[str, torch.Tensor]] = {}

    def _record(self, hook: str, state) -> None:
        self.calls.append((hook, state.epoch))

    def on_fit_start(self, state):
        self._record("on_fit_start", state)

    def on_epoch_start(self, state):
        self._record("on_epoch_start", state)

    def on_batch_end(self, state):
        self._record("on_batch_end", state)

    def on_epoch_end(self, state):
        self._record("on_epoch_end", state)
        self.weights[state.epoch] = {k: v.clone() for k, v in state.module.state_dict().items()}

    def on_fit_end(self, state):
        self._record("on_fit_end", state)

    def on_exception(self, state):
        self._record("on_exception", state)


def test_fit_learns_and_records_history():
    x, y = blobs()
    history = Trainer(cfg(epochs=8)).fit(net(), (x[:200], y[:200]), (x[200:], y[200:]))
    assert len(history) == 8 and history.stop_reason == "max_epochs"
    first, last = history[0], history.last
    assert set(first) == {
        "epoch",
        "train_loss",
        "val_loss",
        "val_accuracy",
        "lr",
        "epoch_seconds",
        "samples_per_sec",
    }
    assert last["train_loss"] < first["train_loss"] and last["val_accuracy"] > 0.8
    assert first["lr"] == pytest.approx(1e-2) and first["samples_per_sec"] > 0


def test_hooks_are_dispatched_in_order():
    rec = Recorder()
    x, y = blobs(100)
    Trainer(cfg(epochs=2, batch_size=50), [rec]).fit(net(), (x, y))
    assert [c for c in rec.calls] == [
        ("on_fit_start", 0),
        ("on_epoch_start", 1),
        ("on_batch_end", 1),
        ("on_batch_end", 1),
        ("on_epoch_end", 1),
        ("on_epoch_start", 2),
        ("on_batch_end", 2),
        ("on_batch_end", 2),
        ("on_epoch_end", 2),
        ("on_fit_end", 2),
    ]
    assert set(HOOKS) >= {c for c, _ in rec.calls}


def test_same_seed_same_weights_and_seeded_shuffle():
    x, y = blobs()
    a, b, c = net(), net(), net()
    Trainer(cfg(seed=1)).fit(a, (x, y))
    Trainer(cfg(seed=1)).fit(b, (x, y))
    Trainer(cfg(seed=2)).fit(c, (x, y))
    # exact: same computation twice (reproducibility)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not all(torch.equal(p, q) for p, q in zip(a.parameters(), c.parameters(), strict=True))
    assert epoch_seed(1, 3) == epoch_seed(1, 3) != epoch_seed(1, 4)


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw"])
def test_each_optimizer_reduces_the_loss(name):
    x, y = blobs()
    opt = OptimizerConfig(name=name, lr=0.05 if name == "sgd" else 1e-2, weight_decay=1e-4)
    history = Trainer(cfg(epochs=5, optimizer=opt)).fit(net(), (x, y))
    assert history.last["train_loss"] < history[0]["train_loss"]


@pytest.mark.parametrize("name", ["none", "cosine", "onecycle", "plateau"])
def test_each_schedule_runs_and_moves_the_lr(name):
    x, y = blobs()
    xv, yv = blobs(60, seed=1, flip=True)  # val labels flipped: the val loss only gets worse
    schedule = ScheduleConfig(name=name, patience=0, factor=0.5)
    lrs = Trainer(cfg(epochs=4, schedule=schedule)).fit(net(), (x, y), (xv, yv)).column("lr")
    if name == "none":
        assert lrs == [pytest.approx(1e-2)] * 4
    elif name == "cosine":
        assert lrs[0] == pytest.approx(1e-2) and all(
            a > b for a, b in zip(lrs, lrs[1:], strict=False)
        )
    elif name == "onecycle":
        assert lrs[0] < 1e-3 and max(lrs) > lrs[0]  # warms up from max_lr / 25
    else:
        assert lrs[-1] < lrs[0]  # the stalled val loss halved it


def test_class_weights_change_the_loss():
    x, y = blobs()
    plain = Trainer(cfg(epochs=1)).fit(net(), (x, y), (x, y))
    weighted = Trainer(cfg(epochs=1, class_weights=(1.0, 5.0))).fit(net(), (x, y), (x, y))
    assert plain[0]["train_loss"] != pytest.approx(weighted[0]["train_loss"], rel=1e-3)
    logits = torch.tensor([[0.3], [-1.0], [2.0]])
    target = torch.tensor([1.0, 0.0, 0.0])
    loss = build_loss("bce", (1.0, 3.0), torch.device("cpu"))(logits, target)
    per_row = nn.functional.binary_cross_entropy_with_logits(logits[:, 0], target, reduction="none")
    expected = (torch.tensor([3.0, 1.0, 1.0]) * per_row).sum() / 5.0
    assert torch.allclose(loss, expected)


def test_regression_loss_reports_rmse_and_a_custom_metric():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(200, 6, generator=gen)
    y = x @ torch.arange(6.0) / 6
    mae = Metric("mae", lambda out, t: (out[:, 0] - t).abs().mean(), "min")
    for loss in ("mse", "huber"):
        h = Trainer(cfg(loss=loss, epochs=3)).fit(net(out=1), (x, y), (x, y))
        assert h.last["val_rmse"] < h[0]["val_rmse"]
    h = Trainer(cfg(loss="mse", monitor="val_mae", patience=5), metric=mae).fit(
        net(out=1), (x, y), (x, y)
    )
    assert "val_mae" in h.last


def test_grad_clipping_bounds_each_step():
    x, y = blobs(64)
    module = net()
    before = torch.cat([p.detach().flatten().clone() for p in module.parameters()])
    clip = cfg(
        epochs=1,
        batch_size=64,
        grad_clip_norm=1e-3,
        optimizer=OptimizerConfig(name="sgd", lr=1.0, momentum=0.0),
    )
    Trainer(clip).fit(module, (x, y))
    after = torch.cat([p.detach().flatten() for p in module.parameters()])
    assert (after - before).norm() <= 1e-3 * 1.001  # one step of lr 1 with a clipped gradient


def test_early_stopping_stops_on_a_plateau_and_restores_the_best_weights():
    x, y = blobs()
    xv, yv = blobs(60, seed=1, flip=True)  # training makes the val loss worse from epoch 1 on
    rec = Recorder()
    module = net()
    history = Trainer(cfg(epochs=30, patience=3), [rec]).fit(module, (x, y), (xv, yv))
    assert history.stop_reason == "early_stopping: no improvement in val_loss for 3 epochs"
    assert len(history) == 4 and history.best_epoch == 1
    for key, value in module.state_dict().items():
        assert torch.equal(value, rec.weights[1][key])
    kept = net()
    Trainer(cfg(epochs=30, patience=3, restore_best=False)).fit(kept, (x, y), (xv, yv))
    assert not torch.equal(kept[0].weight, rec.weights[1]["0.weight"])


def test_early_stopping_on_a_missing_metric_names_what_is_available():
    x, y = blobs()
    with pytest.raises(TrainingError, match="available: epoch"):
        Trainer(cfg(patience=2)).fit(net(), (x, y))  # no val data: no val_loss
    history = Trainer(cfg(epochs=3), [EarlyStopping("train_loss", patience=2)]).fit(net(), (x, y))
    assert history.best_epoch is not None


def test_nan_loss_names_the_epoch_and_batch_and_suggests_a_lower_lr():
    x, y = blobs()
    boom = cfg(loss="mse", optimizer=OptimizerConfig(name="sgd", lr=1e6, momentum=0.0))
    rec = Recorder()
    with pytest.raises(
        TrainingError, match=r"at epoch 1, batch \d+; try a lower learning rate \(now 1e\+06\)"
    ):
        Trainer(boom, [rec]).fit(net(out=1), (x, y.float()))
    assert rec.calls[-1][0] == "on_exception"
    x_bad = x.clone()
    x_bad[70, 2] = math.inf  # row 70 lands in some batch of epoch 1
    with pytest.raises(TrainingError, match=r"loss became (nan|inf) at epoch 1, batch \d+"):
        Trainer(cfg()).fit(net(), (x_bad, y))


def test_stop_requests_and_budget_are_recorded_by_the_loop():
    class StopAtTwo(Callback):
        def on_epoch_end(self, state):
            if state.epoch == 2:
                self.request_stop("custom: enough")

    class NoTimeLeft:
        def remaining(self) -> float:
            return 0.0

    x, y = blobs()
    assert Trainer(cfg(epochs=9), [StopAtTwo()]).fit(net(), (x, y)).stop_reason == "custom: enough"
    h = Trainer(cfg(epochs=9), [BudgetStop(NoTimeLeft())]).fit(net(), (x, y))
    assert len(h) == 1 and h.stop_reason.startswith("budget: time budget exhausted")
    h = Trainer(cfg(epochs=9), [BudgetStop(max_seconds=1e-9)]).fit(net(), (x, y))
    assert len(h) == 1 and h.stop_reason.startswith("budget")
    with pytest.raises(SpecError, match="budget or max_seconds"):
        BudgetStop()


def test_bad_data_and_devices_are_explained():
    x, y = blobs()
    with pytest.raises(DataError, match=r"same, non-zero number of rows, received \[240, 10\]"):
        Trainer(cfg()).fit(net(), (x, y[:10]))
    with pytest.raises(DataError, match="TensorDataset or a tuple"):
        Trainer(cfg()).fit(net(), [[1, 2], [3]])
    with pytest.raises(TrainingError, match="failed at epoch 1, batch 1"):
        Trainer(cfg(class_weights=(1.0, 2.0, 3.0))).fit(net(), (x, y))  # 3 weights, 2 classes
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(TrainingError, match="CUDA is not available"):
            resolve_device("cuda:0")
    with pytest.raises(SpecError, match="callbacks: expected Callback"):
        Trainer(cfg(), [object()])

"""The generic PyTorch training loop.

The module says what to compute (``module(*inputs) -> outputs``), the loop says when, callbacks
own side effects. Data are tensor datasets: a ``TensorDataset`` or a tuple of tensors whose last
tensor is the target and whose others are the module's inputs, all with the same first dimension.
They are moved to the device once; each epoch visits them in an order drawn from a generator
seeded by ``(seed, epoch)``, so a resumed run sees exactly the batches an uninterrupted one would.
The hot loop does not synchronise with the device: batch losses stay on it until the epoch ends.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import TensorDataset

from modelyard.errors import DataError, SpecError, TrainingError
from modelyard.training.callbacks import HOOKS, Callback, EarlyStopping, LossGuard
from modelyard.training.checkpoint import (
    Checkpoint,
    Checkpointed,
    check_same_data,
    data_digest,
    read_checkpoint,
)
from modelyard.training.config import LoopConfig
from modelyard.training.history import History
from modelyard.training.losses import LOSSES, METRICS, LossFn, Metric, build_loss
from modelyard.training.optim import build_optimizer, build_schedule
from modelyard.training.state import FitState, restore, restore_callbacks

TensorData = TensorDataset | Sequence[torch.Tensor]

# Config fields a resumed run must share with the checkpoint, or it would not continue that run.
_RESUME_FIELDS = (
    "batch_size",
    "loss",
    "class_weights",
    "seed",
    "grad_clip_norm",
    "optimizer",
    "schedule",
)


def resolve_device(name: str) -> torch.device:
    """'auto' is CUDA when available, else CPU; an explicit device must exist."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise TrainingError(
                f"device {name!r} was requested but CUDA is not available",
                hint="use device='auto' or 'cpu'",
            )
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise TrainingError(
                f"device {name!r} does not exist: expected cuda:0.."
                f"cuda:{torch.cuda.device_count() - 1}",
                hint="pick an existing GPU index or use 'cuda'",
            )
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise TrainingError("device 'mps' was requested but is not available", hint="use 'auto'")
    return device


@contextlib.contextmanager
def seeded(seed: int, device: torch.device | None = None) -> Iterator[None]:
    """Seed the global RNG of the CPU (and of ``device`` when it is a GPU) for the block only.

    The caller's RNG state is restored afterwards, so nothing outside the block is affected.
    """
    device = device or torch.device("cpu")
    cuda = []
    if device.type == "cuda":
        cuda = [device.index if device.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=cuda):
        torch.default_generator.manual_seed(seed)
        for index in cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """PyTorch's CPU thread count set to ``threads`` for the block (None: left as it is)."""
    if threads is None:
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def epoch_seed(seed: int, epoch: int) -> int:
    """The shuffle seed of one epoch, derived from (seed, epoch) only."""
    return int(np.random.SeedSequence([seed, epoch]).generate_state(1, dtype=np.uint64)[0] >> 1)


def _as_tensors(data: TensorData | None, name: str) -> tuple[torch.Tensor, ...] | None:
    if data is None:
        return None
    tensors = data.tensors if isinstance(data, TensorDataset) else data
    if not isinstance(tensors, Sequence) or not all(isinstance(t, torch.Tensor) for t in tensors):
        raise DataError(
            f"{name}: expected a TensorDataset or a tuple of tensors (inputs..., target), "
            f"received {type(data).__name__}",
            hint="wrap arrays with torch.as_tensor and pass (x, y)",
        )
    if len(tensors) < 2:
        raise DataError(
            f"{name}: expected at least two tensors (inputs..., target), received {len(tensors)}",
            hint="the last tensor is the target",
        )
    sizes = [t.shape[0] if t.dim() else 0 for t in tensors]
    if len(set(sizes)) != 1 or sizes[0] == 0:
        raise DataError(
            f"{name}: expected tensors with the same, non-zero number of rows, received {sizes}",
            hint="every input and the target need one row per example",
        )
    return tuple(tensors)


def _prepare(
    tensors: tuple[torch.Tensor, ...],
    device: torch.device,
    float_dtype: torch.dtype,
    target_dtype: torch.dtype,
) -> list[torch.Tensor]:
    out = [
        t.to(device=device, dtype=float_dtype) if t.is_floating_point() else t.to(device)
        for t in tensors[:-1]
    ]
    return out + [tensors[-1].to(device=device, dtype=target_dtype)]


def _check_resumable(saved: dict[str, Any], config: LoopConfig) -> None:
    now = config.to_dict()
    fields = list(_RESUME_FIELDS)
    if config.schedule.name in ("cosine", "onecycle"):
        fields.append("epochs")  # these schedules are sized by the number of epochs
    diffs = [
        f"{f}: checkpoint {saved.get(f)!r}, now {now[f]!r}"
        for f in fields
        if saved.get(f) != now[f]
    ]
    if diffs:
        raise TrainingError(
            "cannot resume: the checkpoint was written with another config ("
            + "; ".join(diffs)
            + ")",
            hint="resume with the same config, or start fresh in an empty directory",
        )


class Trainer:
    """``Trainer(config, callbacks=...).fit(module, train_data, val_data) -> History``.

    Adds a ``LossGuard`` (divergence check) and, when ``config.patience`` is set, an
    ``EarlyStopping`` built from the config, unless ``callbacks`` already holds one. ``metric``
    overrides the validation metric the config names.
    """

    def __init__(
        self,
        config: LoopConfig | None = None,
        callbacks: Sequence[Callback] = (),
        metric: Metric | None = None,
    ) -> None:
        self.config = config if config is not None else LoopConfig()
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise SpecError(
                    f"callbacks: expected Callback instances, received {type(cb).__name__}",
                    hint="subclass modelyard.training.Callback",
                )
        self.callbacks = list(callbacks)
        self.metric = metric
        self._listeners: dict[str, list[Callback]] = {}

    # -- dispatch: the one place hooks are called --------------------------------------------------
    def _dispatch(self, hook: str, state: FitState) -> None:
        """Call ``hook`` on every callback that implements it, in order.

        A callback that reported a failure (``fail``) stops the fit right there. During
        ``on_exception`` the fit is already failing: errors of the callbacks are suppressed so
        that the original one propagates.
        """
        for cb in self._listeners[hook]:
            if hook == "on_exception":
                with contextlib.suppress(Exception):
                    cb.on_exception(state)
                continue
            getattr(cb, hook)(state)
            if cb.error is not None:
                raise cb.error

    def _all_callbacks(self) -> list[Callback]:
        cfg = self.config
        extra: list[Callback] = []
        if not any(isinstance(cb, LossGuard) for cb in self.callbacks):
            extra.append(LossGuard(cfg.divergence_factor))
        if cfg.patience is not None and not any(
            isinstance(cb, EarlyStopping) for cb in self.callbacks
        ):
            extra.append(EarlyStopping(cfg.monitor, cfg.mode, cfg.patience, cfg.min_delta))
        return sorted(extra + self.callbacks, key=lambda cb: cb.order)

    # -- fit --------------------------------------------------------------------------------------
    def fit(
        self,
        module: torch.nn.Module,
        train_data: TensorData,
        val_data: TensorData | None = None,
        *,
        resume_from: str | Path | None = None,
    ) -> History:
        """Train ``module``; with ``resume_from`` (a checkpoint directory) continue that run."""
        cfg = self.config
        train_t, val_t = _as_tensors(train_data, "train_data"), _as_tensors(val_data, "val_data")
        device = resolve_device(cfg.device)
        module.to(device)
        float_dtype = next(
            (p.dtype for p in module.parameters() if p.is_floating_point()), torch.float32
        )
        target_dtype = LOSSES[cfg.loss].target_dtype
        train = _prepare(train_t, device, float_dtype, target_dtype)
        val = _prepare(val_t, device, float_dtype, target_dtype) if val_t is not None else None
        n_batches = math.ceil(len(train[0]) / cfg.batch_size)
        optimizer = build_optimizer(module, cfg.optimizer)
        schedule = build_schedule(
            optimizer, cfg.schedule, epochs=cfg.epochs, steps_per_epoch=n_batches
        )
        callbacks = self._all_callbacks()
        self._listeners = {
            h: [
                cb
                for cb in callbacks
                if h == "on_exception" or getattr(type(cb), h) is not getattr(Callback, h)
            ]
            for h in HOOKS
        }
        state = FitState(
            cfg,
            module,
            optimizer,
            schedule,
            device,
            callbacks,
            n_batches=n_batches,
            train_size=len(train[0]),
        )
        for cb in callbacks:
            cb.clear_flags()
        # dropout and other module randomness from the seed only; sums split among a fixed
        # number of threads, when the config fixes one
        with seeded(cfg.seed, device), torch_threads(cfg.threads):
            resumed: Checkpointed | None = None
            keeping = [cb for cb in callbacks if isinstance(cb, Checkpoint)]
            if keeping or resume_from is not None:
                state.data_digest = data_digest(train_t, val_t)
            for checkpoint in keeping:
                checkpoint.claim(resume_from)
            if resume_from is not None:
                resumed = read_checkpoint(resume_from)
                _check_resumable(resumed.payload["config"], cfg)
                check_same_data(resumed.payload.get("data"), state.data_digest, resume_from)
                restore(state, resumed.payload)
            try:
                self._dispatch("on_fit_start", state)
                if resumed is not None:
                    restore_callbacks(state, resumed.payload)
                self._run(state, train, val, resumed)
                self._dispatch("on_fit_end", state)
            except BaseException:
                self._dispatch("on_exception", state)
                raise
        return state.history

    def _run(
        self,
        state: FitState,
        train: list[torch.Tensor],
        val: list[torch.Tensor] | None,
        resumed: Checkpointed | None,
    ) -> None:
        cfg, history = self.config, state.history
        done = resumed.finished if resumed is not None else None
        if done is not None and not (
            done["stop_reason"] == "max_epochs" and cfg.epochs > state.epoch
        ):
            stop_reason = done["stop_reason"]  # the run had already ended: only finish it again
        else:
            loss_fn = build_loss(cfg.loss, cfg.class_weights, state.device)
            metric = self.metric or METRICS[cfg.metric_name]
            stop_reason = "max_epochs"
            for epoch in range(state.epoch + 1, cfg.epochs + 1):
                state.epoch = epoch
                state.logs = self._epoch(state, train, val, loss_fn, metric)
                history.append(state.logs)
                self._dispatch("on_epoch_end", state)
                reasons = [
                    cb.stop_reason or f"stopped by {type(cb).__name__}"
                    for cb in state.callbacks
                    if cb.should_stop
                ]
                if reasons:
                    stop_reason = reasons[0]
                    break
        history.stop_reason = stop_reason
        early = next((cb for cb in state.callbacks if isinstance(cb, EarlyStopping)), None)
        if early is not None and early.best_state is not None:
            history.best_epoch = early.best_epoch
            if cfg.restore_best:
                state.module.load_state_dict(early.best_state)

    def _epoch(
        self,
        state: FitState,
        train: list[torch.Tensor],
        val: list[torch.Tensor] | None,
        loss_fn: LossFn,
        metric: Metric,
    ) -> dict[str, Any]:
        cfg, module, optimizer = self.config, state.module, state.optimizer
        scheduler, step_on = state.schedule.scheduler, state.schedule.step_on
        n, bs = state.train_size, cfg.batch_size
        inputs, target = train[:-1], train[-1]
        batch_hooks = bool(self._listeners["on_batch_end"])
        clip = cfg.grad_clip_norm
        params = [p for p in module.parameters() if p.requires_grad]

        module.train()
        self._dispatch("on_epoch_start", state)
        lr = state.lr
        started = time.perf_counter()
        generator = torch.Generator().manual_seed(epoch_seed(cfg.seed, state.epoch))
        order = torch.randperm(n, generator=generator).to(state.device)  # (n,)
        losses: list[torch.Tensor] = []  # one 0-d device tensor per batch: no sync in the loop
        batch = 0
        try:
            for batch in range(state.n_batches):
                idx = order[batch * bs : (batch + 1) * bs]  # (b,)
                outputs = module(*(x.index_select(0, idx) for x in inputs))
                loss = loss_fn(outputs, target.index_select(0, idx))
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if clip is not None:
                    torch.nn.utils.clip_grad_norm_(params, clip)
                optimizer.step()
                if step_on == "batch":
                    scheduler.step()
                losses.append(loss.detach())
                if batch_hooks:
                    state.batch, state.batch_loss = batch, losses[-1]
                    self._dispatch("on_batch_end", state)
        except RuntimeError as err:
            raise TrainingError(
                f"training failed at epoch {state.epoch}, batch {batch + 1}: {err}",
                hint=f"check that the module's outputs fit the {cfg.loss!r} loss and the targets "
                "(shape, number of classes, class_weights length)",
            ) from err
        state.batch_losses = torch.stack(losses)  # (n_batches,)
        sizes = torch.full((state.n_batches,), float(bs), device=state.device)
        sizes[-1] = n - bs * (state.n_batches - 1)  # the last batch may be short
        train_loss = float((state.batch_losses.float() * sizes).sum() / n)  # the epoch's one sync
        train_seconds = time.perf_counter() - started
        if step_on == "epoch":
            scheduler.step()
        record: dict[str, Any] = {"epoch": state.epoch, "train_loss": train_loss}
        if val is not None:
            val_loss, score = self._evaluate(module, val, loss_fn, metric)
            record["val_loss"], record[f"val_{metric.name}"] = val_loss, score
        if step_on == "val":
            scheduler.step(record.get("val_loss", train_loss))
        record.update(
            lr=lr,
            epoch_seconds=time.perf_counter() - started,
            samples_per_sec=n / max(train_seconds, 1e-9),
        )
        return record

    @torch.no_grad()
    def _evaluate(
        self, module: torch.nn.Module, data: list[torch.Tensor], loss_fn: LossFn, metric: Metric
    ) -> tuple[float, float]:
        """Loss and metric over the whole validation set, in eval mode (no dropout)."""
        module.eval()
        inputs, target = data[:-1], data[-1]
        step = self.config.eval_batch_size
        outputs = torch.cat(
            [module(*(x[i : i + step] for x in inputs)) for i in range(0, len(target), step)]
        )  # (n_val, ...) outputs
        return float(loss_fn(outputs, target)), metric(outputs, target)

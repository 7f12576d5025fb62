"""The loop's live state, and how it becomes data (JSON plus named tensors) and back.

``FitState`` is what every callback hook receives. ``collect`` turns it into a nested structure of
plain values and tensors; ``encode`` splits such a structure into a JSON-able tree and a flat
``{name: tensor}`` dict for safetensors, so that nothing is ever pickled; ``decode`` reverses it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from modelyard.errors import TrainingError
from modelyard.training.config import LoopConfig
from modelyard.training.history import History
from modelyard.training.optim import Schedule


@dataclass
class FitState:
    """The loop's state, shared with callbacks (read it; only the loop changes it).

    ``epoch`` is 1-based: during ``on_epoch_start``/``on_batch_end`` the epoch running, during
    ``on_epoch_end`` the epoch just finished (and ``logs`` its record), during ``on_fit_start``
    the number of epochs already done (non-zero when resuming). ``batch_loss`` is the last batch's
    loss tensor on the device; ``batch_losses`` the ``(n_batches,)`` tensor of this epoch's losses,
    unsynchronised: call ``.item()``/``.cpu()`` only when a callback really needs a number.
    """

    config: LoopConfig
    module: torch.nn.Module
    optimizer: torch.optim.Optimizer
    schedule: Schedule
    device: torch.device
    callbacks: list[Any]
    history: History = field(default_factory=History)
    epoch: int = 0
    start_epoch: int = 0
    n_batches: int = 0
    train_size: int = 0
    batch: int = 0
    batch_loss: torch.Tensor | None = None
    batch_losses: torch.Tensor | None = None
    logs: dict[str, Any] = field(default_factory=dict)
    data_digest: str | None = None  # SHA-256 of the rows trained on; a checkpoint records it

    @property
    def lr(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])


def callback_keys(callbacks: list[Any]) -> list[str]:
    """Stable names for callbacks in a checkpoint: the class name, '#2' etc. for repeats."""
    seen: dict[str, int] = {}
    keys = []
    for cb in callbacks:
        name = type(cb).__name__
        seen[name] = seen.get(name, 0) + 1
        keys.append(name if seen[name] == 1 else f"{name}#{seen[name]}")
    return keys


def collect(state: FitState) -> dict[str, Any]:
    """Everything a resumed run needs, as nested plain values and tensors."""
    rng: dict[str, Any] = {"torch": torch.get_rng_state()}
    if state.device.type == "cuda":
        rng["cuda"] = torch.cuda.get_rng_state(state.device)
    scheduler = state.schedule.scheduler
    return {
        "epoch": state.epoch,
        "data": state.data_digest,
        "config": state.config.to_dict(),
        "history": state.history.to_dict(),
        "model": state.module.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "rng": rng,
        "callbacks": {
            k: cb.state_dict()
            for k, cb in zip(callback_keys(state.callbacks), state.callbacks, strict=True)
        },
    }


def restore(state: FitState, payload: Mapping[str, Any]) -> None:
    """Put model, optimizer, scheduler, history, epoch and RNG back (not the callbacks)."""
    try:
        state.module.load_state_dict(payload["model"])
        state.optimizer.load_state_dict(payload["optimizer"])
    except (RuntimeError, ValueError, KeyError) as err:
        raise TrainingError(
            f"the checkpoint does not fit this model or optimizer: {err}",
            hint="resume with the same architecture and optimizer, or start in an empty directory",
        ) from err
    scheduler = state.schedule.scheduler
    if scheduler is not None and payload.get("scheduler") is not None:
        scheduler.load_state_dict(payload["scheduler"])
    state.history = History.from_dict(payload["history"])
    state.epoch = state.start_epoch = int(payload["epoch"])
    torch.set_rng_state(payload["rng"]["torch"])
    if state.device.type == "cuda" and "cuda" in payload["rng"]:
        torch.cuda.set_rng_state(payload["rng"]["cuda"], state.device)


def restore_callbacks(state: FitState, payload: Mapping[str, Any]) -> None:
    """Load each callback's saved state, matched by ``callback_keys``; new callbacks start fresh."""
    saved = payload.get("callbacks", {})
    for key, cb in zip(callback_keys(state.callbacks), state.callbacks, strict=True):
        if key in saved:
            cb.load_state_dict(saved[key])


# -- codec: nested values <-> (JSON tree, {name: tensor}) --------------------------------------


def encode(obj: Any, path: str = "") -> tuple[Any, dict[str, torch.Tensor]]:
    """Split ``obj`` into a JSON-able tree and the tensors it referenced, named by their path."""
    tensors: dict[str, torch.Tensor] = {}
    return _enc(obj, path, tensors), tensors


def _enc(obj: Any, path: str, tensors: dict[str, torch.Tensor]) -> Any:
    if isinstance(obj, torch.Tensor):
        name = path or "tensor"
        # A private contiguous CPU copy: safetensors refuses shared or strided storage.
        tensors[name] = obj.detach().to("cpu", copy=True).contiguous()
        return {"$tensor": name}
    if isinstance(obj, bool | int | str) or obj is None:
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else {"$float": repr(obj)}  # 'nan', 'inf', '-inf'
    if isinstance(obj, np.generic):
        return _enc(obj.item(), path, tensors)
    if isinstance(obj, tuple):
        return {"$tuple": [_enc(v, f"{path}/{i}", tensors) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_enc(v, f"{path}/{i}", tensors) for i, v in enumerate(obj)]
    if isinstance(obj, Mapping):
        if all(isinstance(k, str) and not k.startswith("$") for k in obj):
            return {k: _enc(v, f"{path}/{k}" if path else k, tensors) for k, v in obj.items()}
        return {
            "$items": [[_enc(k, "", {}), _enc(v, f"{path}/{k}", tensors)] for k, v in obj.items()]
        }
    # hint: python-api: only code that calls modelyard directly meets it
    raise TrainingError(
        f"cannot store {type(obj).__name__} at '{path}' in a checkpoint",
        hint="state_dict() must return plain values (str, int, float, bool, None, lists, "
        "dicts) and tensors",
    )


def decode(obj: Any, tensors: Mapping[str, torch.Tensor]) -> Any:
    """The inverse of ``encode``."""
    if isinstance(obj, list):
        return [decode(v, tensors) for v in obj]
    if isinstance(obj, dict):
        if len(obj) == 1:
            ((key, value),) = obj.items()
            if key == "$tensor":
                if value not in tensors:
                    raise TrainingError(
                        f"the checkpoint's JSON names tensor '{value}' that its tensor file lacks",
                        hint="the checkpoint is damaged; delete it and start again",
                    )
                return tensors[value]
            if key == "$float":
                return float(value)
            if key == "$tuple":
                return tuple(decode(v, tensors) for v in value)
            if key == "$items":
                return {decode(k, tensors): decode(v, tensors) for k, v in value}
        return {k: decode(v, tensors) for k, v in obj.items()}
    return obj

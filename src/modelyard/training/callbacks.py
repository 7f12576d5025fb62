"""Callbacks: side effects and stop requests, never decisions.

A callback overrides any of the hooks in ``HOOKS``; each receives the loop's ``FitState``. To ask
the loop to stop it calls ``request_stop(reason)``; to report that training has failed it calls
``fail(error)``. The loop reads those flags after each epoch, decides, and records why in
``History.stop_reason``. Every callback has ``state_dict()`` / ``load_state_dict()`` (plain values
and tensors only) so that a resumed run continues exactly where it left off.
"""

from __future__ import annotations

import math
import time
from typing import Any, Protocol

import torch

from modelyard.errors import ModelyardError, SpecError, TrainingError
from modelyard.training.config import MODES, resolve_mode
from modelyard.training.state import FitState

HOOKS = (
    "on_fit_start",
    "on_epoch_start",
    "on_batch_end",
    "on_epoch_end",
    "on_fit_end",
    "on_exception",
)


class Callback:
    """Base class: no-op hooks, stop/fail flags, empty state."""

    order: int = 0  # the loop calls hooks in ascending order (stable); Checkpoint goes last
    should_stop: bool = False
    stop_reason: str | None = None
    error: ModelyardError | None = None

    # -- flags (the loop reads and clears them) --------------------------------------------------
    def request_stop(self, reason: str) -> None:
        self.should_stop, self.stop_reason = True, reason

    def fail(self, error: ModelyardError) -> None:
        self.error = error

    def clear_flags(self) -> None:
        self.should_stop, self.stop_reason, self.error = False, None, None

    # -- hooks ------------------------------------------------------------------------------------
    def on_fit_start(self, state: FitState) -> None:
        """Before the first epoch; reset per-fit state here (a resume loads it right after)."""

    def on_epoch_start(self, state: FitState) -> None:
        """Before the epoch ``state.epoch`` trains."""

    def on_batch_end(self, state: FitState) -> None:
        """After each optimizer step; ``state.batch_loss`` is a device tensor (avoid syncing)."""

    def on_epoch_end(self, state: FitState) -> None:
        """After training and evaluation of ``state.epoch``; ``state.logs`` is its record."""

    def on_fit_end(self, state: FitState) -> None:
        """After the loop stopped and best weights (if any) were restored."""

    def on_exception(self, state: FitState) -> None:
        """When the fit is failing with an exception (release resources; the error propagates)."""

    # -- state ------------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what ``state_dict`` returned."""


class EarlyStopping(Callback):
    """Request a stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    Keeps a copy of the best weights in memory; the loop restores them at the end when its config
    says ``restore_best``.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        patience: int = 5,
        min_delta: float = 0.0,
    ) -> None:
        if mode not in MODES:
            raise SpecError(
                f"EarlyStopping mode: expected one of {MODES}, received {mode!r}",
                hint="use 'min' for losses and errors, 'max' for scores",
            )
        if not isinstance(patience, int) or patience < 1:
            raise SpecError(
                f"EarlyStopping patience: expected an integer >= 1, received {patience!r}",
                hint="patience counts epochs without improvement",
            )
        self.monitor, self.patience, self.min_delta = monitor, patience, float(min_delta)
        self.mode = resolve_mode(monitor, mode)
        self._reset()

    def _reset(self) -> None:
        self.best: float | None = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.best_state: dict[str, torch.Tensor] | None = None

    def on_fit_start(self, state: FitState) -> None:
        self._reset()

    def _improved(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, state: FitState) -> None:
        if self.monitor not in state.logs:
            self.fail(
                TrainingError(
                    f"early stopping monitors '{self.monitor}', which epoch {state.epoch} did not "
                    "report; "
                    f"available: {', '.join(sorted(state.logs))}",
                    hint="pass validation data, or monitor 'train_loss'",
                )
            )
            return
        value = float(state.logs[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, state.epoch, 0
            # (detached copies; on the training device so that restoring is a plain copy)
            self.best_state = {k: v.detach().clone() for k, v in state.module.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.request_stop(
                f"early_stopping: no improvement in {self.monitor} for {self.patience} epochs"
            )

    def state_dict(self) -> dict[str, Any]:
        return {
            "best": self.best,
            "best_epoch": self.best_epoch,
            "wait": self.wait,
            "best_state": self.best_state,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best, self.best_epoch = state["best"], state["best_epoch"]
        self.wait, self.best_state = int(state["wait"]), state["best_state"]


class Budget(Protocol):
    def remaining(self) -> float | None: ...


class BudgetStop(Callback):
    """Request a stop when the ``budget`` has no time left, or after ``max_seconds`` of fitting.

    With ``anticipate`` it also stops when less time is left than the last epoch took, so that a
    fit does not overrun its budget by a whole epoch. Elapsed time survives a resume.
    """

    def __init__(
        self,
        budget: Budget | None = None,
        max_seconds: float | None = None,
        anticipate: bool = True,
    ) -> None:
        if budget is None and max_seconds is None:
            # hint: python-api: only code that calls modelyard directly meets it
            raise SpecError(
                "BudgetStop: expected a budget or max_seconds, received neither",
                hint="pass budget=<object with remaining()> or max_seconds=<float>",
            )
        if max_seconds is not None and not max_seconds > 0:
            raise SpecError(
                f"BudgetStop max_seconds: expected a number > 0, received {max_seconds!r}",
                hint="max_seconds is the wall-clock limit of the fit",
            )
        self.budget, self.max_seconds, self.anticipate = budget, max_seconds, anticipate
        self._prior = 0.0  # seconds spent before a resume
        self._t0 = time.monotonic()

    def elapsed(self) -> float:
        return self._prior + time.monotonic() - self._t0

    def remaining(self) -> float:
        left = math.inf
        if self.budget is not None:
            remaining = self.budget.remaining()
            left = math.inf if remaining is None else float(remaining)
        if self.max_seconds is not None:
            left = min(left, self.max_seconds - self.elapsed())
        return left

    def on_fit_start(self, state: FitState) -> None:
        self._prior, self._t0 = 0.0, time.monotonic()

    def on_epoch_end(self, state: FitState) -> None:
        left = self.remaining()
        epoch_seconds = float(state.logs.get("epoch_seconds", 0.0))
        if left <= 0:
            self.request_stop(f"budget: time budget exhausted after {self.elapsed():.1f} s")
        elif self.anticipate and left < epoch_seconds:
            self.request_stop(
                f"budget: {left:.1f} s left, less than one epoch (~{epoch_seconds:.1f} s)"
            )

    def state_dict(self) -> dict[str, Any]:
        return {"elapsed": self.elapsed()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self._prior, self._t0 = float(state["elapsed"]), time.monotonic()


class LossGuard(Callback):
    """Fail training when a loss becomes nan/inf or explodes past ``factor`` x the first batch's.

    Checks once per epoch, from the epoch's batch losses (one device sync), and names the first
    bad epoch and batch. The loop adds one by default.
    """

    def __init__(self, factor: float = 1e6) -> None:
        self.factor = float(factor)
        self.reference: float | None = None  # the first batch's loss

    def on_fit_start(self, state: FitState) -> None:
        self.reference = None

    def _error(self, what: str, where: str, state: FitState) -> TrainingError:
        return TrainingError(
            f"{what} at {where}; try a lower learning rate (now {state.lr:g}) or gradient clipping",
            hint="lower optimizer.lr, set grad_clip_norm, and check the inputs for inf or huge "
            "values",
        )

    def on_epoch_end(self, state: FitState) -> None:
        losses = state.batch_losses.detach().float().cpu()  # (n_batches,)
        finite = torch.isfinite(losses)
        if self.reference is None and bool(finite[0]):
            self.reference = float(losses[0])
        if not bool(finite.all()):
            first = int((~finite).nonzero()[0, 0])
            value = float(losses[first])
            self.fail(
                self._error(
                    f"loss became {value}", f"epoch {state.epoch}, batch {first + 1}", state
                )
            )
            return
        if self.reference is not None:
            limit = self.factor * max(abs(self.reference), 1e-6)
            over = (losses > limit).nonzero()
            if len(over):
                first = int(over[0, 0])
                self.fail(
                    self._error(
                        f"loss exploded to {float(losses[first]):.3g} "
                        f"(first batch: {self.reference:.3g})",
                        f"epoch {state.epoch}, batch {first + 1}",
                        state,
                    )
                )
                return
        for key in ("val_loss", "train_loss"):
            if key in state.logs and not math.isfinite(state.logs[key]):
                self.fail(
                    self._error(f"{key} became {state.logs[key]}", f"epoch {state.epoch}", state)
                )
                return

    def state_dict(self) -> dict[str, Any]:
        return {"reference": self.reference}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.reference = state["reference"]

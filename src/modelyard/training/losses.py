"""Losses and validation metrics, by name.

``LOSSES`` defines the valid loss names; each entry knows whether it is a classification loss (and
so whether class weights apply) and which metric the loop reports for it by default.
Shapes: ``outputs`` is ``(n, k)`` logits for cross-entropy, ``(n,)`` or ``(n, 1)`` for the others;
``targets`` is ``(n,)`` class indices (long) for cross-entropy, ``(n,)`` floats otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

LossFn = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]


def _flat(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """(n, 1) outputs against (n,) targets become (n,) so that nothing broadcasts to (n, n)."""
    if outputs.dim() == 2 and outputs.shape[1] == 1 and targets.dim() == 1:
        return outputs.squeeze(1)
    return outputs


def _cross_entropy(weights: torch.Tensor | None) -> LossFn:
    def loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.cross_entropy(outputs, targets, weight=weights)  # (n, k) logits, (n,) long

    return loss


def _bce(weights: torch.Tensor | None) -> LossFn:
    def loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        logits = _flat(outputs, targets)  # (n,)
        if weights is None:
            return F.binary_cross_entropy_with_logits(logits, targets)
        # Per-row weight of the row's class; a weighted mean, as cross-entropy defines it.
        w = weights[targets.long()]  # (n,)
        per_row = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
        return (w * per_row).sum() / w.sum()

    return loss


def _mse(weights: torch.Tensor | None) -> LossFn:
    def loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.mse_loss(_flat(outputs, targets), targets)

    return loss


def _huber(weights: torch.Tensor | None) -> LossFn:
    def loss(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
        return F.huber_loss(_flat(outputs, targets), targets, delta=1.0)

    return loss


@dataclass(frozen=True)
class LossSpec:
    build: Callable[[torch.Tensor | None], LossFn]
    classification: bool  # class weights apply, targets are class codes
    target_dtype: torch.dtype
    default_metric: str


LOSSES: dict[str, LossSpec] = {
    "cross_entropy": LossSpec(_cross_entropy, True, torch.long, "accuracy"),
    "bce": LossSpec(_bce, True, torch.float32, "accuracy"),
    "mse": LossSpec(_mse, False, torch.float32, "rmse"),
    "huber": LossSpec(_huber, False, torch.float32, "rmse"),
}


@dataclass(frozen=True)
class Metric:
    """A validation metric over the whole validation set: ``fn(outputs, targets) -> float``."""

    name: str
    fn: Callable[[torch.Tensor, torch.Tensor], float | torch.Tensor]
    mode: str  # "min" or "max": which direction is better

    def __call__(self, outputs: torch.Tensor, targets: torch.Tensor) -> float:
        return float(self.fn(outputs, targets))


def _accuracy(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    if outputs.dim() == 2 and outputs.shape[1] > 1:
        predicted = outputs.argmax(dim=1)  # (n, k) logits -> (n,) class
        return (predicted == targets.long()).float().mean()
    logits = _flat(outputs, targets)  # one logit per row: positive means class 1
    return ((logits > 0) == (targets > 0.5)).float().mean()


def _rmse(outputs: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(F.mse_loss(_flat(outputs, targets), targets))


METRICS: dict[str, Metric] = {
    "accuracy": Metric("accuracy", _accuracy, "max"),
    "rmse": Metric("rmse", _rmse, "min"),
}


def build_loss(name: str, class_weights: Sequence[float] | None, device: torch.device) -> LossFn:
    """The loss ``name`` on ``device``, weighting classes by ``class_weights`` when given."""
    weights = None
    if class_weights is not None:
        weights = torch.as_tensor(list(class_weights), dtype=torch.float32, device=device)
    return LOSSES[name].build(weights)

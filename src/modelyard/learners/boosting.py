"""What the gradient-boosting learners (LightGBM, XGBoost, CatBoost) share.

The ``early_stopping_rounds`` check, and the stopping facts each saves beside its native model file
and restores on load: ``best_iteration`` (trees used to predict), ``n_trees`` (trees grown),
``stop_reason`` ('completed', 'early_stopping' or 'budget') and, when a validation set was
scored, ``best_score`` (the best validation loss).
"""

from __future__ import annotations

import math
from typing import Any

from modelyard.learners.params import Check, integer

EARLY_STOPPING_CHECK: Check = (
    lambda v: v is None or integer(1)[0](v), "None (off) or an integer >= 1"
)


def stopping_meta(learner: Any, file: str) -> dict[str, Any]:
    """The model metadata of a fitted booster whose native model is in ``file``."""
    meta = {
        "file": file,
        "best_iteration": learner.best_iteration_,
        "n_trees": learner.n_trees_,
        "stop_reason": learner.stop_reason_,
    }
    best = getattr(learner, "best_score_", None)
    if best is not None and math.isfinite(best):
        meta["best_score"] = best
    return meta


def restore_stopping(learner: Any, meta: dict[str, Any]) -> None:
    """Set the stopping facts saved by :func:`stopping_meta` on a loaded booster."""
    learner.best_iteration_ = meta["best_iteration"]
    learner.n_trees_ = meta["n_trees"]
    learner.stop_reason_ = meta["stop_reason"]
    if "best_score" in meta:
        learner.best_score_ = meta["best_score"]


MAX_CURVE_POINTS = 250  # a learning curve keeps this many iterations at most (evenly spaced)


def loss_history(train: list[float], valid: list[float]) -> list[dict[str, Any]]:
    """Per-iteration records ``{"iteration", "train_loss", "val_loss"}`` of a booster's
    evaluation losses, thinned to at most :data:`MAX_CURVE_POINTS` (first and last kept)."""
    n = min(len(train), len(valid))
    if n == 0:
        return []
    keep = sorted({round(i * (n - 1) / (MAX_CURVE_POINTS - 1)) for i in range(MAX_CURVE_POINTS)}
                  if n > MAX_CURVE_POINTS else range(n))
    return [{"iteration": i + 1, "train_loss": float(train[i]), "val_loss": float(valid[i])}
            for i in keep]

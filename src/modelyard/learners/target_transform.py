"""A regression learner's ``target_transform``: fit on ``log(1 + y)``, predict in ``y``'s units.

Prices, amounts, demand and lifetimes are non-negative and right-skewed: a few large values
dominate a squared-error fit, and effects are multiplicative (a better kitchen adds a share of the
price, not a fixed sum). Fitting on the log of the target gives those rows a fair weight and makes
the effects additive. ``target_transform='log'`` does that for any tabular regression learner:

* fit: ``y`` must be >= 0; the learner fits ``log1p(y)`` (validation targets too, so early
  stopping watches the same scale) and keeps ``[log1p(min y), log1p(max y)]`` of the training rows;
* predict: ``expm1`` of the prediction clipped to that range. Clipping matters: the back-transform
  is exponential, so a linear model or a network extrapolating to a house larger than any sold
  would otherwise predict a price without bound, where a tree stops at what it saw.

The learner is then still scored on ``y`` itself (the search's metric, the evaluation), so whether
the transform pays off is measured, not assumed. The search tries it where ``suits_log`` says the
target looks like this (``search/searcher.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import skew

from modelyard.errors import DataError, SpecError

TRANSFORMS = (None, "log")
MIN_SKEW = 0.5  # a target skewed at least this much to the right is worth trying on a log scale
EXPECTED = "None or 'log' (fit on log(1 + y), predict exp(.) - 1)"


def check_transform(transform: Any, task: str, y: np.ndarray, learner: str) -> None:
    """Raise a clear error when ``transform`` cannot apply to this ``task`` and target."""
    if transform not in TRANSFORMS:
        raise SpecError(f"learner '{learner}': target_transform expected {EXPECTED}; "
                        f"got {transform!r}", hint="use target_transform='log' or leave it unset")
    if transform is None:
        return
    if task != "regression":
        raise SpecError(f"learner '{learner}': target_transform applies to regression; this "
                        f"learner is fitted for '{task}'",
                        hint="leave target_transform unset for classification")
    if len(y) and float(np.min(y)) < 0:
        raise DataError(f"learner '{learner}': target_transform='log' needs a target >= 0; the "
                        f"smallest value is {float(np.min(y)):g}",
                        hint="leave target_transform unset, or shift the target to be >= 0")


def encode(y: np.ndarray) -> tuple[np.ndarray, list[float]]:
    """``log1p(y)`` and the range of the training rows on that scale."""
    z = np.log1p(np.asarray(y, dtype=np.float64))
    return z, [float(z.min()), float(z.max())]


def decode(values: np.ndarray, value_range: list[float]) -> np.ndarray:
    """Predictions on the log scale back in ``y``'s units, within the training range."""
    low, high = value_range
    return np.expm1(np.clip(np.asarray(values, dtype=np.float64), low, high))


def suits_log(y: np.ndarray) -> bool:
    """Whether a regression target is worth trying on a log scale: >= 0, varied, right-skewed."""
    y = np.asarray(y, dtype=np.float64)
    if len(y) < 3 or not np.all(np.isfinite(y)) or y.min() < 0 or np.ptp(y) == 0:
        return False
    return bool(skew(y) >= MIN_SKEW)

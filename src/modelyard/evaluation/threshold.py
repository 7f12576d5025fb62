"""Decision thresholds for binary classifiers, tuned on the validation split.

A binary model predicts class 1 when ``proba_pos >= threshold``. :func:`tune_threshold` scores every
candidate threshold (the distinct predicted probabilities, at most :data:`MAX_CANDIDATES` of them
taken at evenly spaced quantiles) from cumulative confusion counts, in one vectorised pass.
"""

from __future__ import annotations

from collections.abc import Callable
from numbers import Real

import numpy as np

from modelyard.errors import DataError, SpecError, did_you_mean

MAX_CANDIDATES = 1000  # more distinct probabilities than this are thinned to quantiles
TIE_TOLERANCE = 1e-12  # scores this close count as a tie; ties go to the threshold nearest 0.5


DEFAULT_THRESHOLD = 0.5  # a binary model's decision threshold when none is tuned

def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den with 0 where den is 0 (scikit-learn's zero_division=0)."""
    out = np.zeros_like(num, dtype=np.float64)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _f1(tp, fp, tn, fn):
    return _ratio(2 * tp, 2 * tp + fp + fn)


def _balanced_accuracy(tp, fp, tn, fn):
    return 0.5 * (_ratio(tp, tp + fn) + _ratio(tn, tn + fp))


def _accuracy(tp, fp, tn, fn):
    return (tp + tn) / (tp + fp + tn + fn)


def _mcc(tp, fp, tn, fn):
    den = np.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return _ratio(tp * tn - fp * fn, den)


# name -> score from confusion counts (arrays, one entry per candidate); greater is better
THRESHOLD_METRICS: dict[str, Callable[..., np.ndarray]] = {
    "f1": _f1,
    "balanced_accuracy": _balanced_accuracy,
    "accuracy": _accuracy,
    "mcc": _mcc,
}


def _positive_column(proba_pos, what: str) -> np.ndarray:
    """1-d positive-class probabilities; an (n, 2) probability matrix gives its second column."""
    arr = np.asarray(proba_pos, dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 2:
        arr = arr[:, 1]
    if arr.ndim != 1:
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            f"{what} must be the positive-class probabilities, shape (n,) or (n, 2); "
            f"got shape {arr.shape}",
            hint="pass learner.predict_proba(X)[:, 1]",
        )
    if not np.all(np.isfinite(arr)) or arr.size and (arr.min() < 0 or arr.max() > 1):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            f"{what} must be probabilities in [0, 1]; got values in "
            f"[{np.nanmin(arr) if arr.size else 'n/a'}, {np.nanmax(arr) if arr.size else 'n/a'}]",
            hint="pass predict_proba output, not decision scores or logits",
        )
    return arr


def tune_threshold(y_true, proba_pos, metric: str = "f1") -> tuple[float, float]:
    """The threshold maximising ``metric`` on a validation split, and its score.

    ``y_true`` holds 0/1 codes, ``proba_pos`` the predicted probability of class 1. Ties go to
    the candidate closest to 0.5, so an uninformative search keeps the default threshold.
    """
    if metric not in THRESHOLD_METRICS:
        raise SpecError(
            f"unknown threshold metric '{metric}'; valid: " + ", ".join(THRESHOLD_METRICS),
            hint=did_you_mean(metric, THRESHOLD_METRICS),
        )
    proba = _positive_column(proba_pos, "proba_pos")
    y = np.asarray(y_true)
    if y.ndim != 1 or len(y) != len(proba):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            f"y_true must be 1-d with one code per probability ({len(proba)}); got shape {y.shape}",
            hint="pass the validation targets that match predict_proba's rows",
        )
    if len(y) == 0 or not np.isin(y, (0, 1)).all() or len(np.unique(y)) < 2:
        raise DataError(
            "threshold tuning needs 0/1 codes with both classes present in y_true; got "
            f"values {np.unique(y)[:5].tolist()}",
            hint="tune on a validation split that contains both classes (stratify the split)",
        )
    positive = y == 1
    candidates = np.unique(proba)
    if len(candidates) > MAX_CANDIDATES:
        quantiles = np.linspace(0.0, 1.0, MAX_CANDIDATES)
        candidates = np.unique(np.quantile(candidates, quantiles, method="nearest"))
    # rows predicted positive at threshold t are those with proba >= t
    pos_sorted = np.sort(proba[positive])
    neg_sorted = np.sort(proba[~positive])
    tp = (len(pos_sorted) - np.searchsorted(pos_sorted, candidates, side="left")).astype(float)
    fp = (len(neg_sorted) - np.searchsorted(neg_sorted, candidates, side="left")).astype(float)
    fn = len(pos_sorted) - tp
    tn = len(neg_sorted) - fp
    scores = THRESHOLD_METRICS[metric](tp, fp, tn, fn)
    best = scores.max()
    tied = np.flatnonzero(scores >= best - TIE_TOLERANCE)
    pick = tied[np.argmin(np.abs(candidates[tied] - 0.5))]
    return float(candidates[pick]), float(scores[pick])


def apply_threshold(proba_pos, threshold: float) -> np.ndarray:
    """0/1 class codes: 1 where ``proba_pos >= threshold``."""
    if isinstance(threshold, bool) or not isinstance(threshold, Real) or not 0 <= threshold <= 1:
        # hint: python-api: only code that calls modelyard directly meets it
        raise SpecError(
            f"threshold must be a number in [0, 1]; got {threshold!r}",
            hint="use the threshold tune_threshold returned, or 0.5",
        )
    proba = _positive_column(proba_pos, "proba_pos")
    return (proba >= threshold).astype(np.int64)

"""Percentile-bootstrap confidence intervals for the registered metrics, vectorised.

A bootstrap resample of ``n`` rows is the same as weighting every row by how often it was drawn,
so each chunk of resamples is a weight matrix ``W`` of shape (resamples, n) and a metric becomes a
few matrix products with per-row quantities: accuracy is ``W @ correct / n``, a confusion matrix is
``W @ onehot(true * k + pred)``, ROC AUC is the weighted Mann-Whitney statistic read off cumulative
sums in score order. :func:`weighted_metric_values` exposes those weighted metrics so a test
can hold each one against scikit-learn's ``sample_weight``. A metric without a vectorised form
falls back to calling its registry function once per resample.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from modelyard.errors import DataError, SpecError
from modelyard.evaluation.metrics import _check_lengths, computable, get_metric

CELLS_PER_CHUNK = 4_000_000  # resamples x rows held at once (32 MB of float64 weights)


@dataclass(frozen=True)
class _Rows:
    """The per-row inputs every weighted metric reads."""

    y: np.ndarray  # (n,) class codes or floats
    pred: np.ndarray  # (n,)
    proba: np.ndarray | None  # (n, k) or None
    k: int  # number of classes (0 for regression)


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den, 0 where den is 0 (scikit-learn's ``zero_division=0``)."""
    out = np.zeros(np.broadcast(num, den).shape)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _confusion(r: _Rows, W: np.ndarray) -> np.ndarray:
    """(m, k, k) weighted confusion counts: [resample, true, predicted]."""
    k = r.k
    cell = r.y.astype(np.int64) * k + r.pred.astype(np.int64)
    onehot = np.zeros((len(cell), k * k))
    onehot[np.arange(len(cell)), cell] = 1.0
    return (W @ onehot).reshape(len(W), k, k)


def _per_class(r: _Rows, W: np.ndarray):
    c = _confusion(r, W)
    tp = np.diagonal(c, axis1=1, axis2=2)  # (m, k)
    return tp, c.sum(axis=2), c.sum(axis=1)  # tp, support (true), predicted


def _averaged(kind: str, average: str) -> Callable[[_Rows, np.ndarray], np.ndarray]:
    """Macro / weighted precision, recall or F1 over the classes present (as scikit-learn does)."""

    def fn(r: _Rows, W: np.ndarray) -> np.ndarray:
        tp, support, predicted = _per_class(r, W)
        if kind == "precision":
            per = _ratio(tp, predicted)
        elif kind == "recall":
            per = _ratio(tp, support)
        else:
            per = _ratio(2 * tp, support + predicted)
        if average == "weighted":
            return _ratio((per * support).sum(axis=1), support.sum(axis=1))
        present = (support + predicted) > 0
        return (per * present).sum(axis=1) / present.sum(axis=1)

    return fn


def _binary(kind: str) -> Callable[[_Rows, np.ndarray], np.ndarray]:
    """Precision, recall or F1 of class 1."""

    def fn(r: _Rows, W: np.ndarray) -> np.ndarray:
        c = _confusion(r, W)
        tp, fp, fn_ = c[:, 1, 1], c[:, 0, 1], c[:, 1, 0]
        if kind == "precision":
            return _ratio(tp, tp + fp)
        if kind == "recall":
            return _ratio(tp, tp + fn_)
        return _ratio(2 * tp, 2 * tp + fp + fn_)

    return fn


def _balanced_accuracy(r: _Rows, W: np.ndarray) -> np.ndarray:
    tp, support, _ = _per_class(r, W)
    present = support > 0
    return _ratio(tp, support).sum(axis=1) / present.sum(axis=1)


def _auc_binary(positive: np.ndarray, s: np.ndarray, W: np.ndarray) -> np.ndarray:
    """Weighted Mann-Whitney AUC (ties count one half); nan where a class has no weight."""
    order = np.argsort(s, kind="mergesort")
    s_sorted, pos = s[order], positive[order]
    Ws = W[:, order]
    starts_mask = np.r_[True, s_sorted[1:] != s_sorted[:-1]]
    group = np.cumsum(starts_mask) - 1  # tie group of each sorted row
    starts = np.flatnonzero(starts_mask)
    ends = np.r_[starts[1:], len(s_sorted)]  # exclusive
    neg_cum = np.zeros((len(W), len(s_sorted) + 1))
    np.cumsum(Ws * ~pos, axis=1, out=neg_cum[:, 1:])  # neg_cum[:, j]: negative weight of rows < j
    pos_idx = np.flatnonzero(pos)
    below = neg_cum[:, starts[group[pos_idx]]]  # negative weight strictly below each positive
    tied = neg_cum[:, ends[group[pos_idx]]] - below
    w_pos = Ws[:, pos_idx]
    n_pos, n_neg = w_pos.sum(axis=1), neg_cum[:, -1]
    out = np.full(len(W), np.nan)
    ok = (n_pos > 0) & (n_neg > 0)
    out[ok] = (w_pos * (below + 0.5 * tied)).sum(axis=1)[ok] / (n_pos[ok] * n_neg[ok])
    return out


def _roc_auc(r: _Rows, W: np.ndarray) -> np.ndarray:
    if r.k == 2:
        return _auc_binary(r.y == 1, r.proba[:, 1], W)
    per_class = [_auc_binary(r.y == c, r.proba[:, c], W) for c in range(r.k)]
    return np.mean(per_class, axis=0)  # one-vs-rest macro; nan when a class is absent


def _average_precision(r: _Rows, W: np.ndarray) -> np.ndarray:
    """Sum over distinct thresholds (descending) of recall gain times precision."""
    s = r.proba[:, 1]
    order = np.argsort(-s, kind="mergesort")
    s_sorted, pos = s[order], r.y[order] == 1
    Ws = W[:, order]
    last = np.flatnonzero(np.r_[s_sorted[1:] != s_sorted[:-1], True])  # last row of each group
    tp = np.cumsum(Ws * pos, axis=1)[:, last]
    fp = np.cumsum(Ws * ~pos, axis=1)[:, last]
    total_pos = tp[:, -1:]
    recall = _ratio(tp, total_pos)
    precision = _ratio(tp, tp + fp)
    gain = np.diff(recall, axis=1, prepend=0.0)
    out = (gain * precision).sum(axis=1)
    out[total_pos[:, 0] <= 0] = np.nan
    return out


def _mean_of(per_row: Callable[[_Rows], np.ndarray]) -> Callable[[_Rows, np.ndarray], np.ndarray]:
    def fn(r: _Rows, W: np.ndarray) -> np.ndarray:
        return (W @ per_row(r)) / W.sum(axis=1)

    return fn


def _log_loss_rows(r: _Rows) -> np.ndarray:
    eps = np.finfo(np.float64).eps
    p = np.clip(r.proba[np.arange(len(r.y)), r.y.astype(np.int64)], eps, 1 - eps)
    return -np.log(p)


def _r2(r: _Rows, W: np.ndarray) -> np.ndarray:
    total = W.sum(axis=1)
    ss_res = W @ (r.y - r.pred) ** 2
    ss_tot = W @ r.y**2 - (W @ r.y) ** 2 / total
    ss_tot = np.maximum(ss_tot, 0.0)  # rounding can make a constant target slightly negative
    constant = ss_tot <= 1e-12 * np.maximum(W @ r.y**2, 1.0)
    # scikit-learn: a constant target scores 1 when predicted exactly, else 0
    return np.where(constant, np.where(ss_res == 0, 1.0, 0.0), 1 - _ratio(ss_res, ss_tot))


def _mape(r: _Rows, W: np.ndarray) -> np.ndarray:
    nonzero = np.abs(r.y) > 1e-12
    ape = np.zeros(len(r.y))
    ape[nonzero] = np.abs((r.y[nonzero] - r.pred[nonzero]) / r.y[nonzero])
    used = W @ nonzero.astype(np.float64)
    out = np.full(len(W), np.nan)
    np.divide(W @ ape, used, out=out, where=used > 0)
    return out


# name -> weighted metric: (rows, W of shape (m, n)) -> (m,) values
VECTORISED: dict[str, Callable[[_Rows, np.ndarray], np.ndarray]] = {
    "accuracy": _mean_of(lambda r: (r.y == r.pred).astype(np.float64)),
    "balanced_accuracy": _balanced_accuracy,
    "f1": _binary("f1"),
    "precision": _binary("precision"),
    "recall": _binary("recall"),
    "macro_f1": _averaged("f1", "macro"),
    "weighted_f1": _averaged("f1", "weighted"),
    "macro_precision": _averaged("precision", "macro"),
    "macro_recall": _averaged("recall", "macro"),
    "weighted_precision": _averaged("precision", "weighted"),
    "weighted_recall": _averaged("recall", "weighted"),
    "roc_auc": _roc_auc,
    "average_precision": _average_precision,
    "log_loss": _mean_of(_log_loss_rows),
    "brier": _mean_of(lambda r: (r.proba[:, 1] - (r.y == 1)) ** 2),
    "rmse": lambda r, W: np.sqrt(_mean_of(lambda q: (q.y - q.pred) ** 2)(r, W)),
    "mae": _mean_of(lambda r: np.abs(r.y - r.pred)),
    "r2": _r2,
    "mape": _mape,
}


def _rows(task: str, y_true, y_pred, proba) -> _Rows:
    y, pred = np.asarray(y_true), np.asarray(y_pred)
    proba = None if proba is None else np.asarray(proba, dtype=np.float64)
    _check_lengths(y, y_pred=pred, proba=proba)
    if len(y) == 0:
        raise DataError("cannot bootstrap metrics on zero rows",
                        hint="evaluate on a non-empty test split")
    if task == "regression":
        return _Rows(y.astype(np.float64), pred.astype(np.float64), None, 0)
    if not (np.issubdtype(y.dtype, np.integer) and np.issubdtype(pred.dtype, np.integer)):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            "classification metrics need integer class codes; got dtypes "
            f"{y.dtype} and {pred.dtype}",
            hint="encode the target as codes 0..k-1 (the order of predict_proba's columns)",
        )
    if min(y.min(), pred.min()) < 0:
        raise DataError("class codes must be 0..k-1; got a negative code",
                        hint="encode the target as codes 0..k-1")
    seen = int(max(y.max(), pred.max())) + 1
    k = max(seen, proba.shape[1] if proba is not None else 0, 2)  # binary reads class 1 always
    return _Rows(y.astype(np.int64), pred.astype(np.int64), proba, k)


def _fallback(name: str, task: str, r: _Rows, W: np.ndarray) -> np.ndarray:
    """Any metric without a vectorised form: expand each weight row into indices and call it."""
    metric = get_metric(name, task)
    out = np.full(len(W), np.nan)
    for i, weights in enumerate(W):
        idx = np.repeat(np.arange(len(weights)), weights.astype(np.int64))
        y = r.y[idx]
        proba = None if r.proba is None else r.proba[idx]
        if computable(metric, y, proba):
            out[i] = metric.value(y, r.pred[idx], proba)
    return out


def weighted_metric_values(task: str, y_true, y_pred, proba, metric_names: Sequence[str],
                           weights: np.ndarray) -> dict[str, np.ndarray]:
    """Each metric under each row of non-negative integer ``weights`` (shape (m, n)).

    A weight row is a bootstrap resample (row ``j`` drawn ``weights[i, j]`` times). Returns
    ``{name: array of m values}``, nan where the metric is undefined on that resample (for AUC-type
    metrics: a class with no weight). Metrics that need probabilities are left out when ``proba`` is
    None.
    """
    r = _rows(task, y_true, y_pred, proba)
    W = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    if W.shape[1] != len(r.y) or (W < 0).any():
        raise DataError(f"weights must be non-negative with shape (m, {len(r.y)}); got {W.shape}",
                        hint="one weight per row, one row of weights per resample")
    out: dict[str, np.ndarray] = {}
    for name in metric_names:
        metric = get_metric(name, task)
        if metric.needs_proba and r.proba is None:
            continue
        with np.errstate(invalid="ignore", divide="ignore"):
            values = VECTORISED[name](r, W) if name in VECTORISED else _fallback(name, task, r, W)
        out[name] = np.asarray(values, dtype=np.float64)
    return out


def bootstrap_ci(task: str, y_true, y_pred, proba, metric_names: Sequence[str], n_boot: int = 1000,
                 seed: int = 0, alpha: float = 0.05) -> dict[str, tuple[float, float]]:
    """Percentile-bootstrap ``(low, high)`` interval of each metric at level ``1 - alpha``.

    ``n_boot`` resamples of the rows with replacement, drawn from ``numpy.random.default_rng(seed)``
    (the same seed gives the same intervals). Resamples on which a metric is undefined (one class
    only, for AUC-type metrics) are skipped for that metric; a metric undefined on every resample
    gets ``(nan, nan)``. Metrics that need probabilities are left out when ``proba`` is None.
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise SpecError(f"n_boot must be a positive integer; got {n_boot!r}", hint="e.g. 1000")
    if not 0 < alpha < 1:
        raise SpecError(f"alpha must be in (0, 1); got {alpha!r}", hint="0.05 gives 95 % intervals")
    n = len(np.asarray(y_true))
    for name in metric_names:
        get_metric(name, task)  # fail on an unknown name before any work
    rng = np.random.default_rng(seed)
    chunk = max(1, min(n_boot, CELLS_PER_CHUNK // max(n, 1)))
    collected: dict[str, list[np.ndarray]] = {}
    done = 0
    while done < n_boot:
        m = min(chunk, n_boot - done)
        draws = rng.integers(0, n, size=(m, n)) + (np.arange(m) * n)[:, None]
        W = np.bincount(draws.ravel(), minlength=m * n).reshape(m, n)
        for name, values in weighted_metric_values(task, y_true, y_pred, proba, metric_names,
                                                   W).items():
            collected.setdefault(name, []).append(values)
        done += m
    out: dict[str, tuple[float, float]] = {}
    for name, parts in collected.items():
        values = np.concatenate(parts)
        values = values[np.isfinite(values)]
        if values.size == 0:
            out[name] = (float("nan"), float("nan"))
            continue
        low, high = np.quantile(values, [alpha / 2, 1 - alpha / 2])
        out[name] = (float(low), float(high))
    return out

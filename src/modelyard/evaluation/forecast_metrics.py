"""Forecast accuracy, per series and over all series (``task: forecast``).

Every function takes lists of arrays, one per series (actuals, forecasts, and for MASE each
series' history before the forecast), so series of different lengths need no padding.

- ``mae``, ``rmse``: over every forecast point of every series.
- ``smape``: the M4 competition's definition, 200·|y − f| / (|y| + |f|), in percent, averaged
  over series (a point where both are 0 counts as 0).
- ``mase``: each series' MAE divided by the in-sample MAE of its seasonal naive forecast
  (season ``m``) on its own history, then averaged over series (the M4 definition).
- ``wql``: weighted quantile loss of quantile forecasts, scaled by the sum of |actuals|.
- ``coverage``: the share of actuals inside their prediction interval.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Arrays = Sequence[np.ndarray]
LOWER_IS_BETTER = {"mae": True, "rmse": True, "smape": True, "mase": True, "wql": True}


def smape_series(actual: np.ndarray, forecast: np.ndarray) -> float:
    denominator = np.abs(actual) + np.abs(forecast)
    ratio = np.divide(np.abs(actual - forecast), denominator,
                      out=np.zeros_like(denominator, dtype="float64"), where=denominator > 0)
    return float(200.0 * ratio.mean())


def seasonal_scale(history: np.ndarray, season: int) -> float:
    """The in-sample MAE of the seasonal naive forecast (the naive one when the history is not
    longer than a season); 1 for a constant or too short history, so MASE stays finite."""
    m = season if len(history) > season else 1
    if len(history) <= m:
        return 1.0
    scale = float(np.mean(np.abs(history[m:] - history[:-m])))
    return scale if scale > 0 else 1.0


def per_series(actuals: Arrays, forecasts: Arrays, histories: Arrays,
               season: int) -> dict[str, np.ndarray]:
    """Each metric for each series."""
    out: dict[str, list[float]] = {"mae": [], "rmse": [], "smape": [], "mase": []}
    for y, f, h in zip(actuals, forecasts, histories, strict=True):
        error = y - f
        mae = float(np.mean(np.abs(error)))
        out["mae"].append(mae)
        out["rmse"].append(float(np.sqrt(np.mean(error**2))))
        out["smape"].append(smape_series(y, f))
        out["mase"].append(mae / seasonal_scale(h, season))
    return {k: np.asarray(v) for k, v in out.items()}


def aggregate(actuals: Arrays, forecasts: Arrays, histories: Arrays,
              season: int) -> dict[str, float]:
    """MAE and RMSE over every point; sMAPE and MASE averaged over series."""
    y = np.concatenate(list(actuals))
    f = np.concatenate(list(forecasts))
    each = per_series(actuals, forecasts, histories, season)
    return {
        "mae": float(np.mean(np.abs(y - f))),
        "rmse": float(np.sqrt(np.mean((y - f) ** 2))),
        "smape": float(each["smape"].mean()),
        "mase": float(each["mase"].mean()),
    }


def wql(actuals: Arrays, quantiles: dict[float, Arrays]) -> float:
    """Weighted quantile loss averaged over the given quantile levels:
    2·Σ pinball_q(y, f_q) / Σ|y|."""
    y = np.concatenate(list(actuals))
    total = float(np.abs(y).sum()) or 1.0
    losses = []
    for q, forecasts in quantiles.items():
        f = np.concatenate(list(forecasts))
        diff = y - f
        losses.append(2.0 * float(np.sum(np.maximum(q * diff, (q - 1) * diff))) / total)
    return float(np.mean(losses))


def coverage(actuals: Arrays, lower: Arrays, upper: Arrays) -> float:
    y = np.concatenate(list(actuals))
    lo, hi = np.concatenate(list(lower)), np.concatenate(list(upper))
    return float(np.mean((y >= lo) & (y <= hi)))

"""Local statistical forecasters through statsmodels, one model per series, estimated on the
history each forecast starts from (see ``learners.forecast.base``).

- ``theta``: the Theta method (Assimakopoulos & Nikolopoulos; the M3 winner and a strong M4
  benchmark): the series deseasonalised when a seasonality test says so (multiplicatively for a
  positive series), a drift line and simple exponential smoothing combined
  (``statsmodels.tsa.forecasting.theta.ThetaModel``).
- ``ets``: Holt-Winters exponential smoothing with a damped additive trend and additive season
  (``statsmodels.tsa.holtwinters.ExponentialSmoothing``): the initial states from the first
  seasons (the heuristic initialisation; estimating 24 seasonal states took 2 s per hourly
  series), the smoothing parameters by least squares.

Each model is estimated on the last ``max_history`` points of its series (2,000 by default: the
starting-value search of Holt-Winters grows with the length, and a level from years ago says
little about the next day). A series too short for its season (fewer than two seasons) is fitted
without the season; one whose fit fails (a flat or degenerate series) falls back to the seasonal
naive forecast, which the forecaster counts in ``fallbacks``.
"""

from __future__ import annotations

import warnings
from abc import abstractmethod

import numpy as np

from modelyard.data.series import Panel
from modelyard.learners.forecast.base import Forecaster, Future, repeat_season


class _Local(Forecaster):
    cost_hint = 1.0
    defaults = {"max_history": 2000}

    def fit(self, panel: Panel, horizon: int) -> _Local:
        return self

    def predict(self, panel: Panel, horizon: int, future: Future | None = None) -> list[np.ndarray]:
        self.fallbacks = 0
        out = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter of thousands of small fits
            for values in panel.values:
                values = values[-int(self.params["max_history"]):]
                try:
                    forecast = np.asarray(self._one(values, horizon), dtype="float64")
                    if not np.isfinite(forecast).all():
                        raise ValueError("non-finite forecast")
                except (ValueError, np.linalg.LinAlgError, ZeroDivisionError):
                    self.fallbacks += 1
                    forecast = repeat_season(values, self.season, horizon)
                out.append(forecast)
        return out

    def _seasonal(self, values: np.ndarray) -> bool:
        return self.season > 1 and len(values) >= 2 * self.season

    @abstractmethod
    def _one(self, values: np.ndarray, horizon: int) -> np.ndarray:
        """The ``horizon`` values after ``values`` from this family's model of it."""


class Theta(_Local):
    name = "theta"
    cost_hint = 0.2

    def _one(self, values: np.ndarray, horizon: int) -> np.ndarray:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        seasonal = self._seasonal(values)
        method = "auto" if (values > 0).all() else "additive"
        model = ThetaModel(values, period=self.season if seasonal else 1,
                           deseasonalize=seasonal, method=method)
        return model.fit().forecast(horizon)


class ETS(_Local):
    name = "ets"
    cost_hint = 2.0

    def _one(self, values: np.ndarray, horizon: int) -> np.ndarray:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        seasonal = self._seasonal(values)
        model = ExponentialSmoothing(
            values, trend="add", damped_trend=True, seasonal="add" if seasonal else None,
            seasonal_periods=self.season if seasonal else None,
            initialization_method="heuristic" if seasonal else "estimated",
        )
        return model.fit().forecast(horizon)

"""The seasonal naive forecast: every step repeats the value one season earlier. The baseline
every forecaster must beat, and the scale of MASE."""

from __future__ import annotations

import numpy as np

from modelyard.data.series import Panel
from modelyard.learners.forecast.base import Forecaster, Future, repeat_season


class SeasonalNaive(Forecaster):
    name = "seasonal_naive"
    cost_hint = 0.01

    def fit(self, panel: Panel, horizon: int) -> SeasonalNaive:
        return self

    def predict(self, panel: Panel, horizon: int, future: Future | None = None) -> list[np.ndarray]:
        return [repeat_season(v, self.season, horizon) for v in panel.values]

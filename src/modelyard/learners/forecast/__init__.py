"""Forecasters (``task: forecast``): seasonal naive, ETS and Theta (statsmodels, one local model
per series) and a global LightGBM over lag, rolling-window and calendar features (recursive or
direct multi-step). Each registers itself by name in ``learners.forecast.base``; importing this
package registers them all."""

from modelyard.learners.forecast import gbm, naive, stats  # noqa: F401 - registers them
from modelyard.learners.forecast.base import (
    FORECASTERS,
    Forecaster,
    forecaster_names,
    get_forecaster,
    load_forecaster,
)

__all__ = ["FORECASTERS", "Forecaster", "forecaster_names", "get_forecaster", "load_forecaster"]

"""The ``forecast:`` section of the spec, for ``task: forecast`` (demand forecasting and every
other "what comes next in this series" question).

The rows are observations: a time column, the target, optionally a series column (many series,
one global model), known-future covariates (calendar effects, prices, promotions: columns whose
future values are known when the forecast is made) and static ones (store, category: constant
per series). The last ``horizon`` points of every series are the sealed test window; the search
compares learners on ``backtest_windows`` rolling-origin windows before it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

FORECAST_METRICS = ("mase", "smape", "mae", "rmse")
GAP_FILLS = ("error", "zero", "interpolate", "forward")


class ForecastSpec(BaseModel):
    """How the series are laid out and what to forecast."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_column: str = Field(description="Column with each observation's time stamp.")
    series_column: str | None = Field(
        None, description="Column naming the series of each row (omit for a single series)."
    )
    horizon: int = Field(ge=1, le=10_000, description="Steps ahead to forecast.")
    frequency: str | None = Field(
        None,
        description="Pandas frequency of the series ('h', 'D', 'W-FRI', 'MS', ...); inferred "
        "from the time stamps when omitted.",
    )
    date_format: str | None = Field(
        None, description="strftime format of the time column when it is text, e.g. '%d/%m/%y'."
    )
    season_length: int | None = Field(
        None,
        ge=1,
        description="Observations per seasonal cycle (default from the frequency: 24 hourly, "
        "7 daily, 52 weekly, 12 monthly, 4 quarterly, 1 otherwise).",
    )
    known_covariates: list[str] = Field(
        default_factory=list,
        description="Columns known in advance for the forecast's own time stamps (prices, "
        "promotions, holidays); a forecast request must send their future values.",
    )
    static_covariates: list[str] = Field(
        default_factory=list, description="Columns constant within a series (store, category)."
    )
    fill_gaps: Literal["error", "zero", "interpolate", "forward"] = Field(
        "error",
        description="Missing time stamps inside a series: 'error' stops and names them; 'zero' "
        "inserts zeros (counts, sales); 'interpolate' fills linearly; 'forward' repeats the "
        "last value. Missing target values are filled the same way.",
    )
    backtest_windows: int = Field(
        3, ge=1, le=20,
        description="Rolling-origin windows of `horizon` steps before the test window on which "
        "the search compares learners and the prediction intervals are calibrated.",
    )  # fmt: skip
    interval: float = Field(
        0.8, gt=0, lt=1, description="Coverage of the prediction intervals (0.8: 10%-90%)."
    )
    metric: Literal["mase", "smape", "mae", "rmse"] = Field(
        "mase",
        description="What the search minimises and the report leads with: 'mase' (scaled by "
        "each series' seasonal naive error, comparable across series), 'smape', 'mae', 'rmse'.",
    )

    @model_validator(mode="after")
    def _columns_distinct(self) -> ForecastSpec:
        named = [self.time_column, self.series_column, *self.known_covariates,
                 *self.static_covariates]  # fmt: skip
        named = [n for n in named if n]
        doubled = sorted({n for n in named if named.count(n) > 1})
        if doubled:
            raise ValueError(f"column(s) {doubled} named twice in the forecast section: the time "
                             "column, series column and covariates must be different columns")
        return self


def default_season_length(frequency: str) -> int:
    """Observations per cycle for a pandas frequency: a day for hourly data, a week for daily,
    a year for weekly, monthly and quarterly data; 1 (no season) otherwise."""
    base = frequency.lstrip("0123456789").split("-")[0].upper()
    table = {"H": 24, "BH": 24, "D": 7, "B": 5, "W": 52, "M": 12, "MS": 12, "ME": 12,
             "BM": 12, "BMS": 12, "BME": 12, "Q": 4, "QS": 4, "QE": 4, "MIN": 60, "T": 60}
    return table.get(base, 1)

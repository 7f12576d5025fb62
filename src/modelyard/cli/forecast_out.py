"""``modelyard predict`` for a forecaster: the next ``horizon`` steps of every series, with the
prediction interval, written as rows (series, time, forecast, lower, upper).

The optional input file holds rows in the training layout: rows whose target is filled are
newer observations, appended to the history the model keeps before forecasting; rows whose
target is empty carry the known covariates of the forecast's own time stamps.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from modelyard.cli.render import console, print_json


def split_rows(model: Any, frame: pd.DataFrame | None) -> tuple[pd.DataFrame | None,
                                                               pd.DataFrame | None]:
    """(newer observations, future covariate rows) of an input file."""
    if frame is None:
        return None, None
    layout = model.layout  # the model says which time or series column the rows lack
    if layout.target not in frame.columns:
        return None, frame
    observed = frame[layout.target].notna()
    history = frame[observed] if observed.any() else None
    future = frame[~observed] if (~observed).any() else None
    return history, future


def write_forecasts(loaded: Any, frame: pd.DataFrame | None, output: Path, kind: str,
                    horizon: int | None, json: bool) -> None:
    from modelyard.cli.predict_cmd import write_table

    model = loaded.model
    history, future = split_rows(model, frame)
    forecasts = model.forecast(horizon=horizon, future=future, history=history)
    write_table(forecasts, output, kind)
    report = {"model": loaded.version.model, "version": loaded.version.version,
              "series": int(forecasts.iloc[:, 0].nunique()),
              "horizon": horizon or model.layout.horizon, "rows": len(forecasts),
              "coverage": model.coverage, "output": str(output),
              "appended_observations": 0 if history is None else len(history)}
    if json:
        print_json(report)
        return
    console.print(f"{report['series']} series forecast {report['horizon']} steps ahead with "
                  f"{loaded.version.ref} ({model.coverage:.0%} intervals); written to {output}",
                  highlight=False, soft_wrap=True)  # fmt: skip

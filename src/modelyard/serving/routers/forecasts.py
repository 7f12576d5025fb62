"""``POST /v1/models/{ref}/forecast``: the next steps of one or more series from a registered
forecaster (``task: forecast``), with prediction intervals.

The body names the series (one id, a list, or nothing for every series the model knows), the
steps wanted (``horizon``, at most what the model was trained for), the known covariates of
those steps (``future``: rows with the time column, the series column and each covariate) and,
optionally, observations newer than the model's history (``history``: rows in the training
layout), appended before forecasting. A tabular model answers 400 here, and a forecaster 400 at
``/predict``, each naming the right endpoint.
"""

from __future__ import annotations

from typing import Any

import orjson
import pandas as pd
from fastapi import APIRouter, Depends, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from modelyard.model.forecast import ForecastModel
from modelyard.serving.errors import BadRequest, InvalidInput
from modelyard.serving.pool import Served
from modelyard.serving.routers.predictions import body_and_model
from modelyard.serving.state import ServerState, get_state

router = APIRouter(tags=["forecasts"])
MAX_SERIES = 10_000  # series in one answer


class ForecastRequest(BaseModel):
    """What a forecast request may hold."""

    model_config = ConfigDict(extra="forbid")

    series: str | list[str] | None = Field(
        None, description="Series id(s) to forecast; every series the model knows when omitted."
    )
    horizon: int | None = Field(None, ge=1, description="Steps ahead (default: the model's).")
    future: list[dict[str, Any]] | None = Field(
        None, description="Known covariates of the forecast steps: rows with the time column, "
        "the series column and each covariate.",
    )
    history: list[dict[str, Any]] | None = Field(
        None, description="Observations newer than the model's history, in the training layout.",
    )


RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"description": "One entry per series: time stamps, forecast, lower and upper bounds",
          "content": {"application/json": {"example": {
              "model": "demand", "version": 2, "ref": "demand", "request_id": "5f1c0d3e",
              "horizon": 2, "coverage": 0.8,
              "forecasts": [{"series": "H17", "timestamps": ["2017-05-01T00:00:00",
                                                             "2017-05-01T01:00:00"],
                             "forecast": [612.4, 588.1], "lower": [570.2, 540.9],
                             "upper": [650.3, 631.7]}]}}}},
    400: {"description": "not JSON, or the model is not a forecaster"},
    404: {"description": "no such model, alias or version"},
    422: {"description": "unknown series, a horizon too long, covariates missing"},
}


def parse(body: bytes) -> ForecastRequest:
    if not body.strip():
        return ForecastRequest()
    try:
        return ForecastRequest.model_validate_json(body)
    except ValidationError as err:
        problems = err.errors(include_url=False)
        if problems and problems[0]["type"] == "json_invalid":
            raise BadRequest(f"the request body is not valid JSON: {problems[0]['msg']}",
                             hint='send e.g. {"series": "H17", "horizon": 24}') from None
        details = [{"field": ".".join(str(p) for p in e["loc"]), "problem": e["msg"]}
                   for e in problems]
        raise InvalidInput("; ".join(f"{d['field']}: {d['problem']}" for d in details),
                           hint="fields: series, horizon, future, history",
                           details=details) from None


def answer(served: Served, body: bytes) -> dict[str, Any]:
    model = served.bundle
    if not isinstance(model, ForecastModel):
        raise BadRequest(f"{served.version.ref} is a {model.task} model, not a forecaster",
                         hint=f"POST its rows to /v1/models/{served.version.model}/predict")
    request = parse(body)
    series = [request.series] if isinstance(request.series, str) else request.series
    if series is not None and len(series) > MAX_SERIES:
        raise InvalidInput(f"{len(series)} series asked for; at most {MAX_SERIES} per request",
                           hint="split the request")
    future = pd.DataFrame(request.future) if request.future else None
    history = pd.DataFrame(request.history) if request.history else None
    frame = model.forecast(series=series, horizon=request.horizon, future=future,
                           history=history)
    key = frame.columns[0]
    time_column = model.layout.time_column
    forecasts = []
    for sid, rows in frame.groupby(key, sort=False):
        forecasts.append({
            "series": str(sid),
            "timestamps": [t.isoformat() for t in rows[time_column]],
            "forecast": rows["forecast"].tolist(), "lower": rows["lower"].tolist(),
            "upper": rows["upper"].tolist(),
        })  # fmt: skip
    return {"horizon": request.horizon or model.layout.horizon, "coverage": model.coverage,
            "forecasts": forecasts}


@router.post(
    "/models/{ref}/forecast",
    name="forecast",
    summary="Forecast the next steps of series with a forecaster: 'name', 'name@alias' or "
    "'name:version'",
    responses=RESPONSES,
    openapi_extra={"requestBody": {"required": False, "content": {"application/json": {
        "schema": ForecastRequest.model_json_schema()}}}},
)
async def forecast(ref: str, request: Request, state: ServerState = Depends(get_state)) -> Any:
    body, served = await body_and_model(ref, request, state)
    name, version = served.key
    result = await run_in_threadpool(answer, served, body)
    payload = {"model": name, "version": version, "ref": ref,
               "request_id": request.state.request_id, **result}
    return Response(orjson.dumps(payload), media_type="application/json")

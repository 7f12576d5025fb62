"""Probes and metrics: ``/healthz`` (the process answers), ``/readyz`` (models loaded) and
``/metrics``.

None of them needs an API key: load balancers and Prometheus scrape them without one. They show
model names and versions, never inputs or keys.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from modelyard.serving.metrics import CONTENT_TYPE
from modelyard.serving.state import ServerState, get_state

router = APIRouter(tags=["health"])


@router.get("/healthz", name="healthz", summary="Liveness: the server process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    name="readyz",
    summary="Readiness: every configured model is loaded (503 until then)",
    responses={503: {"description": "still loading, or a configured model cannot be loaded"}},
)
async def readyz(state: ServerState = Depends(get_state)) -> JSONResponse:
    pool = state.pool
    if pool is None:
        return JSONResponse({"status": "starting", "models": {}}, status_code=503)
    models = {ref: served.version.version for ref, served in pool.served()}
    errors = pool.errors()
    body = {"status": "ready" if pool.ready else "loading", "models": models}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=200 if pool.ready else 503)


METRICS_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every counter, histogram and gauge in the Prometheus text exposition "
        f"format ({CONTENT_TYPE}), for a Prometheus scrape",
        "content": {
            "text/plain": {
                "schema": {"type": "string"},
                "example": "# HELP modelyard_predicted_rows_total Rows predicted\n"
                "# TYPE modelyard_predicted_rows_total counter\n"
                'modelyard_predicted_rows_total{model="churn",version="3"} 42.0\n',
            }
        },
    }
}


@router.get(
    "/metrics",
    name="metrics",
    summary="Prometheus metrics in the text format",
    response_class=PlainTextResponse,
    responses=METRICS_DOC,
)
async def metrics(state: ServerState = Depends(get_state)) -> Response:
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)

"""Probes and metrics: ``/healthz`` (the process answers), ``/readyz`` (models loaded) and
``/metrics``.

None of them needs an API key: load balancers and Prometheus scrape them without one. They show
model names and versions, never inputs or keys.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

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


@router.get("/metrics", name="metrics", summary="Prometheus metrics in the text format")
async def metrics(state: ServerState = Depends(get_state)) -> Response:
    return Response(state.metrics.render(), media_type=CONTENT_TYPE)

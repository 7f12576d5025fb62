"""Probes and metrics: ``/healthz`` (the process answers), ``/readyz`` (models loaded) and
``/metrics``.

None of them needs an API key: load balancers and Prometheus scrape them without one. They show
model names, versions and why a model cannot answer (in words fit for a client: no server paths
or store URLs), never inputs or keys.

``/readyz`` reports per model. It answers 200 once the first round of loading is over and at least
one configured reference answers: ``ready`` when all do, ``degraded`` when some failed (they are
listed under ``errors`` with the reason; the others keep serving). It answers 503 while the models
are loading (``loading``) and when none can answer (``unavailable``). ``/readyz?model=REF`` is the
same question for one served reference: 200 when it answers, 503 when it cannot, 404 when the
server does not serve it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse, PlainTextResponse

from modelyard.errors import ModelyardError, did_you_mean
from modelyard.serving.errors import Redactor, UnknownModel
from modelyard.serving.metrics import CONTENT_TYPE
from modelyard.serving.pool import ModelPool
from modelyard.serving.state import ServerState, get_state

router = APIRouter(tags=["health"])


@router.get("/healthz", name="healthz", summary="Liveness: the server process answers")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


READYZ_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Every configured model answers (status 'ready'), or some do and the "
        "others are listed under 'errors' (status 'degraded')",
        "content": {
            "application/json": {
                "example": {
                    "status": "degraded",
                    "models": {"churn": 3},
                    "errors": {
                        "demand": {
                            "type": "ModelUnavailable",
                            "message": "model version demand:2 is unavailable: file 'learner/"
                            "model.txt' of directory sha256:9f2c... is corrupt: ...",
                            "hint": "this version cannot answer until the server's operator "
                            "restores its files ...",
                        }
                    },
                }
            }
        },
    },
    503: {"description": "still loading (status 'loading'), or no configured model can answer "
          "(status 'unavailable'); with ?model=REF, that reference cannot answer"},
    404: {"description": "with ?model=REF: the server does not serve that reference"},
}


@router.get(
    "/readyz",
    name="readyz",
    summary="Readiness, per model: which served references answer, which cannot and why",
    responses=READYZ_DOC,
)
async def readyz(
    model: str | None = Query(
        None, description="One served reference ('churn', 'churn@production'): 200 when it "
        "answers, 503 when it cannot"
    ),
    state: ServerState = Depends(get_state),
) -> JSONResponse:
    pool = state.pool
    if pool is None:
        return JSONResponse({"status": "starting", "models": {}}, status_code=503)
    if model is not None:
        return _one(pool, model, state.redact)
    models = {ref: served.version.version for ref, served in pool.served()}
    errors = {ref: _reason(err, state.redact) for ref, err in pool.failures().items()}
    if not pool.started:
        status = "loading"
    elif not pool.ready:
        status = "unavailable"
    else:
        status = "degraded" if errors else "ready"
    body: dict[str, Any] = {"status": status, "models": models}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status_code=200 if pool.ready else 503)


def _one(pool: ModelPool, ref: str, redact: Redactor) -> JSONResponse:
    """Readiness of one served reference."""
    slot = pool.slots.get(ref)
    if slot is None:
        refs = [s.ref for s in pool.snapshot()]
        raise UnknownModel(
            f"this server does not serve {ref!r}" + (f"; it serves {', '.join(refs)}" if refs
                                                      else "; it serves no model yet"),
            hint=did_you_mean(ref, refs) if refs else "GET /readyz lists what the server serves",
        )  # fmt: skip
    body: dict[str, Any] = {"ref": ref, "status": "ready" if slot.current else "loading"}
    if slot.current is not None:
        body["version"] = slot.current.version.version
    if slot.failure is not None:
        body["error"] = _reason(slot.failure, redact)
        if slot.current is None:
            body["status"] = "unavailable"
    return JSONResponse(body, status_code=200 if slot.current else 503)


def _reason(err: ModelyardError, redact: Redactor) -> dict[str, Any]:
    """Why a reference cannot answer, as an error body's ``error`` object a client may see."""
    reason: dict[str, Any] = {"type": type(err).__name__, "message": redact(err.message)}
    if err.hint:
        reason["hint"] = redact(err.hint)
    return reason


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

"""``GET /v1/models`` (what the server serves) and ``GET /v1/models/{ref}`` (one model in detail:
input schema, outputs, metrics, version and aliases)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import SQLAlchemyError

from modelyard.serving.errors import NotReady
from modelyard.serving.inputs import policy_of
from modelyard.serving.pool import Served, model_name
from modelyard.serving.state import ServerState, get_state

router = APIRouter(tags=["models"])


def _summary(ref: str, served: Served) -> dict[str, Any]:
    version = served.version
    return {
        "ref": ref,
        "model": version.model,
        "version": version.version,
        "task": served.bundle.task,
        "learner": served.bundle.learner_name,
        "loaded_at": served.loaded_at.isoformat(),
        "load_seconds": round(served.load_seconds, 4),
    }


@router.get("/models", name="list_models", summary="The models this server answers with")
async def list_models(request: Request, state: ServerState = Depends(get_state)) -> dict[str, Any]:
    pool = state.live_pool
    key = request.state.api_key
    served = [
        _summary(ref, s) for ref, s in pool.served() if key is None or key.allows(model_name(ref))
    ]
    return {"models": served, "ready": pool.ready}


@router.get(
    "/models/{ref}",
    name="describe_model",
    summary="One model: input schema, outputs, metrics, version and aliases",
    responses={404: {"description": "no such model, alias or version"}},
)
async def describe_model(
    ref: str, request: Request, state: ServerState = Depends(get_state)
) -> dict[str, Any]:
    pool = state.live_pool
    served = pool.lookup(ref) or await run_in_threadpool(pool.get, ref)
    request.state.model, request.state.version = served.key
    try:  # the aliases as of now, not as of loading
        info = await run_in_threadpool(pool.registry.store.get_model, served.version.model)
    except SQLAlchemyError as err:
        raise NotReady(
            f"cannot read model {served.version.model!r} from the metadata store right now",
            hint="check that the database is reachable, then retry",
        ) from err
    version = served.version
    return {
        **_summary(ref, served),
        "aliases": info.aliases,
        "version_aliases": sorted(a for a, v in info.aliases.items() if v == version.version),
        "latest_version": info.latest_version,
        "classes": [str(c) for c in served.bundle.classes or []] or None,
        "outputs": served.bundle.output_columns(),
        "metrics": version.metrics,
        "run_id": version.run_id,
        "created_at": version.created_at.isoformat(),
        "description": version.description,
        "input_schema": served.request.json_schema(),
        "unseen_categories": policy_of(version.tags),  # error | warn | ignore (serving.inputs)
        "columns": [
            {
                "name": c.name,
                "kind": c.kind,
                "categories": list(c.categories or []) or None,
                **({"spellings": list(c.spellings)} if c.spellings is not None else {}),
            }
            for c in served.request.columns
        ],
    }

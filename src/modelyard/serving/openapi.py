"""OpenAPI with a request schema per served model.

FastAPI documents the generic ``POST /v1/models/{ref}/predict`` route. This adds, for every
reference the server answers with, a concrete path (``/v1/models/churn@production/predict``) whose
request body is that version's generated record schema (or a list of them), and the record schemas
under ``components.schemas``. The document is rebuilt whenever the pool swaps or loads a version.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from modelyard.serving.state import ServerState

GENERIC_PATH = "/v1/models/{ref}/predict"


def install_openapi(app: FastAPI, state: ServerState) -> None:
    """Replace ``app.openapi`` with a builder that adds the per-model request schemas."""
    built: dict[str, Any] = {"generation": None, "schema": None}

    def openapi() -> dict[str, Any]:
        generation = state.pool.generation if state.pool is not None else -1
        if built["schema"] is not None and built["generation"] == generation:
            return built["schema"]
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        _add_security(schema, required=state.config.require_keys)
        if state.pool is not None:
            _add_models(schema, state)
        built.update(generation=generation, schema=schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_security(schema: dict[str, Any], *, required: bool) -> None:
    """Declare the Bearer API key on every /v1 operation (optional where keys are optional)."""
    components = schema.setdefault("components", {})
    components.setdefault("securitySchemes", {})["apiKey"] = {
        "type": "http",
        "scheme": "bearer",
        "description": "a key from `modelyard keys create`",
    }
    security = [{"apiKey": []}] if required else [{}, {"apiKey": []}]
    for path, operations in schema.get("paths", {}).items():
        if path.startswith("/v1/"):
            for operation in operations.values():
                operation["security"] = security


def _add_models(schema: dict[str, Any], state: ServerState) -> None:
    paths = schema.setdefault("paths", {})
    generic = paths.get(GENERIC_PATH, {}).get("post")
    if generic is None:
        return
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    assert state.pool is not None, "the pool exists while models are added"
    for ref, served in state.pool.served():
        record = served.request.record
        record_schema = served.request.json_schema()
        components[record.__name__] = record_schema
        target = {"$ref": f"#/components/schemas/{record.__name__}"}
        operation = copy.deepcopy(generic)
        operation["summary"] = f"Predict with {ref} (version {served.version.version})"
        operation["operationId"] = f"predict_{record.__name__}_{len(paths)}"
        operation["parameters"] = []
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"oneOf": [target, {"type": "array", "items": target, "minItems": 1}]}
                }
            },
        }
        paths[f"/v1/models/{ref}/predict"] = {"post": operation}

"""OpenAPI with a request schema per served model, shown only to keys that may use the model.

FastAPI documents the generic ``POST /v1/models/{ref}/predict`` route. This adds, for every
reference the server answers with, a concrete path (``/v1/models/churn@production/predict``) whose
request body is that version's generated record schema (or a list of them), and the record schemas
under ``components.schemas``. The whole document is rebuilt whenever the pool swaps or loads a
version; ``OpenApiDocs.for_key`` then leaves out the paths and schemas of models a key limited to
other models may not use (the record schemas list a model's columns and category values).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from modelyard.registry.keys import KeyInfo
from modelyard.serving.state import ServerState

GENERIC_PATH = "/v1/models/{ref}/predict"


@dataclass(frozen=True)
class _Built:
    """The whole document of one pool generation, and the model each added part belongs to."""

    generation: int
    schema: dict[str, Any]
    path_model: dict[str, str] = field(default_factory=dict)  # '/v1/models/churn/predict' -> churn
    component_model: dict[str, str] = field(default_factory=dict)  # 'churn_v1_Record' -> churn


class OpenApiDocs:
    """Builds (and caches) the document, whole or as one API key may see it."""

    def __init__(self, app: FastAPI, state: ServerState) -> None:
        self.app = app
        self.state = state
        self._built: _Built | None = None
        self._by_models: dict[tuple[str, ...], dict[str, Any]] = {}  # for the current generation
        self._lock = threading.Lock()

    def full(self) -> dict[str, Any]:
        """The document with every served model."""
        return self._current().schema

    def for_key(self, key: KeyInfo | None) -> dict[str, Any]:
        """The document as ``key`` may see it: every model, or only those it is limited to."""
        built = self._current()
        if key is None or key.models is None:
            return built.schema
        allowed = tuple(sorted(key.models))
        with self._lock:
            if self._built is built and allowed in self._by_models:
                return self._by_models[allowed]
        document = _limited(built, set(allowed))
        with self._lock:
            if self._built is built:
                self._by_models[allowed] = document
        return document

    def _current(self) -> _Built:
        pool = self.state.pool
        generation = pool.generation if pool is not None else -1
        built = self._built
        if built is not None and built.generation == generation:
            return built
        app = self.app
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        _add_security(schema, required=self.state.config.require_keys)
        built = _Built(generation, schema)
        if pool is not None:
            _add_models(built, self.state)
        with self._lock:
            self._built, self._by_models = built, {}
        return built


def install_openapi(app: FastAPI, state: ServerState) -> OpenApiDocs:
    """Make ``app.openapi()`` the whole per-model document; returns the builder for the routes
    that serve it per key (``routers.docs``)."""
    docs = OpenApiDocs(app, state)
    app.openapi = docs.full  # type: ignore[method-assign]
    app.state.openapi_docs = docs
    return docs


def _limited(built: _Built, allowed: set[str]) -> dict[str, Any]:
    """A shallow copy of the document without the paths and schemas of models not in ``allowed``
    (the generic routes and schemas belong to no model and stay)."""

    def keep(owner: str | None) -> bool:
        return owner is None or owner in allowed

    document = dict(built.schema)
    paths = built.schema.get("paths", {})
    document["paths"] = {p: item for p, item in paths.items() if keep(built.path_model.get(p))}
    components = dict(built.schema.get("components", {}))
    schemas = components.get("schemas", {})
    components["schemas"] = {
        name: item for name, item in schemas.items() if keep(built.component_model.get(name))
    }
    document["components"] = components
    return document


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


def _add_models(built: _Built, state: ServerState) -> None:
    paths = built.schema.setdefault("paths", {})
    generic = paths.get(GENERIC_PATH, {}).get("post")
    if generic is None:
        return
    components = built.schema.setdefault("components", {}).setdefault("schemas", {})
    assert state.pool is not None, "the pool exists while models are added"
    for ref, served in state.pool.served():
        record = served.request.record
        model = served.version.model
        components[record.__name__] = served.request.json_schema()
        built.component_model[record.__name__] = model
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
        path = f"/v1/models/{ref}/predict"
        paths[path] = {"post": operation}
        built.path_model[path] = model

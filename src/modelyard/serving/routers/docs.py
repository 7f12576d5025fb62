"""The API docs: ``/openapi.json``, Swagger UI at ``/docs`` and ReDoc at ``/redoc``.

They need an API key wherever /v1 does (``auth.require_docs_key``: a browser asks for it), and a
key limited to some models sees only those models' request schemas. The pages load their
JavaScript, CSS and icon from this server (``/docs/assets``: the files the ``fastapi-offline``
package ships), never from a CDN, so they work on a machine without internet access.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from modelyard.errors import ServingError
from modelyard.registry.keys import KeyInfo
from modelyard.serving.auth import require_docs_key

ASSETS_URL = "/docs/assets"
OPENAPI_URL = "/openapi.json"
SWAGGER_JS, SWAGGER_CSS = "swagger-ui-bundle.js", "swagger-ui.css"
REDOC_JS, FAVICON = "redoc.standalone.js", "favicon.png"

router = APIRouter(include_in_schema=False)
DocsKey = Annotated[KeyInfo | None, Depends(require_docs_key)]


def assets_dir() -> Path:
    """The folder of Swagger UI and ReDoc files installed with the ``fastapi-offline`` package."""
    folder = Path(str(resources.files("fastapi_offline") / "static"))
    wanted = (SWAGGER_JS, SWAGGER_CSS, REDOC_JS, FAVICON)
    missing = [name for name in wanted if not (folder / name).is_file()]
    if missing:  # a fastapi-offline release that moved its files: pyproject.toml pins the range
        raise ServingError(
            f"the API docs' files {', '.join(missing)} are not under {folder}",
            hint="reinstall the version modelyard pins: pip install 'fastapi-offline>=1.7,<2'",
        )
    return folder


def install_docs(app: FastAPI) -> None:
    """Add the docs routes and the static files they load (the files need no key: they hold no
    data)."""
    app.include_router(router)
    app.mount(ASSETS_URL, StaticFiles(directory=assets_dir()), name="docs_assets")


@router.get(OPENAPI_URL, name="openapi")
async def openapi(request: Request, key: DocsKey) -> JSONResponse:
    return JSONResponse(request.app.state.openapi_docs.for_key(key))


@router.get("/docs", name="swagger_ui")
async def swagger_ui(request: Request, _: DocsKey) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=root + OPENAPI_URL,
        title=f"{request.app.title} - API docs",
        swagger_js_url=f"{root}{ASSETS_URL}/{SWAGGER_JS}",
        swagger_css_url=f"{root}{ASSETS_URL}/{SWAGGER_CSS}",
        swagger_favicon_url=f"{root}{ASSETS_URL}/{FAVICON}",
        # no validator badge: it sends the document's URL to validator.swagger.io
        swagger_ui_parameters={"validatorUrl": None},
    )


@router.get("/redoc", name="redoc")
async def redoc(request: Request, _: DocsKey) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_redoc_html(
        openapi_url=root + OPENAPI_URL,
        title=f"{request.app.title} - API reference",
        redoc_js_url=f"{root}{ASSETS_URL}/{REDOC_JS}",
        redoc_favicon_url=f"{root}{ASSETS_URL}/{FAVICON}",
        with_google_fonts=False,
    )

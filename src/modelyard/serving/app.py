"""``create_app(settings, config)``: the model server as a FastAPI app.

Nothing happens at import or construction time. The lifespan handler opens the registry, loads
the API keys and starts the prediction-log writer, then starts one background task that loads the
served models (``/readyz`` turns 200 when they are in) and afterwards re-resolves every served
reference each ``swap_interval_s`` seconds (hot swap) and reloads the keys. On shutdown it stops
that task, flushes the prediction log and closes the registry.

Routes: ``/healthz``, ``/readyz``, ``/metrics`` (no key); under ``/v1`` (API key checked by
the router's one dependency): ``GET /models``, ``GET /models/{ref}``,
``POST /models/{ref}/predict``, ``POST /models/{ref}/feedback`` (ground truth; always needs a
key); the API docs ``/openapi.json``, ``/docs`` and ``/redoc`` (the same
key check; a limited key sees only its models), whose assets are served locally.

Keys are required unless ``config.require_keys`` is False, which ``modelyard serve`` chooses only
on a loopback address without ``--require-keys`` (``config.keys_required``). Every request with a
body must send it as JSON (``json_body.require_json``: 415 otherwise), which keeps web pages from
forging requests; routes that change the store will also require a key (``auth.require_write_key``).

A model that cannot be loaded makes only itself unavailable (503); ``/readyz`` says which models
answer and why the others do not. No error body names the server's folders or store URL
(``errors.Redactor``); the log keeps the full text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from anyio import to_thread
from fastapi import APIRouter, Depends, FastAPI

from modelyard import __version__
from modelyard.registry.keys import ApiKeys
from modelyard.registry.registry import Registry
from modelyard.serving.auth import KeyRing, require_key
from modelyard.serving.config import ServeConfig, check_bind
from modelyard.serving.errors import Redactor, install_handlers
from modelyard.serving.json_body import require_json
from modelyard.serving.metrics import RequestMiddleware, ServingMetrics
from modelyard.serving.openapi import install_openapi
from modelyard.serving.pool import ModelPool
from modelyard.serving.predlog import PredictionLog
from modelyard.serving.routers import feedback, forecasts, health, models, predictions
from modelyard.serving.routers.docs import install_docs
from modelyard.serving.state import ServerState
from modelyard.settings import Settings

log = logging.getLogger("modelyard.serving")

PREDICTIONS_DIR = "predictions"  # the prediction log lives in <home>/predictions


def create_app(settings: Settings, config: ServeConfig | None = None) -> FastAPI:
    """The model-server app for the registry of ``settings``, serving what ``config`` says."""
    config = config or ServeConfig()
    redact = Redactor.for_settings(settings)
    state = ServerState(settings=settings, config=config, metrics=ServingMetrics(), redact=redact)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await to_thread.run_sync(_open, state)
        background = asyncio.create_task(_load_and_swap(state), name="modelyard-hot-swap")
        try:
            yield
        finally:
            background.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await background
            await to_thread.run_sync(_close, state)

    app = FastAPI(
        title="modelyard model server",
        version=__version__,
        description="Predictions from registered modelyard models. Send `Authorization: Bearer "
        "<key>` on /v1 routes (keys come from `modelyard keys create`).",
        lifespan=lifespan,
        openapi_url=None,  # routers.docs serves the document, the pages and their assets
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(require_json)],  # every route, present and future
    )
    app.state.serving = state
    v1 = APIRouter(prefix="/v1", dependencies=[Depends(require_key)])
    v1.include_router(models.router)
    v1.include_router(predictions.router)
    v1.include_router(forecasts.router)
    v1.include_router(feedback.router)
    app.include_router(health.router)
    app.include_router(v1)
    install_docs(app)
    install_handlers(app, redact)
    install_openapi(app, state)
    app.add_middleware(RequestMiddleware, metrics=state.metrics)
    return app


def _open(state: ServerState) -> None:
    """Open the registry, read the keys, start the log writer (blocking: runs in a thread)."""
    registry = Registry.open(state.settings)
    try:
        keyring = KeyRing(ApiKeys(registry.store), required=state.config.require_keys)
        keyring.reload()
    except BaseException:
        registry.close()
        raise
    state.registry, state.keyring = registry, keyring
    state.metrics.monitor.attach(registry.store)
    state.pool = ModelPool(registry, state.config, state.metrics)
    if state.config.log_predictions:
        state.predlog = PredictionLog(
            state.settings.home / PREDICTIONS_DIR,
            batch_rows=state.config.log_batch_rows,
            flush_s=state.config.log_flush_s,
            metrics=state.metrics,
        ).start()


def _close(state: ServerState) -> None:
    """Flush the prediction log and close the registry (blocking: runs in a thread)."""
    if state.predlog is not None:
        state.predlog.close()
    state.metrics.monitor.detach()
    if state.registry is not None:
        state.registry.close()


async def _load_and_swap(state: ServerState) -> None:
    """Load the served models, then re-resolve them (and reload keys) every interval. A failure
    of the whole round (the store does not answer) is logged when it starts or changes, not
    every interval; per-model failures are the pool's to log."""
    pool, keyring = state.pool, state.keyring
    assert pool is not None and keyring is not None, "the lifespan opens the pool first"
    failing: str | None = None  # the round failure last logged
    while True:  # the first round loads the models
        try:
            await to_thread.run_sync(pool.refresh)
            await to_thread.run_sync(keyring.reload)
        except Exception as err:  # noqa: BLE001 - a store hiccup must not end hot swap for good
            text = f"{type(err).__name__}: {err}"
            if text != failing:
                log.error("%s the served models or API keys failed; retrying every %s s (logged "
                          "again when the error changes)", "refreshing" if pool.started
                          else "loading", state.config.swap_interval_s, exc_info=err)  # fmt: skip
            failing = text
        else:
            if failing is not None:
                log.info("the served models and API keys refresh again")
            failing = None
        await asyncio.sleep(state.config.swap_interval_s)


def preflight(settings: Settings, config: ServeConfig, host: str) -> list[str]:
    """Checks before a server starts: keys where required, and every configured model resolves.

    Raises ``ServingError`` (no key where one is required) or ``NotFound`` (a configured reference
    names nothing); returns what each configured reference resolves to, e.g. ['churn@production
    -> churn:3'], for the start-up message.
    """
    with Registry.open(settings) as registry:
        check_bind(host, config.require_keys, len(ApiKeys(registry.store).active_by_hash()))
        return [f"{ref} -> {registry.store.resolve(ref).ref}" for ref in config.models]

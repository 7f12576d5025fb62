"""What a running server holds, handed to route handlers by the ``get_state`` dependency.

Handlers never reach for a global: they declare ``state: ServerState = Depends(get_state)``, and a
test can swap the whole state with ``app.dependency_overrides[get_state]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from modelyard.registry.registry import Registry
from modelyard.serving.auth import KeyRing
from modelyard.serving.config import ServeConfig
from modelyard.serving.errors import NotReady, Redactor
from modelyard.serving.metrics import ServingMetrics
from modelyard.serving.pool import ModelPool
from modelyard.serving.predlog import PredictionLog
from modelyard.settings import Settings


@dataclass
class ServerState:
    """The settings, configuration and live parts of one app (the parts exist while it runs)."""

    settings: Settings
    config: ServeConfig
    metrics: ServingMetrics
    redact: Redactor = field(default_factory=Redactor)  # makes a message fit for a client
    registry: Registry | None = None
    pool: ModelPool | None = None
    keyring: KeyRing | None = None
    predlog: PredictionLog | None = None

    @property
    def live_pool(self) -> ModelPool:
        """The model pool, or 503 while the app has not started (or has stopped)."""
        if self.pool is None:
            raise NotReady("the server is not running its models yet", hint="retry in a moment")
        return self.pool


def get_state(request: Request) -> ServerState:
    """Dependency: the state of the app that received the request."""
    return request.app.state.serving

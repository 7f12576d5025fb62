"""Prometheus metrics of one server, in a registry of its own (two apps never share counters);
a server with several worker processes adds up theirs (``serving.workers``).

``RequestMiddleware`` (plain ASGI, so it adds microseconds, not a task per request) gives every
HTTP request an id (the client's ``X-Request-ID`` when it is sane, else a new one), echoes it in
the response header, and counts and times the request. Route handlers label a request with the
model and version that answered by setting ``request.state.model`` / ``.version``; requests that
never reached a model carry empty labels, so random URLs cannot blow up the label set.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.multiprocess import MultiProcessCollector

from modelyard.serving.monitor_gauges import StoreGauges
from modelyard.serving.workers import multiprocess_dir

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
                   Awaitable[None]]  # fmt: skip

CONTENT_TYPE = CONTENT_TYPE_LATEST
# request latency buckets: 0.5 ms .. 10 s, dense where single-record predictions fall
LATENCY_BUCKETS = (0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.075,
                   0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)  # fmt: skip
LOAD_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_SANE_ID = re.compile(r"[A-Za-z0-9._\-]{1,64}")


class ServingMetrics:
    """The server's counters, histograms and gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = ["endpoint", "model", "version"]
        self.requests = Counter(
            "modelyard_requests", "HTTP requests answered, by endpoint, model, version and status",
            [*labels, "status"], registry=self.registry,
        )  # fmt: skip
        self.errors = Counter(
            "modelyard_request_errors", "HTTP requests answered with a 4xx or 5xx status",
            [*labels, "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "modelyard_request_duration_seconds", "Time from request start to response end",
            labels, buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.rows = Counter(
            "modelyard_predicted_rows", "Rows predicted", ["model", "version"],
            registry=self.registry,
        )  # fmt: skip
        self.load_seconds = Histogram(
            "modelyard_model_load_seconds", "Time to fetch, verify and load a model version",
            ["model", "version"], buckets=LOAD_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.served_version = Gauge(
            "modelyard_served_version", "The version each served reference answers with",
            ["ref"], registry=self.registry, multiprocess_mode="mostrecent",
        )  # fmt: skip
        self.swaps = Counter(
            "modelyard_model_swaps", "Hot swaps to a new version", ["ref"], registry=self.registry
        )
        self.swap_errors = Counter(
            "modelyard_model_refresh_errors", "Failed re-resolutions or reloads of a reference",
            ["ref"], registry=self.registry,
        )  # fmt: skip
        self.unseen = Counter(
            "modelyard_unseen_categories",
            "Input values of a categorical column that no training row held (counted whatever "
            "the version's predict.unseen_categories policy), by model, version and column",
            ["model", "version", "column"], registry=self.registry,
        )  # fmt: skip
        self.log_rows = Counter(
            "modelyard_prediction_log_rows", "Rows written to the prediction log", ["model"],
            registry=self.registry,
        )  # fmt: skip
        self.log_dropped = Counter(
            "modelyard_prediction_log_dropped_rows",
            "Rows not logged because the log queue was full or a write failed",
            registry=self.registry,
        )
        # drift, live metric and last retrain, as modelyard watch stored them (attached at start)
        self.monitor = StoreGauges()
        self.registry.register(self.monitor)

    def observe(self, scope: Scope, status: int, seconds: float) -> None:
        """Count and time one finished request."""
        state = scope.get("state") or {}
        route = scope.get("route")
        endpoint = getattr(route, "name", None) or "unmatched"
        model, version = state.get("model", ""), str(state.get("version", ""))
        self.requests.labels(endpoint, model, version, str(status)).inc()
        if status >= 400:
            self.errors.labels(endpoint, model, version, str(status)).inc()
        self.latency.labels(endpoint, model, version).observe(seconds)

    def render(self) -> bytes:
        """Everything in the Prometheus text format; with several workers
        (``serving.workers``), every worker's values added up."""
        folder = multiprocess_dir()
        if folder is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=folder)
        registry.register(self.monitor)
        return generate_latest(registry)


def request_id_from(scope: Scope) -> str:
    """The client's X-Request-ID when it is short and plain, else a fresh random id."""
    for key, value in scope.get("headers") or ():
        if key == b"x-request-id":
            text = value.decode("latin-1")
            if _SANE_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


class RequestMiddleware:
    """Request id in, ``X-Request-ID`` out, and one observation per request."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers") or [])
                headers.append((b"x-request-id", request_id.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.observe(scope, status, time.perf_counter() - started)

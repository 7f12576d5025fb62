"""Several server processes on one port: ``modelyard serve --workers N``.

One Python process answers one request at a time on its CPU work (the GIL), so a server that
should use several cores runs several processes. The parent binds the socket, then a uvicorn
supervisor starts ``N`` worker processes that all accept on it (the kernel hands each new
connection to one of them), restarts a worker that dies, and on Ctrl-C or SIGTERM stops them all,
each flushing its prediction log.

A worker is a new interpreter (spawned, not forked): it reads what to serve from the environment
(``WORKER_ENV``: the store and the ``ServeConfig`` as JSON) and builds its app with ``create_app``.
Each worker loads the served models, reloads the keys and re-resolves aliases on its own, and
writes its own prediction-log files (their names carry the process id).

``/metrics`` must count what every worker did, not what the one that happens to answer the
scrape did: the parent points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder before the workers
start, prometheus_client then keeps each worker's values in files there, and
``ServingMetrics.render`` adds them up (``multiprocess_dir``). The folder is removed when the server
stops.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from modelyard.errors import ServingError
from modelyard.serving.config import ServeConfig
from modelyard.settings import Settings

WORKER_ENV = "MODELYARD_SERVE_WORKER"  # JSON: {"home", "db_url", "config": ServeConfig fields}
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"  # prometheus_client's own variable
MAX_WORKERS = 64


def check_workers(workers: int) -> None:
    """Refuse a worker count outside 1..MAX_WORKERS (ServingError with a hint)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= MAX_WORKERS:
        cores = os.cpu_count() or 1
        raise ServingError(
            f"--workers must be a whole number from 1 to {MAX_WORKERS}, received {workers!r}",
            hint=f"one per core is a good start: this machine has {cores} (--workers {cores})",
        )


def worker_environment(settings: Settings, config: ServeConfig) -> str:
    """What a worker needs to build its app, as the JSON text ``app_from_environment`` reads."""
    return json.dumps(
        {"home": str(settings.home), "db_url": settings.db_url, "config": asdict(config)}
    )


def app_from_environment() -> FastAPI:
    """The app of one worker process (uvicorn calls this factory in each worker)."""
    from modelyard.serving.app import create_app

    text = os.environ.get(WORKER_ENV)
    if not text:
        raise ServingError(
            f"{WORKER_ENV} is not set: this factory builds the app of a worker that "
            "`modelyard serve --workers N` started",
            hint="start the server with `modelyard serve --workers N`",
        )
    spec: dict[str, Any] = json.loads(text)
    fields = dict(spec["config"])
    fields["models"] = tuple(fields.get("models") or ())
    return create_app(Settings(home=Path(spec["home"]), db_url=spec["db_url"]),
                      ServeConfig(**fields))  # fmt: skip


def run_workers(settings: Settings, config: ServeConfig, sock: socket.socket, workers: int,
                *, log_level: str, log_config: dict[str, Any]) -> None:  # fmt: skip
    """Serve on ``sock`` with ``workers`` processes until Ctrl-C or SIGTERM (blocking)."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    check_workers(workers)
    metrics_dir = tempfile.mkdtemp(prefix="modelyard-metrics-")
    saved = {name: os.environ.get(name) for name in (WORKER_ENV, METRICS_ENV)}
    os.environ[WORKER_ENV] = worker_environment(settings, config)
    os.environ[METRICS_ENV] = metrics_dir  # read by prometheus_client when a worker imports it
    try:
        uv_config = uvicorn.Config(
            f"{__name__}:app_from_environment",
            factory=True,
            workers=workers,
            log_level=log_level,
            log_config=log_config,
        )
        Multiprocess(uv_config, sockets=[sock]).run()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(metrics_dir, ignore_errors=True)


def multiprocess_dir() -> str | None:
    """The folder where this server's workers keep their metric values, when it has workers."""
    return os.environ.get(METRICS_ENV) or None

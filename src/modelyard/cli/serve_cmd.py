"""``modelyard serve``: answer predictions over HTTP (FastAPI + uvicorn)."""

from __future__ import annotations

import copy
import errno
import socket
from enum import StrEnum
from typing import Annotated, Any

import typer

from modelyard.cli.context import current_settings
from modelyard.cli.render import console
from modelyard.errors import ServingError
from modelyard.serving.config import (
    DEFAULT_INLINE_MS,
    DEFAULT_MAX_BODY_BYTES,
    DEFAULT_SWAP_INTERVAL_S,
    ServeConfig,
    keys_required,
)


class Level(StrEnum):
    """Log levels ``--log-level`` takes."""

    critical = "critical"
    error = "error"
    warning = "warning"
    info = "info"
    debug = "debug"


Host = Annotated[
    str,
    typer.Option(
        "--host",
        help="Interface to listen on. Anything but loopback "
        "requires API keys (create one: modelyard keys create).",
    ),
]
Port = Annotated[
    int, typer.Option("--port", min=0, max=65535, help="TCP port (0: any free port).")
]
Models = Annotated[
    list[str] | None,
    typer.Option(
        "--model",
        "-m",
        help="Model to serve: NAME, "
        "NAME@ALIAS or NAME:VERSION. Repeatable; "
        "default: every registered model.",
    ),
]
RequireKeys = Annotated[
    bool, typer.Option("--require-keys", help="Require an API key on loopback too.")
]
MaxBody = Annotated[
    int,
    typer.Option("--max-body-bytes", help="Largest request body accepted (larger ones get 413)."),
]
SwapInterval = Annotated[
    float,
    typer.Option(
        "--swap-interval",
        help="Seconds between checks for moved aliases (hot swap) and changed keys.",
    ),
]
NoLog = Annotated[
    bool,
    typer.Option(
        "--no-prediction-log",
        help="Do not write the prediction log under MODELYARD_HOME/predictions.",
    ),
]
Workers = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        max=64,
        help="Server processes answering on the one port (one per core is a good start); "
        "/metrics adds up all of them.",
    ),
]
InlineMs = Annotated[
    float,
    typer.Option(
        "--inline-ms",
        min=0.0,
        help="Answer one-record requests on the event loop, without a worker thread, for models "
        "whose one-record answers average at most this many ms (0: always a worker thread).",
    ),
]
LogLevel = Annotated[
    Level,
    typer.Option(
        "--log-level",
        case_sensitive=False,
        help="Log level of the server and of modelyard's own messages.",
    ),
]


def serve_command(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    model: Models = None,
    require_keys: RequireKeys = False,
    max_body_bytes: MaxBody = DEFAULT_MAX_BODY_BYTES,
    swap_interval: SwapInterval = DEFAULT_SWAP_INTERVAL_S,
    no_prediction_log: NoLog = False,
    workers: Workers = 1,
    inline_ms: InlineMs = DEFAULT_INLINE_MS,
    log_level: LogLevel = Level.info,
) -> None:
    """Serve registered models over HTTP until interrupted (Ctrl-C flushes the prediction log)."""
    import uvicorn  # only this command needs the server

    from modelyard.serving.app import create_app, preflight

    settings = current_settings()
    config = ServeConfig(
        models=tuple(model or ()),
        require_keys=keys_required(host, require_keys),
        max_body_bytes=max_body_bytes,
        swap_interval_s=swap_interval,
        log_predictions=not no_prediction_log,
        inline_ms=inline_ms,
    )
    resolved = preflight(settings, config, host)
    sock = bind(host, port)  # before anything starts: a port in use is a clear error
    port = sock.getsockname()[1]  # the one the system chose for --port 0
    for line in resolved or ["every registered model, by name"]:
        console.print(f"serving {line}", highlight=False)
    keys = "required" if config.require_keys else "optional (loopback)"
    docs = f"docs at http://{host}:{port}/docs"
    if config.require_keys:
        docs += " (the browser asks for a key: give it as the password)"
    console.print(f"API keys: {keys}; {docs}", highlight=False, soft_wrap=True)
    processes = f", {workers} worker processes" if workers > 1 else ""
    console.print(f"listening on http://{host}:{port}{processes} (Ctrl-C stops it)",
                  highlight=False, soft_wrap=True)  # fmt: skip
    if workers > 1:
        from modelyard.serving.workers import run_workers

        run_workers(settings, config, sock, workers, log_level=log_level.value,
                    log_config=log_config(log_level.value))  # fmt: skip
        return
    server = uvicorn.Server(uvicorn.Config(
        create_app(settings, config),
        log_level=log_level.value,
        log_config=log_config(log_level.value),
    ))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # Ctrl-C is how a server is stopped: a clean exit, log flushed
        pass


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port``, or a ServingError that says why not."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    except socket.gaierror as err:
        raise ServingError(f"cannot listen on --host {host!r}: {err.strerror}",
                           hint="give an address of this machine, e.g. --host 127.0.0.1 "
                           "or --host 0.0.0.0 (with API keys)") from err
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(2048)
    except OSError as err:
        sock.close()
        if err.errno == errno.EADDRINUSE:
            raise ServingError(f"port {port} on {host} is in use by another process",
                               hint="pick another with --port, or stop the process that "
                               f"listens there (see: ss -ltnp 'sport = :{port}')") from err
        if err.errno == errno.EACCES:
            raise ServingError(f"no permission to listen on port {port} on {host}",
                               hint="use a port from 1024 up, e.g. --port 8000") from err
        raise ServingError(f"cannot listen on {host}:{port}: {err.strerror}",
                           hint="check --host and --port") from err
    sock.set_inheritable(True)
    return sock


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging set-up plus modelyard's own loggers (hot swaps, failed refreshes, client
    disconnects, failed requests) on the same stream and format, at ``level``."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["modelyard"] = {
        "handlers": ["default"],
        "level": level.upper(),
        "propagate": False,
    }
    return config

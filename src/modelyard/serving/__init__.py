"""Serving registered models: the HTTP app, the one predict path, the prediction log.

``create_app(settings, ServeConfig(...))`` builds the FastAPI app (run it with uvicorn, or
``modelyard serve``); ``predict_records(bundle, frame)`` is the predict function that both the
server and ``modelyard predict`` use. ``serving`` never imports training or search code.
"""

from importlib import import_module
from typing import Any

# name -> the module that defines it; loaded on first use, so that importing one light module of
# the package (its config, for a command's flags) does not load FastAPI and the model stack
_EXPORTS = {
    "PREDICTIONS_DIR": "app", "create_app": "app", "preflight": "app",
    "ServeConfig": "config", "check_bind": "config", "is_loopback": "config",
    "keys_required": "config",
    "predict_records": "predict",
    "read_log": "predlog",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'modelyard.serving' has no attribute {name!r}")
    return getattr(import_module(f"modelyard.serving.{_EXPORTS[name]}"), name)


__all__ = [
    "PREDICTIONS_DIR",
    "ServeConfig",
    "check_bind",
    "create_app",
    "is_loopback",
    "keys_required",
    "predict_records",
    "preflight",
    "read_log",
]

"""Serving registered models: the HTTP app, the one predict path, the prediction log.

``create_app(settings, ServeConfig(...))`` builds the FastAPI app (run it with uvicorn, or
``modelyard serve``); ``predict_records(bundle, frame)`` is the predict function that both the
server and ``modelyard predict`` use. ``serving`` never imports training or search code.
"""

from modelyard.serving.app import PREDICTIONS_DIR, create_app, preflight
from modelyard.serving.config import ServeConfig, check_bind, is_loopback, keys_required
from modelyard.serving.predict import output_columns, predict_records
from modelyard.serving.predlog import read_log

__all__ = [
    "PREDICTIONS_DIR",
    "ServeConfig",
    "check_bind",
    "create_app",
    "is_loopback",
    "keys_required",
    "output_columns",
    "predict_records",
    "preflight",
    "read_log",
]

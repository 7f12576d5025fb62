"""How a model server runs: which models, keys, limits, swap interval, prediction log batching.

``ServeConfig`` is a small frozen, validated object handed to ``create_app``; the CLI builds it from
flags. ``check_bind`` is the rule that keeps a server reachable from other machines from running
without API keys.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass

from modelyard.errors import ServingError

DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024  # 8 MiB: ~25,000 churn-sized records per request
DEFAULT_SWAP_INTERVAL_S = 2.0  # how often served references are re-resolved (hot swap)
DEFAULT_LOG_BATCH_ROWS = 5_000  # prediction-log rows per Parquet file, at most
DEFAULT_LOG_FLUSH_S = 5.0  # a partly filled prediction-log batch is written after this long
DEFAULT_INLINE_MS = 5.0  # a one-record answer this fast (moving average) skips the thread pool
MAX_DYNAMIC_SLOTS = 16  # references loaded on first request (churn:3, churn@staging) kept at once
KEYS_HINT = "create one with `modelyard keys create --name NAME` and send it as 'Bearer <key>'"


@dataclass(frozen=True)
class ServeConfig:
    """What a model server serves and how.

    ``models``: references to load at start ('churn', 'churn@production', 'churn:3'); empty means
    every registered model by its plain name (new models are picked up by the swap loop). Other
    references to a served model's versions are loaded on first request. ``require_keys``: every
    /v1 request and the API docs need a valid API key (the default); False checks a key only when
    one is sent, which ``modelyard serve`` chooses on loopback alone (``keys_required``).
    ``max_body_bytes``: larger request bodies get 413. ``swap_interval_s``: seconds between
    re-resolving each served reference and reloading API keys. ``log_predictions``: write the
    prediction log under ``<home>/predictions``, ``log_batch_rows`` rows per file at most, a partial
    batch after ``log_flush_s`` seconds. ``inline_ms``: a one-record request to a version whose
    one-record answers have taken at most this long (a moving average of the server's own
    timings) is answered on the event loop instead of handing it to a worker thread and back
    (0.5-1 ms less per request on 2 cores); 0 always uses the thread pool. Slower models, and
    every request of several records, keep the thread pool, so they never hold up the loop.
    """

    models: tuple[str, ...] = ()
    require_keys: bool = True
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    swap_interval_s: float = DEFAULT_SWAP_INTERVAL_S
    log_predictions: bool = True
    log_batch_rows: int = DEFAULT_LOG_BATCH_ROWS
    log_flush_s: float = DEFAULT_LOG_FLUSH_S
    max_dynamic_slots: int = MAX_DYNAMIC_SLOTS
    inline_ms: float = DEFAULT_INLINE_MS

    def __post_init__(self) -> None:
        if isinstance(self.models, str) or not all(
            isinstance(m, str) and m.strip() for m in self.models
        ):
            raise ServingError(
                f"models must be a list of model references, received {self.models!r}",
                hint="e.g. models=('churn@production', 'fraud')",
            )
        object.__setattr__(self, "models", tuple(dict.fromkeys(m.strip() for m in self.models)))
        _positive_int(self.max_body_bytes, "max_body_bytes", "--max-body-bytes 8388608")
        _positive_int(self.log_batch_rows, "log_batch_rows", "log_batch_rows=5000")
        _positive_int(self.max_dynamic_slots, "max_dynamic_slots", "max_dynamic_slots=16")
        _positive_seconds(self.swap_interval_s, "swap_interval_s", "--swap-interval 2")
        _positive_seconds(self.log_flush_s, "log_flush_s", "log_flush_s=5")
        if not _finite_at_least_zero(self.inline_ms):
            raise ServingError(f"inline_ms must be a number of milliseconds >= 0, received "
                               f"{self.inline_ms!r}", hint="e.g. --inline-ms 5 (0: never inline)")


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable only from this machine (127.0.0.0/8, ::1, 'localhost')."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip().strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to any interface


def keys_required(host: str, require_keys: bool) -> bool:
    """Keys are required on anything but loopback, and on loopback when asked."""
    return require_keys or not is_loopback(host)


def check_bind(host: str, require_keys: bool, active_keys: int) -> None:
    """Refuse to start where keys are required but none exists (ServingError with a hint)."""
    if not keys_required(host, require_keys) or active_keys > 0:
        return
    where = (
        f"on {host!r}, which other machines can reach,"
        if not is_loopback(host)
        else "with --require-keys"
    )
    raise ServingError(
        f"refusing to serve {where} without an API key: no active key exists in the store",
        hint=KEYS_HINT + "; or listen on 127.0.0.1 only (--host 127.0.0.1)",
    )


def _positive_int(value: object, name: str, example: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ServingError(
            f"{name} must be a positive whole number, received {value!r}", hint=f"e.g. {example}"
        )


def _positive_seconds(value: object, name: str, example: str) -> None:
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise ServingError(
            f"{name} must be a positive number of seconds, received {value!r}",
            hint=f"e.g. {example}",
        )


def _finite_at_least_zero(value: object) -> bool:
    number = isinstance(value, int | float) and not isinstance(value, bool)
    return number and math.isfinite(value) and value >= 0

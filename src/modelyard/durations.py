"""The one duration syntax of modelyard: a positive number and a unit, ``90s``, ``30m``, ``12h``,
``1.5d``, ``2w``. Every ``--since``, ``--window`` and ``--interval`` flag and every spec key that
holds a duration reads it here, so they all accept the same text and fail with the same message.

Grammar: optional spaces, an integer or decimal number (``7``, ``1.5``, ``.5`` is not one), optional
spaces, one unit letter ``s`` (seconds), ``m`` (minutes), ``h`` (hours), ``d`` (days) or ``w``
(weeks), optional spaces. The number must be above zero and the duration at most ``MAX`` (ten
years: longer spans are better given as an ISO time, and thirty windows of it still fit in a
datetime). Units are lower case: ``M`` is refused rather than guessed as minutes or months.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta

from modelyard.errors import SpecError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}  # seconds per unit
MAX = timedelta(days=3650)
GRAMMAR = "a positive number and a lower-case unit s, m, h, d or w, at most 3650d"
_EXAMPLES = ("30m", "12h", "1.5d", "2w")
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*")


def parse_duration(text: object, what: str, example: str = "1d") -> timedelta:
    """``text`` as a positive ``timedelta``; anything else is a ``SpecError`` naming ``what``
    (the flag or spec key, e.g. ``--window`` or ``retrain.triggers.drift.since``)."""
    match = _DURATION.fullmatch(text) if isinstance(text, str) else None
    seconds = float(match[1]) * UNITS[match[2]] if match else 0.0
    if not (math.isfinite(seconds) and timedelta(0) < timedelta(seconds=min(seconds, 1e12)) <= MAX):
        raise SpecError(
            f"{what} must be {GRAMMAR} (e.g. {', '.join(dict.fromkeys([example, *_EXAMPLES]))}); "
            f"got {text!r}",
            hint=f"e.g. {what} {example}",
        )
    return timedelta(seconds=seconds)


def parse_since(text: object, what: str = "--since", now: datetime | None = None) -> datetime:
    """A duration back from ``now`` (``7d``) or an ISO time (``2025-01-31T12:00``, UTC when it
    has no zone) as an aware UTC datetime; anything else is a ``SpecError`` naming ``what``."""
    at = None
    try:
        if isinstance(text, str) and _DURATION.fullmatch(text):
            return (now or datetime.now(UTC)) - parse_duration(text, what)
        at = datetime.fromisoformat(text.strip()) if isinstance(text, str) else None
    except (SpecError, ValueError):
        pass
    if at is None:
        raise SpecError(
            f"{what} must be {GRAMMAR} (e.g. 7d, 30m, 12h, 2w) or an ISO time such as "
            f"2025-01-31T12:00; got {text!r}",
            hint=f"e.g. {what} 7d",
        )
    return at if at.tzinfo else at.replace(tzinfo=UTC)

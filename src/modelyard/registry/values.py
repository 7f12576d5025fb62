"""Checks and conversions for what callers hand the metadata store: names, keys, JSON, numbers.

Each check raises a RegistryError that names the argument, the rule, and what was received.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from modelyard.errors import RegistryError
from modelyard.names import NAME, check_name
from modelyard.registry.tables import KEY_LENGTH

ALIAS = NAME  # aliases follow the one name rule (modelyard.names) too
MAX_PAGE = 10_000  # the largest page a listing returns
MAX_STORED_INT = 2**63 - 1  # SQLite INTEGER and PostgreSQL BIGINT are signed 64-bit
MIN_STORED_INT = -(2**63)


def check_model_name(name: object) -> str:
    """A valid model name (the one name rule of ``modelyard.names``), or RegistryError."""
    return check_name(name, "model")


def check_alias(alias: object) -> str:
    """A valid alias (the one name rule of ``modelyard.names``), or RegistryError."""
    return check_name(alias, "alias")


def check_key(key: object, what: str) -> str:
    """A param/metric/tag key: a non-empty string of at most KEY_LENGTH characters."""
    if not isinstance(key, str) or not key.strip() or len(key) > KEY_LENGTH:
        raise RegistryError(
            f"invalid {what} name {key!r}: expected a non-empty string of at most "
            f"{KEY_LENGTH} characters",
            hint=f"name each {what} with a short string such as 'learning_rate'",
        )
    return key


def check_mapping(values: object, what: str) -> Mapping[str, Any]:
    """``values`` as a mapping (None counts as empty), or RegistryError."""
    if values is None:
        return {}
    if not isinstance(values, Mapping):
        raise RegistryError(
            f"{what} must be a dict of name -> value, received {type(values).__name__}",
            hint=f"pass {what} as {{'name': value, ...}}",
        )
    return values


def check_tags(tags: object, what: str = "tags") -> dict[str, str | None]:
    """Tags as ``{key: str}``; None values are kept (they mean 'remove this tag' in updates)."""
    out: dict[str, str | None] = {}
    for key, value in check_mapping(tags, what).items():
        check_key(key, "tag")
        if value is not None and not isinstance(value, str | int | float | bool):
            raise RegistryError(
                f"tag {key!r} has a {type(value).__name__} value; tags are short strings",
                hint="put structured values in params or run data instead",
            )
        out[key] = None if value is None else str(value)
    return out


def _plain(value: Any) -> Any:
    """json.dumps fallback: numpy scalars and arrays become Python numbers and lists."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def to_json(value: Any, what: str) -> Any:
    """``value`` as plain JSON data (dicts, lists, str, finite numbers, bools, None)."""
    try:
        return json.loads(json.dumps(value, allow_nan=False, default=_plain))
    except (TypeError, ValueError) as err:
        raise RegistryError(
            f"{what} cannot be stored as JSON: {err}",
            hint="use dicts, lists, strings, finite numbers, booleans and None "
            "(replace NaN/inf by None, objects by their parameters)",
        ) from err


def json_text(value: Any, what: str) -> str:
    """``value`` as compact JSON text, checked like ``to_json``."""
    return json.dumps(to_json(value, what), separators=(",", ":"), sort_keys=True)


def metric_value(name: str, value: Any) -> float | None:
    """A metric as float, with NaN as None (SQLite cannot store NaN); non-numbers are refused."""
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RegistryError(
            f"metric {name!r} must be a number, received {type(value).__name__} {value!r}",
            hint="log strings and structures as params or tags, numbers as metrics",
        )
    value = float(value)
    return None if math.isnan(value) else value


def stored_metric(value: float | None) -> float:
    """The metric as logged: a stored None is a NaN."""
    return math.nan if value is None else float(value)


def check_int(
    value: object, what: str, *, minimum: int = MIN_STORED_INT, maximum: int = MAX_STORED_INT
) -> int:
    """An int (not a bool) from ``minimum`` to ``maximum`` (by default the range of integers the
    store holds: signed 64-bit), or RegistryError."""
    if isinstance(value, bool) or not isinstance(value, int):
        if hasattr(value, "item") and isinstance(value.item(), int):  # numpy integer
            value = value.item()
        else:
            raise RegistryError(
                f"{what} must be an integer, received {type(value).__name__} {value!r}",
                hint=f"pass {what} as a whole number",
            )
    if value < minimum:
        why = " (the smallest integer the store holds)" if minimum == MIN_STORED_INT else ""
        raise RegistryError(
            f"{what} must be at least {minimum}{why}, received {value}",
            hint=f"pass {what} >= {minimum}",
        )
    if value > maximum:
        why = " (the largest integer the store holds)" if maximum == MAX_STORED_INT else ""
        raise RegistryError(
            f"{what} must be at most {maximum}{why}, received {value}",
            hint=f"pass {what} <= {maximum}",
        )
    return value


def check_page(limit: object, offset: object) -> tuple[int, int]:
    """Validated (limit, offset) for a listing."""
    limit = check_int(limit, "limit", minimum=1)
    if limit > MAX_PAGE:
        raise RegistryError(
            f"limit must be at most {MAX_PAGE}, received {limit}", hint="page with offset instead"
        )
    return limit, check_int(offset, "offset", minimum=0)


def now() -> datetime:
    """The current time, timezone-aware in UTC: every timestamp the store writes."""
    return datetime.now(UTC)

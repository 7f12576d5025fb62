"""API-key authentication, declared once as the dependency of the /v1 router.

Clients send ``Authorization: Bearer <key>``. The server keeps the SHA-256 of every active key in
memory (``KeyRing``), reloaded with each hot-swap round, so a revoked key stops working and a new
one starts working within ``swap_interval_s`` seconds without a database query per request.

* keys required (non-loopback host, or ``--require-keys``): no key -> 401;
* keys optional (loopback): no key is fine, but a key that is sent must be valid;
* a wrong or revoked key -> 401; a key limited to other models -> 403.
"""

from __future__ import annotations

import threading

from fastapi import Request

from modelyard.registry.keys import ApiKeys, KeyInfo, hash_key
from modelyard.serving.config import KEYS_HINT
from modelyard.serving.errors import Forbidden, Unauthorized
from modelyard.serving.pool import model_name


class KeyRing:
    """The active keys by hash, and whether a key is required."""

    def __init__(self, keys: ApiKeys, *, required: bool) -> None:
        self.keys = keys
        self.required = required
        self._by_hash: dict[str, KeyInfo] = {}
        self._lock = threading.Lock()

    def reload(self) -> int:
        """Read the active keys from the store (blocking); returns how many there are."""
        fresh = self.keys.active_by_hash()
        with self._lock:
            self._by_hash = fresh
        return len(fresh)

    def check(self, authorization: str | None) -> KeyInfo | None:
        """The key a request carries (None when it carries none and none is required)."""
        if not authorization:
            if self.required:
                raise Unauthorized("this server requires an API key", hint=KEYS_HINT)
            return None
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized(
                "the Authorization header must read 'Bearer <key>'",
                hint="send the key that `modelyard keys create` printed, e.g. "
                "curl -H 'Authorization: Bearer myk_...'",
            )
        info = self._by_hash.get(hash_key(token.strip()))
        if info is None:
            raise Unauthorized(
                "the API key is not valid (unknown or revoked)",
                hint="check the key, or create a new one: " + KEYS_HINT,
            )
        return info


def authorize_model(key: KeyInfo | None, name: str) -> None:
    """403 unless ``key`` (if any) may use model ``name``."""
    if key is not None and not key.allows(name):
        allowed = ", ".join(key.models or ())
        raise Forbidden(
            f"API key {key.name!r} may not use model {name!r}; it may use: {allowed}",
            hint=f"use a key for {name!r}, or create one with "
            f"`modelyard keys create --name NAME --models {name}`",
        )


async def require_key(request: Request) -> KeyInfo | None:
    """Router dependency: check the key, and its access to the model named in the path."""
    ring: KeyRing = request.app.state.serving.keyring
    key = ring.check(request.headers.get("authorization"))
    ref = request.path_params.get("ref")
    if ref is not None:
        authorize_model(key, model_name(ref))
    request.state.api_key = key
    return key

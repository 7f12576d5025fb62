"""API-key authentication, declared once as the dependency of the /v1 router (``require_key``)
and of the API docs (``require_docs_key``: /docs, /redoc, /openapi.json).

Clients send ``Authorization: Bearer <key>``; HTTP Basic with the key as the password (any user
name) works too, so a browser's login prompt opens /docs where keys are required (``curl -u :<key>``
does the same). The server keeps the SHA-256 of every active key in memory (``KeyRing``), reloaded
with each hot-swap round, so a revoked key stops working and a new one starts working within
``swap_interval_s`` seconds without a database query per request.

* keys required (the default; ``modelyard serve`` turns them off only on loopback without
  ``--require-keys``): no key -> 401;
* keys optional: no key is fine, but a key that is sent must be valid;
* a wrong or revoked key -> 401; a key limited to other models -> 403 (and the docs of a limited
  key show only its models);
* a route that changes the store (feedback, promotion) declares ``require_write_key`` as well: it
  needs a valid key even where keys are optional, so neither another program on the machine nor
  a web page (see ``json_body``) can change anything without one.
"""

from __future__ import annotations

import base64
import binascii
import threading

from fastapi import Request

from modelyard.registry.keys import ApiKeys, KeyInfo, hash_key
from modelyard.serving.config import KEYS_HINT
from modelyard.serving.errors import Forbidden, Unauthorized
from modelyard.serving.pool import model_name

DOCS_CHALLENGE = 'Basic realm="modelyard API docs", charset="UTF-8"'  # a browser asks for the key


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
        token = key_of(authorization)
        if token is None:
            raise Unauthorized(
                "the Authorization header must read 'Bearer <key>' (or HTTP Basic with the key as "
                "the password)",
                hint="send the key that `modelyard keys create` printed, e.g. "
                "curl -H 'Authorization: Bearer myk_...'",
            )
        info = self._by_hash.get(hash_key(token))
        if info is None:
            raise Unauthorized(
                "the API key is not valid (unknown or revoked)",
                hint="check the key, or create a new one: " + KEYS_HINT,
            )
        return info


def key_of(authorization: str) -> str | None:
    """The key in an Authorization header: 'Bearer <key>', or Basic with the key as the password
    (the user name is ignored); None when the header is neither."""
    scheme, _, credentials = authorization.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() == "bearer":
        return credentials or None
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    _, colon, password = decoded.partition(":")
    return (password.strip() or None) if colon else None


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


async def require_write_key(request: Request) -> KeyInfo:
    """Dependency of routes that change the store: a valid key, even where keys are optional, with
    access to the model named in the path."""
    ring: KeyRing = request.app.state.serving.keyring
    key = ring.check(request.headers.get("authorization"))
    if key is None:
        raise Unauthorized(
            f"{request.method} {request.url.path} changes the model store and needs an API key, "
            "even on a server where keys are optional",
            hint=KEYS_HINT,
        )
    ref = request.path_params.get("ref")
    if ref is not None:
        authorize_model(key, model_name(ref))
    request.state.api_key = key
    return key


async def require_docs_key(request: Request) -> KeyInfo | None:
    """Dependency of the API docs: the same key check, answered with a Basic challenge so that a
    browser asks for the key (any user name, the key as the password)."""
    ring: KeyRing = request.app.state.serving.keyring
    try:
        key = ring.check(request.headers.get("authorization"))
    except Unauthorized as err:
        raise Unauthorized(
            err.message + " (the API docs list the served models' inputs)",
            hint="give the key as the password when the browser asks (any user name), or send it: "
            "curl -u :myk_... or -H 'Authorization: Bearer myk_...'; no key yet? create one with "
            "`modelyard keys create --name NAME`",
            challenge=DOCS_CHALLENGE,
        ) from None
    request.state.api_key = key
    return key

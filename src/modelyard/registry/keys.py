"""API keys for the model server, kept in the metadata store.

A key is a random token shown once, when it is created; the store keeps only its SHA-256, the
key's name, the models it may use (or all), when it was created and when it was revoked::

    keys = ApiKeys(store)
    info, secret = keys.create("ci", models=["churn"])  # print `secret` once, never store it
    keys.verify(secret)  # -> info while the key is active, else None
    keys.revoke("ci")

Clients send the key as ``Authorization: Bearer <key>``; ``serving.auth`` checks it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

from modelyard.errors import Conflict, NotFound, RegistryError, closest, did_you_mean
from modelyard.names import check_name
from modelyard.registry.records import Page
from modelyard.registry.store import MetadataStore
from modelyard.registry.tables import api_keys
from modelyard.registry.tables import models as models_table
from modelyard.registry.values import check_model_name, check_page, now

KEY_PREFIX = "myk_"  # makes a leaked key recognisable (secret scanners, logs)
KEY_BYTES = 32  # 256 bits of randomness
SHOWN_MODELS = 30  # registered model names listed when a key names an unregistered one


@dataclass(frozen=True)
class KeyInfo:
    """One API key as listed: everything but the key itself (which is never stored)."""

    key_id: str
    name: str
    models: tuple[str, ...] | None  # None: every model
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, model: str) -> bool:
        """Whether this key may use ``model``."""
        return self.models is None or model in self.models

    def to_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "models": list(self.models) if self.models is not None else None,
            "created_at": self.created_at.isoformat(),
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "active": self.active,
        }


def hash_key(secret: str) -> str:
    """The SHA-256 (hex) under which a key is stored and looked up."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    """A fresh random key: the prefix plus 256 bits in URL-safe base64."""
    return KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)


class ApiKeys:
    """Create, list, revoke and verify API keys in an open ``MetadataStore``."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def create(
        self,
        name: str,
        models: Iterable[str] | None = None,
        *,
        allow_unregistered: bool = False,
    ) -> tuple[KeyInfo, str]:
        """A new active key named ``name``; returns (its info, the key). Show the key once.

        ``models`` limits the key to those model names (None: every model). A name no model is
        registered under is refused (NotFound listing the registered ones), as it is most often a
        typo, unless ``allow_unregistered`` says the model will be registered later.
        """
        name = _check_name(name)
        allowed = _check_models(models)
        secret = new_secret()
        row = {
            "key_id": secrets.token_hex(6),
            "name": name,
            "key_hash": hash_key(secret),
            "models": list(allowed) if allowed is not None else None,
            "created_at": now(),
            "revoked_at": None,
        }

        def work(conn: sa.Connection) -> None:
            if allowed is not None and not allow_unregistered:
                _check_registered(conn, name, allowed)
            taken = conn.execute(sa.select(api_keys.c.revoked_at).where(api_keys.c.name == name))
            existing = taken.first()
            if existing is not None:
                state = "a revoked key keeps its name" if existing.revoked_at else "it is active"
                raise Conflict(
                    f"an API key named {name!r} exists already ({state})",
                    hint="pick another name, e.g. add a date or a counter: "
                    f"`modelyard keys create --name {name}-2`",
                )
            conn.execute(api_keys.insert(), row)

        self.store._write(work, what=f"create API key {name!r}")
        return _info(SimpleNamespace(**row)), secret

    def list(
        self, *, include_revoked: bool = True, limit: int = 50, offset: int = 0
    ) -> Page[KeyInfo]:
        """One page of keys, oldest first (without revoked ones when ``include_revoked`` is
        False), with the total that matched."""
        limit, offset = check_page(limit, offset)
        where = [] if include_revoked else [api_keys.c.revoked_at.is_(None)]
        query = (
            sa.select(api_keys)
            .where(*where)
            .order_by(api_keys.c.created_at, api_keys.c.name)
            .limit(limit)
            .offset(offset)
        )
        with self.store._read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(api_keys).where(*where))
            items = tuple(_info(r) for r in conn.execute(query))
            return Page(items, total.scalar_one(), limit, offset)

    def revoke(self, name: str) -> KeyInfo:
        """Revoke the key named ``name`` (revoking twice keeps the first time); returns it."""
        name = _check_name(name)

        def work(conn: sa.Connection) -> KeyInfo:
            row = conn.execute(sa.select(api_keys).where(api_keys.c.name == name)).first()
            if row is None:
                names = conn.execute(sa.select(api_keys.c.name).order_by(api_keys.c.name))
                known = list(names.scalars())
                raise NotFound(
                    f"no API key named {name!r}",
                    hint=did_you_mean(name, known)
                    if known
                    else "no key exists yet; create one with `modelyard keys create --name NAME`",
                )
            if row.revoked_at is None:
                conn.execute(
                    api_keys.update().where(api_keys.c.name == name).values(revoked_at=now())
                )
            return _info(conn.execute(sa.select(api_keys).where(api_keys.c.name == name)).one())

        return self.store._write(work, what=f"revoke API key {name!r}")

    def active_by_hash(self) -> dict[str, KeyInfo]:
        """Every active key by the SHA-256 of its secret (what the server caches)."""
        query = sa.select(api_keys).where(api_keys.c.revoked_at.is_(None))
        with self.store._read() as conn:
            return {r.key_hash: _info(r) for r in conn.execute(query)}

    def verify(self, secret: str) -> KeyInfo | None:
        """The active key whose secret this is, or None."""
        return self.active_by_hash().get(hash_key(secret))


def _info(row: Any) -> KeyInfo:
    return KeyInfo(
        key_id=row.key_id,
        name=row.name,
        models=tuple(row.models) if row.models is not None else None,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _check_name(name: object) -> str:
    return check_name(name, "API key")


def _check_registered(conn: sa.Connection, key: str, names: tuple[str, ...]) -> None:
    """NotFound unless a model is registered under each of ``names``, listing those that are."""
    registered = list(
        conn.execute(sa.select(models_table.c.name).order_by(models_table.c.name)).scalars()
    )
    unknown = [n for n in names if n not in set(registered)]
    if not unknown:
        return
    listed = ", ".join(repr(n) for n in unknown)
    later = "; or add --allow-unregistered for a model you will register later"
    if not registered:
        raise NotFound(
            f"cannot limit API key {key!r} to {listed}: no model is registered yet",
            hint="register one first (`modelyard train`)" + later,
        )
    shown = ", ".join(registered[:SHOWN_MODELS])
    if len(registered) > SHOWN_MODELS:
        shown += f" and {len(registered) - SHOWN_MODELS} more (`modelyard models list`)"
    near = dict.fromkeys(c for n in unknown for c in closest(n, registered))
    suggestion = f"did you mean {', '.join(repr(c) for c in near)}? " if near else ""
    raise NotFound(
        f"cannot limit API key {key!r} to {listed}: no model is registered under that name; "
        f"registered models: {shown}",
        hint=f"{suggestion}pass registered names to --models{later}",
    )


def _check_models(models: Iterable[str] | None) -> tuple[str, ...] | None:
    if models is None:
        return None
    if isinstance(models, str):
        raise RegistryError(
            f"models must be a list of model names, received the text {models!r}",
            hint="pass models=['churn', 'fraud'] (the CLI takes --models churn,fraud)",
        )
    names = tuple(dict.fromkeys(check_model_name(m) for m in models))
    if not names:
        raise RegistryError(
            "models is an empty list, so the key could use no model",
            hint="leave models out (None) for a key that may use every model",
        )
    return names

"""Aliases ('production', 'staging', ...) that point at model versions, references that resolve
to a version ('name', 'name@alias', 'name:3'), and the audit log of every alias move."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from modelyard.errors import NotFound, RegistryError, did_you_mean
from modelyard.registry.models import ModelsMixin
from modelyard.registry.records import AliasChange, VersionInfo
from modelyard.registry.tables import NAME_LENGTH, alias_audit, aliases, model_versions, models
from modelyard.registry.values import ALIAS, check_alias, check_int, now

DEFAULT_ALIAS = "production"  # what a plain model name resolves to when set
REF_FORMS = "'name' (production, else latest), 'name@alias' or 'name:<version>'"
_REF = re.compile(r"(?P<name>[^@:]+)(?:@(?P<alias>[^@:]*)|:(?P<version>[^@:]*))?")


class AliasesMixin(ModelsMixin):
    """Aliases, references and the audit log."""

    def resolve(self, ref: str) -> VersionInfo:
        """The version a reference names: 'name', 'name@alias' or 'name:3'.

        A plain name means the 'production' alias when it is set, else the latest version.
        """
        match = _REF.fullmatch(ref.strip()) if isinstance(ref, str) else None
        if match is None or match["alias"] == "" or match["version"] == "":
            raise RegistryError(
                f"cannot read model reference {ref!r}: expected {REF_FORMS}",
                hint="e.g. 'churn', 'churn@staging' or 'churn:3'",
            )
        name, alias, version = match["name"], match["alias"], match["version"]
        if version is not None and not (version.isascii() and version.isdigit()):
            as_alias = f", or {name}@{version} for an alias" if ALIAS.fullmatch(version) else ""
            raise RegistryError(
                f"version {version!r} in reference {ref!r} is not a number: expected a whole "
                "number from 1 (digits 0-9 only)",
                hint=f"write {name}:<version number>, e.g. {name}:1{as_alias}",
            )
        with self._read() as conn:
            model = self._model_row(conn, name)
            if version is not None:
                number = int(version)
            elif alias is not None:
                number = self._alias_target(conn, model, alias)
            else:
                number = self._default_version(conn, model)
            row = self._version_row(conn, model, number)
            return self._version_infos(conn, model, [row])[0]

    def set_alias(self, name: str, alias: str, version: int, actor: str) -> None:
        """Point ``alias`` at ``version`` (moving it if set), with an audit-log row by ``actor``."""
        check_alias(alias)
        version = check_int(version, "version", minimum=1)
        actor = _check_actor(actor)

        def work(conn: sa.Connection) -> None:
            model = self._model_row(
                conn, name, lock=True
            )  # serialises moves of this model's aliases
            self._version_row(conn, model, version)
            before = conn.execute(
                sa.select(aliases.c.version).where(
                    aliases.c.model_id == model.id, aliases.c.alias == alias
                )
            ).scalar()
            if before == version:
                return
            stamp = now()
            self._upsert(
                conn,
                aliases,
                [{"model_id": model.id, "alias": alias, "version": version, "updated_at": stamp}],
                ["model_id", "alias"],
                ["version", "updated_at"],
            )
            self._audit(conn, model, alias, before, version, actor, stamp)

        self._write(work, what=f"set_alias {name}@{alias}")

    def delete_alias(self, name: str, alias: str, actor: str) -> None:
        """Remove an alias, with an audit-log row by ``actor``."""
        check_alias(alias)
        actor = _check_actor(actor)

        def work(conn: sa.Connection) -> None:
            model = self._model_row(conn, name, lock=True)
            before = self._alias_target(conn, model, alias)
            conn.execute(
                aliases.delete().where(aliases.c.model_id == model.id, aliases.c.alias == alias)
            )
            self._audit(conn, model, alias, before, None, actor, now())

        self._write(work, what=f"delete_alias {name}@{alias}")

    def audit_log(self, name: str) -> list[AliasChange]:
        """Every alias change of a model, oldest first."""
        with self._read() as conn:
            model = self._model_row(conn, name)
            rows = conn.execute(
                sa.select(alias_audit)
                .where(alias_audit.c.model_id == model.id)
                .order_by(alias_audit.c.id)
            ).all()
        return [
            AliasChange(r.at, model.name, r.alias, r.from_version, r.to_version, r.actor)
            for r in rows
        ]

    # -- helpers ------------------------------------------------------------------------------
    def _alias_target(self, conn: sa.Connection, model: Any, alias: str) -> int:
        pointers = dict(
            conn.execute(
                sa.select(aliases.c.alias, aliases.c.version)
                .where(aliases.c.model_id == model.id)
                .order_by(aliases.c.alias)
            ).all()
        )
        if alias in pointers:
            return pointers[alias]
        listed = ", ".join(f"{a} -> {v}" for a, v in pointers.items())
        raise NotFound(
            f"model {model.name!r} has no alias {alias!r}"
            + (f"; its aliases: {listed}" if pointers else "; it has no aliases"),
            hint=did_you_mean(alias, list(pointers))
            if pointers
            else f"point it at a version: modelyard models promote {model.name} VERSION "
            f"--alias {alias}",
        )

    def _default_version(self, conn: sa.Connection, model: Any) -> int:
        production = conn.execute(
            sa.select(aliases.c.version).where(
                aliases.c.model_id == model.id, aliases.c.alias == DEFAULT_ALIAS
            )
        ).scalar()
        if production is not None:
            return production
        latest = conn.execute(
            sa.select(sa.func.max(model_versions.c.version)).where(
                model_versions.c.model_id == model.id
            )
        ).scalar()
        if latest is None:
            raise NotFound(
                f"model {model.name!r} has no versions",
                hint=f"train and register one: modelyard train SPEC --name {model.name}",
            )
        return latest

    @staticmethod
    def _audit(
        conn: sa.Connection,
        model: Any,
        alias: str,
        before: int | None,
        after: int | None,
        actor: str,
        stamp: Any,
    ) -> None:
        conn.execute(
            alias_audit.insert(),
            {
                "at": stamp,
                "model_id": model.id,
                "alias": alias,
                "from_version": before,
                "to_version": after,
                "actor": actor,
            },
        )
        conn.execute(models.update().where(models.c.id == model.id).values(updated_at=stamp))


def _check_actor(actor: object) -> str:
    if not isinstance(actor, str) or not actor.strip() or len(actor) > NAME_LENGTH:
        raise RegistryError(
            f"actor must name who makes the change (non-empty text of at most {NAME_LENGTH} "
            f"characters), received {actor!r}",
            hint="pass a user name or service name, e.g. actor='alice' or actor='ci'",
        )
    return actor.strip()

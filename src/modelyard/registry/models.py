"""Registered models and their immutable, auto-numbered versions.

Version numbers come from a counter on the model row, read and bumped while that row is locked
(SELECT ... FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE already holds the write lock on SQLite), and
the (model, version) primary key backs it up: versions are 1, 2, 3, ... with no gaps or duplicates
however many processes register at once. A version is one transaction, written after its
artifact is stored, so there is never a half-registered version.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from modelyard.errors import Conflict, NotFound, RegistryError, did_you_mean
from modelyard.registry.records import ModelInfo, Page, VersionInfo
from modelyard.registry.runs import RunsMixin
from modelyard.registry.tables import aliases, model_versions, models, run_params
from modelyard.registry.urls import redact
from modelyard.registry.values import (
    MAX_STORED_INT,
    check_int,
    check_mapping,
    check_model_name,
    check_page,
    check_tags,
    now,
    to_json,
)

SHOWN_VERSIONS = 20  # how many version numbers a NotFound message lists


class ModelsMixin(RunsMixin):
    """The model-registry half of the metadata store: models and versions."""

    def create_model(
        self, name: str, description: str | None = None, tags: dict[str, str] | None = None
    ) -> ModelInfo:
        """Create an empty model; a name that exists already is a Conflict."""
        check_model_name(name)
        clean_tags = {k: v for k, v in check_tags(tags).items() if v is not None}

        def work(conn: sa.Connection) -> None:
            if conn.execute(sa.select(models.c.id).where(models.c.name == name)).first():
                # hint: python-api: only code that calls modelyard directly meets it
                raise Conflict(
                    f"model {name!r} exists already",
                    hint="register versions under it with register_version, or pick another name",
                )
            conn.execute(models.insert(), self._new_model(name, description, clean_tags))

        self._write(work, what="create_model")
        return self.get_model(name)

    def register_version(
        self,
        name: str,
        *,
        run_id: str,
        artifact_uri: str,
        schema: dict[str, Any],
        metrics: dict[str, Any],
        parent_version: int | None = None,
        description: str | None = None,
        tags: dict[str, str] | None = None,
    ) -> int:
        """Register the next version of ``name`` (created when missing); returns its number.

        Call it after the artifact is stored: the version is written in one transaction.
        """
        check_model_name(name)
        if not isinstance(artifact_uri, str) or not artifact_uri.strip():
            # hint: python-api: only code that calls modelyard directly meets it
            raise RegistryError(
                f"artifact_uri must be a non-empty string, received {artifact_uri!r}",
                hint="store the model first (ArtifactStore.put_dir) and pass the uri it returns",
            )
        if parent_version is not None:
            parent_version = check_int(parent_version, "parent_version", minimum=1)
        row = {
            "run_id": run_id,
            "artifact_uri": artifact_uri,
            "data_schema": to_json(dict(check_mapping(schema, "schema")), "the version schema"),
            "metrics": to_json(dict(check_mapping(metrics, "metrics")), "the version metrics"),
            "parent_version": parent_version,
            "description": description,
            "tags": {k: v for k, v in check_tags(tags).items() if v is not None},
        }

        def work(conn: sa.Connection) -> int:
            self._require_run(conn, run_id)
            self._upsert(conn, models, [self._new_model(name, None, {})], ["name"])
            model = self._model_row(conn, name, lock=True)
            if parent_version is not None:
                self._version_row(conn, model, parent_version)  # must exist
            version = model.version_counter + 1
            stamp = now()
            conn.execute(
                models.update()
                .where(models.c.id == model.id)
                .values(version_counter=version, updated_at=stamp)
            )
            conn.execute(
                model_versions.insert(),
                {**row, "model_id": model.id, "version": version, "created_at": stamp},
            )
            return version

        return self._write(work, what=f"register_version of {name!r}")

    def get_model(self, name: str) -> ModelInfo:
        """One model with its latest version and aliases."""
        with self._read() as conn:
            return self._model_infos(conn, [self._model_row(conn, name)])[0]

    def get_version(self, name: str, version: int) -> VersionInfo:
        """One version of a model."""
        version = check_int(version, "version", minimum=1)
        with self._read() as conn:
            model = self._model_row(conn, name)
            return self._version_infos(conn, model, [self._version_row(conn, model, version)])[0]

    def list_models(
        self, *, name_contains: str | None = None, limit: int = 50, offset: int = 0
    ) -> Page[ModelInfo]:
        """Models by name, optionally those whose name contains a text (case-insensitive)."""
        limit, offset = check_page(limit, offset)
        where = []
        if name_contains:
            where.append(
                sa.func.lower(models.c.name).contains(name_contains.lower(), autoescape=True)
            )
        with self._read() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(models).where(*where))
            rows = conn.execute(
                sa.select(models).where(*where).order_by(models.c.name).limit(limit).offset(offset)
            ).all()
            return Page(tuple(self._model_infos(conn, rows)), total.scalar_one(), limit, offset)

    def list_versions(self, name: str, *, limit: int = 50, offset: int = 0) -> Page[VersionInfo]:
        """The versions of a model, newest first."""
        limit, offset = check_page(limit, offset)
        with self._read() as conn:
            model = self._model_row(conn, name)
            mine = model_versions.c.model_id == model.id
            total = conn.execute(sa.select(sa.func.count()).select_from(model_versions).where(mine))
            rows = conn.execute(
                sa.select(model_versions)
                .where(mine)
                .order_by(model_versions.c.version.desc())
                .limit(limit)
                .offset(offset)
            ).all()
            items = self._version_infos(conn, model, rows)
            return Page(tuple(items), total.scalar_one(), limit, offset)

    def delete_version(self, name: str, version: int) -> None:
        """Delete a version; a Conflict while an alias points at it. Numbers are never reused."""
        version = check_int(version, "version", minimum=1)

        def work(conn: sa.Connection) -> None:
            model = self._model_row(conn, name, lock=True)
            self._version_row(conn, model, version)
            pointing = (
                conn.execute(
                    sa.select(aliases.c.alias)
                    .where(aliases.c.model_id == model.id, aliases.c.version == version)
                    .order_by(aliases.c.alias)
                )
                .scalars()
                .all()
            )
            if pointing:
                names = ", ".join(repr(a) for a in pointing)
                raise Conflict(
                    f"cannot delete version {version} of {name!r}: alias {names} points at it",
                    hint="move the alias to another version first: "
                    f"modelyard models promote {name} <version> --alias {pointing[0]}",
                )
            conn.execute(
                model_versions.delete().where(
                    model_versions.c.model_id == model.id, model_versions.c.version == version
                )
            )
            conn.execute(models.update().where(models.c.id == model.id).values(updated_at=now()))

        self._write(work, what="delete_version")

    def set_model_tags(self, name: str, tags: dict[str, str | None]) -> None:
        """Merge tags into the model's tags; a None value removes that tag."""
        changes = check_tags(tags)

        def work(conn: sa.Connection) -> None:
            model = self._model_row(conn, name, lock=True)
            merged = _merge(model.tags, changes)
            conn.execute(
                models.update().where(models.c.id == model.id).values(tags=merged, updated_at=now())
            )

        self._write(work, what="set_model_tags")

    def set_version_tags(self, name: str, version: int, tags: dict[str, str | None]) -> None:
        """Merge tags into a version's tags; a None value removes that tag."""
        changes = check_tags(tags)
        version = check_int(version, "version", minimum=1)

        def work(conn: sa.Connection) -> None:
            model = self._model_row(conn, name, lock=True)
            row = self._version_row(conn, model, version)
            conn.execute(
                model_versions.update()
                .where(model_versions.c.model_id == model.id, model_versions.c.version == version)
                .values(tags=_merge(row.tags, changes))
            )

        self._write(work, what="set_version_tags")

    def set_description(
        self, name: str, description: str | None, version: int | None = None
    ) -> None:
        """Set the description of a model, or of one of its versions when ``version`` is given."""
        if description is not None and not isinstance(description, str):
            raise RegistryError(
                f"description must be text or None, received {type(description).__name__}",
                hint="pass a short sentence",
            )

        def work(conn: sa.Connection) -> None:
            model = self._model_row(conn, name, lock=True)
            if version is None:
                stmt = models.update().where(models.c.id == model.id)
                conn.execute(stmt.values(description=description, updated_at=now()))
                return
            self._version_row(conn, model, check_int(version, "version", minimum=1))
            conn.execute(
                model_versions.update()
                .where(model_versions.c.model_id == model.id, model_versions.c.version == version)
                .values(description=description)
            )

        self._write(work, what="set_description")

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _new_model(name: str, description: str | None, tags: dict[str, Any]) -> dict[str, Any]:
        stamp = now()
        return {
            "name": name,
            "description": description,
            "tags": tags,
            "created_at": stamp,
            "updated_at": stamp,
            "version_counter": 0,
        }

    def _model_row(self, conn: sa.Connection, name: str, *, lock: bool = False) -> Any:
        check_model_name(name)
        query = sa.select(models).where(models.c.name == name)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            names = conn.execute(sa.select(models.c.name).order_by(models.c.name)).scalars().all()
            raise NotFound(
                f"no model {name!r} in the metadata store {redact(self.url)}",
                hint=did_you_mean(name, names)
                if names
                else "no model is registered yet; `modelyard train` registers one",
            )
        return row

    def _version_numbers(self, conn: sa.Connection, model: Any) -> list[int]:
        return list(
            conn.execute(
                sa.select(model_versions.c.version)
                .where(model_versions.c.model_id == model.id)
                .order_by(model_versions.c.version)
            ).scalars()
        )

    def _version_row(self, conn: sa.Connection, model: Any, version: int) -> Any:
        row = None
        in_range = 1 <= version <= MAX_STORED_INT  # a larger number overflows the INTEGER column
        if in_range:
            row = conn.execute(
                sa.select(model_versions).where(
                    model_versions.c.model_id == model.id, model_versions.c.version == version
                )
            ).first()
        if row is None:
            existing = self._version_numbers(conn, model)
            shown = ", ".join(map(str, existing[-SHOWN_VERSIONS:]))
            rule = "" if in_range else f" (version numbers run from 1 to {MAX_STORED_INT})"
            raise NotFound(
                f"model {model.name!r} has no version {version}{rule}"
                + (f"; its versions: {shown}" if existing else "; it has no versions"),
                hint=f"the latest is {model.name}:{existing[-1]}"
                if existing
                else f"train and register one: modelyard train SPEC --name {model.name}",
            )
        return row

    def _model_infos(self, conn: sa.Connection, rows: Iterable[Any]) -> list[ModelInfo]:
        rows = list(rows)
        ids = [r.id for r in rows]
        latest: dict[int, int] = {}
        pointers: dict[int, dict[str, int]] = {i: {} for i in ids}
        if ids:
            latest = dict(
                conn.execute(
                    sa.select(model_versions.c.model_id, sa.func.max(model_versions.c.version))
                    .where(model_versions.c.model_id.in_(ids))
                    .group_by(model_versions.c.model_id)
                ).all()
            )
            for a in conn.execute(sa.select(aliases).where(aliases.c.model_id.in_(ids))):
                pointers[a.model_id][a.alias] = a.version
        return [
            ModelInfo(
                name=r.name,
                description=r.description,
                tags=dict(r.tags or {}),
                created_at=r.created_at,
                updated_at=r.updated_at,
                latest_version=latest.get(r.id),
                aliases=dict(sorted(pointers[r.id].items())),
            )
            for r in rows
        ]

    def _version_infos(
        self, conn: sa.Connection, model: Any, rows: Iterable[Any]
    ) -> list[VersionInfo]:
        rows = list(rows)
        run_ids = sorted({r.run_id for r in rows})
        params: dict[str, dict[str, Any]] = {i: {} for i in run_ids}
        if run_ids:
            query = sa.select(run_params).where(run_params.c.run_id.in_(run_ids))
            for p in conn.execute(query):
                params[p.run_id][p.key] = json.loads(p.value)
        by_version: dict[int, list[str]] = {}
        for a in conn.execute(
            sa.select(aliases.c.alias, aliases.c.version)
            .where(aliases.c.model_id == model.id)
            .order_by(aliases.c.alias)
        ):
            by_version.setdefault(a.version, []).append(a.alias)
        return [
            VersionInfo(
                model=model.name,
                version=r.version,
                run_id=r.run_id,
                artifact_uri=r.artifact_uri,
                schema=r.data_schema,
                metrics=r.metrics,
                params=params[r.run_id],
                parent_version=r.parent_version,
                description=r.description,
                tags=dict(r.tags or {}),
                created_at=r.created_at,
                aliases=tuple(by_version.get(r.version, ())),
            )
            for r in rows
        ]


def _merge(current: dict[str, str] | None, changes: dict[str, str | None]) -> dict[str, str]:
    merged = dict(current or {})
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged

"""What ``modelyard watch`` keeps in the metadata store, so that watchers on several machines
sharing one store, and a watcher restarted after a crash, agree:

- the last check of each trigger of each model (``last_check`` / ``record_check``), with the
  trigger's own state (the schedule slot handled, the data fingerprint seen);
- a lease per model (``acquire`` / ``renew`` / ``release``): one conditional upsert takes it
  when nobody holds it or the holder's lease expired, so at most one retrain of a model runs;
- the latest monitoring values (``set_gauges`` / ``gauges``) the server's /metrics shows.

Times come from the calling machine's clock (UTC); watchers sharing a store need clocks in step
to well under the lease time (NTP does that).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from modelyard.registry.store import MetadataStore
from modelyard.registry.tables import models, monitor_gauges, retrain_leases, watch_checks
from modelyard.registry.values import now, to_json


@dataclass(frozen=True)
class Check:
    """The last check of one trigger of one model."""

    checked_at: datetime
    fired_at: datetime | None
    state: dict[str, Any]


@dataclass(frozen=True)
class GaugeValue:
    model: str
    gauge: str
    label: str
    value: float


class WatchState:
    """Checks, leases and gauges in an open ``MetadataStore``."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    # -- checks -------------------------------------------------------------------------------
    def last_check(self, name: str, trigger: str) -> Check | None:
        with self.store._read() as conn:
            model = self.store._model_row(conn, name)
            row = conn.execute(
                sa.select(watch_checks).where(
                    watch_checks.c.model_id == model.id, watch_checks.c.trigger == trigger
                )
            ).first()
        return None if row is None else Check(row.checked_at, row.fired_at, dict(row.state))

    def record_check(self, name: str, trigger: str, *, fired: bool,
                     state: dict[str, Any]) -> None:
        """Record that ``trigger`` of ``name`` was checked now (and fired, when ``fired``)."""
        stamp = now()
        values = {"trigger": trigger, "checked_at": stamp, "state": to_json(state, "state")}
        update = ["checked_at", "state"]
        if fired:
            values["fired_at"] = stamp
            update.append("fired_at")

        def work(conn: sa.Connection) -> None:
            model = self.store._model_row(conn, name)
            self.store._upsert(conn, watch_checks, [{"model_id": model.id, **values}],
                               ["model_id", "trigger"], update)

        self.store._write(work, what=f"record the {trigger} check of {name!r}")

    # -- leases -------------------------------------------------------------------------------
    def acquire(self, name: str, holder: str, seconds: float) -> bool:
        """Take the retrain lease of ``name`` for ``seconds`` unless another holder has a live
        one; True when ``holder`` has it now. One statement, so two takers cannot both win."""
        stamp = now()
        row = {"holder": holder, "acquired_at": stamp,
               "expires_at": stamp + timedelta(seconds=seconds)}

        def work(conn: sa.Connection) -> bool:
            model = self.store._model_row(conn, name)
            stmt = self.store._insert(retrain_leases).values(model_id=model.id, **row)
            stmt = stmt.on_conflict_do_update(
                index_elements=["model_id"],
                set_={c: stmt.excluded[c] for c in row},
                where=(retrain_leases.c.expires_at < stamp) | (retrain_leases.c.holder == holder),
            ).returning(retrain_leases.c.holder)
            return conn.execute(stmt).first() is not None

        return self.store._write(work, what=f"take the retrain lease of {name!r}")

    def renew(self, name: str, holder: str, seconds: float) -> bool:
        """Extend ``holder``'s lease; False when it no longer holds it."""
        def work(conn: sa.Connection) -> bool:
            model = self.store._model_row(conn, name)
            done = conn.execute(
                retrain_leases.update()
                .where(retrain_leases.c.model_id == model.id, retrain_leases.c.holder == holder)
                .values(expires_at=now() + timedelta(seconds=seconds))
            )
            return done.rowcount == 1

        return self.store._write(work, what=f"renew the retrain lease of {name!r}")

    def release(self, name: str, holder: str) -> None:
        def work(conn: sa.Connection) -> None:
            model = self.store._model_row(conn, name)
            conn.execute(retrain_leases.delete().where(
                retrain_leases.c.model_id == model.id, retrain_leases.c.holder == holder))

        self.store._write(work, what=f"release the retrain lease of {name!r}")

    def lease_holder(self, name: str) -> tuple[str, datetime] | None:
        """(holder, expiry) of the lease of ``name``, expired or not; None without one."""
        with self.store._read() as conn:
            model = self.store._model_row(conn, name)
            row = conn.execute(sa.select(retrain_leases).where(
                retrain_leases.c.model_id == model.id)).first()
        return None if row is None else (row.holder, row.expires_at)

    # -- gauges -------------------------------------------------------------------------------
    def set_gauges(self, name: str, gauge: str, values: dict[str, float | None]) -> None:
        """Store the latest ``gauge`` values of ``name`` by label ('' for none)."""
        stamp = now()

        def plain(value: float | None) -> float | None:
            return None if value is None or not math.isfinite(value) else float(value)

        def work(conn: sa.Connection) -> None:
            model = self.store._model_row(conn, name)
            rows = [{"model_id": model.id, "gauge": gauge, "label": label,
                     "value": plain(value), "updated_at": stamp}
                    for label, value in values.items()]
            self.store._upsert(conn, monitor_gauges, rows, ["model_id", "gauge", "label"],
                               ["value", "updated_at"])

        self.store._write(work, what=f"store the {gauge} gauges of {name!r}")

    def gauges(self, names: Iterable[str] | None = None) -> list[GaugeValue]:
        """Every stored gauge value (of ``names`` only, when given)."""
        query = sa.select(models.c.name, monitor_gauges.c.gauge, monitor_gauges.c.label,
                          monitor_gauges.c.value).join(models,
                                                       models.c.id == monitor_gauges.c.model_id)
        if names is not None:
            query = query.where(models.c.name.in_(list(names)))
        with self.store._read() as conn:
            return [GaugeValue(r.name, r.gauge, r.label,
                               float("nan") if r.value is None else r.value)
                    for r in conn.execute(query.order_by(models.c.name, monitor_gauges.c.gauge,
                                                         monitor_gauges.c.label))]

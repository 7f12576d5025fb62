"""The retrain decisions of each model, with their evidence, kept in the metadata store::

    log = RetrainLog(store)
    log.record("churn", alias="production", champion=3, challenger=4, promoted=False,
               trigger="schedule", reason="...", evidence={...}, actor="watch@host")
    log.decisions("churn")  # newest first

``modelyard retrain`` writes one row per challenger it trains; ``modelyard models show`` reads
them back as the model's "retraining" section.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from modelyard.registry.store import MetadataStore
from modelyard.registry.tables import retrain_decisions
from modelyard.registry.values import check_alias, check_int, now, to_json

SHOWN_DECISIONS = 10  # what `models show` lists by default


@dataclass(frozen=True)
class RetrainDecision:
    """One retrain: the champion it was held against, the challenger, and why the alias moved
    (or did not)."""

    id: int
    at: datetime
    model: str
    alias: str
    champion_version: int | None
    challenger_version: int | None
    promoted: bool
    trigger: str
    reason: str
    evidence: dict[str, Any]
    actor: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at.isoformat(),
            "model": self.model,
            "alias": self.alias,
            "champion_version": self.champion_version,
            "challenger_version": self.challenger_version,
            "promoted": self.promoted,
            "trigger": self.trigger,
            "reason": self.reason,
            "evidence": self.evidence,
            "actor": self.actor,
        }


class RetrainLog:
    """Record and list retrain decisions in an open ``MetadataStore``."""

    def __init__(self, store: MetadataStore) -> None:
        self.store = store

    def record(
        self,
        name: str,
        *,
        alias: str,
        champion: int | None,
        challenger: int | None,
        promoted: bool,
        trigger: str,
        reason: str,
        evidence: dict[str, Any],
        actor: str,
    ) -> RetrainDecision:
        """Write one decision; returns it as stored."""
        check_alias(alias)
        row = {
            "at": now(),
            "alias": alias,
            "champion_version": None if champion is None else check_int(champion, "champion"),
            "challenger_version": None if challenger is None else check_int(challenger,
                                                                            "challenger"),
            "promoted": bool(promoted),
            "trigger": str(trigger)[:64],
            "reason": str(reason),
            "evidence": to_json(dict(evidence), "the retrain evidence"),
            "actor": str(actor)[:255],
        }

        def work(conn: sa.Connection) -> int:
            model = self.store._model_row(conn, name)
            result = conn.execute(retrain_decisions.insert().values(model_id=model.id, **row))
            return int(result.inserted_primary_key[0])

        decision_id = self.store._write(work, what=f"record a retrain decision of {name!r}")
        return RetrainDecision(id=decision_id, model=name, **row)

    def decisions(self, name: str, *, limit: int = SHOWN_DECISIONS) -> list[RetrainDecision]:
        """The latest ``limit`` decisions of model ``name``, newest first."""
        limit = check_int(limit, "limit", minimum=1)
        with self.store._read() as conn:
            model = self.store._model_row(conn, name)
            rows = conn.execute(
                sa.select(retrain_decisions)
                .where(retrain_decisions.c.model_id == model.id)
                .order_by(retrain_decisions.c.id.desc())
                .limit(limit)
            )
            return [_decision(name, r) for r in rows]


def _decision(name: str, row: Any) -> RetrainDecision:
    return RetrainDecision(
        id=row.id,
        at=row.at,
        model=name,
        alias=row.alias,
        champion_version=row.champion_version,
        challenger_version=row.challenger_version,
        promoted=bool(row.promoted),
        trigger=row.trigger,
        reason=row.reason,
        evidence=dict(row.evidence or {}),
        actor=row.actor,
    )

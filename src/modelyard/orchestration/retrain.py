"""``modelyard retrain``: train a challenger with the champion's own spec on the source as it is
now, hold both against the same fresh test rows, and move the alias only when the challenger is
better by the margin with a paired test behind it. Either way the challenger is registered (its
``parent_version`` is the champion) and the decision, with its evidence, is logged.

The champion is the version the spec's ``retrain.alias`` (production by default) points at, or
the latest version while no version holds it; its run's spec is the one retrained.
"""

from __future__ import annotations

import getpass
import os
import secrets
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from modelyard.errors import Conflict, DataError, SpecError
from modelyard.orchestration.challenge import Comparison, compare, predictions
from modelyard.orchestration.prepare import Step, prepare, quiet
from modelyard.registry.registry import Registry
from modelyard.registry.retrain_log import RetrainLog
from modelyard.registry.values import now
from modelyard.registry.watch_state import WatchState
from modelyard.settings import Settings
from modelyard.spec.models import DATAFRAME, Spec
from modelyard.spec.retrain import RetrainSpec


@dataclass(frozen=True)
class Champion:
    """The version a retrain competes with, and the spec it was trained with."""

    name: str
    version: int
    alias_set: bool  # False: no version held the alias; the latest version stands in
    spec: Spec
    fingerprint: str | None
    created_at: Any

    @property
    def retrain(self) -> RetrainSpec:
        return self.spec.retrain or RetrainSpec()


@dataclass(frozen=True)
class RetrainOutcome:
    """What one retrain did."""

    model: str
    alias: str
    champion: int
    challenger: int
    promoted: bool
    trigger: str
    reason: str
    run_id: str
    comparison: Comparison | None
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "alias": self.alias, "champion": self.champion,
                "challenger": self.challenger, "promoted": self.promoted,
                "trigger": self.trigger, "reason": self.reason, "run_id": self.run_id,
                "evidence": self.evidence}


def find_champion(registry: Registry, name: str) -> Champion:
    """The version ``name``'s retrain alias points at (else its latest), with its run's spec."""
    store = registry.store
    version = store.resolve(name)  # production, else the latest
    spec = Spec.model_validate(store.get_run(version.run_id).spec)
    alias = (spec.retrain or RetrainSpec()).alias
    alias_set = alias in version.aliases
    if not alias_set and alias in store.get_model(name).aliases:
        version = store.resolve(f"{name}@{alias}")
        spec, alias_set = Spec.model_validate(store.get_run(version.run_id).spec), True
    run = store.get_run(version.run_id)
    return Champion(name, version.version, alias_set, spec, run.data_fingerprint,
                    version.created_at)


def holder_id() -> str:
    """Who holds a lease: host, process and a random part (a pid is reused after a restart)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@contextmanager
def lease(registry: Registry, name: str, holder: str, seconds: float) -> Iterator[None]:
    """Hold the retrain lease of ``name`` (Conflict when another holder has it), renewed every
    third of ``seconds`` in a background thread and released at the end. A holder killed
    outright stops renewing, and the lease runs out ``seconds`` later."""
    state = WatchState(registry.store)
    if not state.acquire(name, holder, seconds):
        held = state.lease_holder(name)
        who, until = held if held else ("another watcher", now())
        raise Conflict(
            f"a retrain of {name!r} is running already (lease held by {who} until "
            f"{until:%Y-%m-%d %H:%M:%S} UTC)",
            hint="wait for it to finish; a crashed holder's lease runs out by itself",
        )
    stop = threading.Event()

    def renew() -> None:
        while not stop.wait(seconds / 3):
            state.renew(name, holder, seconds)

    thread = threading.Thread(target=renew, name=f"lease-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        state.release(name, holder)


def retrain(registry: Registry, settings: Settings, champion: Champion, *,
            trigger: str = "force", trigger_detail: dict[str, Any] | None = None,
            actor: str | None = None, on_step: Step = quiet) -> RetrainOutcome:
    """Retrain ``champion`` once and decide (see the module docstring). The caller holds the
    model's lease (``lease``), so no other retrain of it runs meanwhile."""
    from modelyard import pipeline

    actor = actor or getpass.getuser()
    name, rules = champion.name, champion.retrain
    if champion.spec.data.source.format == DATAFRAME:
        raise SpecError(
            f"{name} v{champion.version} was trained from an in-memory DataFrame, so there "
            "is no source to read again",
            hint="train it from a file or database source (a spec's data.source) to retrain",
        )
    if champion.spec.task == "forecast":
        raise SpecError(
            f"{name} v{champion.version} is a forecaster; champion-challenger retraining holds "
            "two models against the same test rows, and forecasters are not retrained that way "
            "yet",
            hint=f"train its spec again (modelyard train SPEC) on the newer data, compare the "
            f"versions' test metrics (modelyard models show {name}) and move the alias by hand "
            "(modelyard models promote)")
    on_step(f"training a challenger to {name} v{champion.version}")
    result = pipeline.train(champion.spec, settings, register=False, on_step=on_step)
    on_step("scoring champion and challenger on the same test rows")
    prepared = prepare(champion.spec)
    if prepared.dataset.fingerprint != registry.store.get_run(result.run_id).data_fingerprint:
        raise DataError(
            f"the source of {name} changed while the challenger trained",
            hint=f"run `modelyard retrain {name}` again once the source is settled",
        )
    test_rows = prepared.split.open_test("retrain: champion against challenger")
    if len(test_rows) == 0:
        raise SpecError(
            f"the spec of {name} v{champion.version} leaves no test rows, so the "
            "challenger cannot be held against the champion",
            hint="give the split a test part (split.test, e.g. 0.2)",
        )
    frame = prepared.dataset.frame
    rows, y = frame.iloc[test_rows][prepared.dataset.features], prepared.y[test_rows]
    old = registry.load(f"{name}:{champion.version}").model
    comparison = None
    if old.classes != result.model.classes:
        reason = (f"kept the champion: the classes changed ({old.classes} -> "
                  f"{result.model.classes}), so the scores cannot be paired")
        promoted = False
    else:
        comparison = compare(result.task, result.primary_metric, y,
                             predictions(old, rows), predictions(result.model, rows),
                             test=rules.test, margin=rules.margin, seed=champion.spec.seed)
        promoted = comparison.challenger_wins
    reg = result.registration
    store = registry.store
    challenger = store.register_version(
        name, run_id=reg.run_id, artifact_uri=reg.artifact_uri, schema=reg.schema,
        metrics=reg.metrics, tags=reg.tags, parent_version=champion.version)
    recorded = store.get_run(result.run_id).data.get("result") or {}
    store.set_run_data(result.run_id, result={**recorded, "version": challenger})
    if comparison is not None:
        reason = comparison.reason(champion.version, challenger)
    if promoted:
        store.set_alias(name, rules.alias, challenger, actor=f"retrain:{actor}")
    split = prepared.split
    evidence = {
        **(comparison.to_dict() if comparison else {}),
        "trigger_detail": trigger_detail or {},
        "run_id": result.run_id,
        "data_fingerprint": prepared.dataset.fingerprint,
        "champion_fingerprint": champion.fingerprint,
        "rows_used": {"train": len(split.train), "validation": len(split.validation),
                      "test": len(test_rows)},
    }
    RetrainLog(store).record(
        name, alias=rules.alias, champion=champion.version, challenger=challenger,
        promoted=promoted, trigger=trigger, reason=reason, evidence=evidence,
        actor=actor)
    WatchState(store).set_gauges(name, "last_retrain_timestamp", {"": now().timestamp()})
    return RetrainOutcome(name, rules.alias, champion.version, challenger, promoted, trigger,
                          reason, result.run_id, comparison, evidence)

"""``modelyard watch`` and the trigger-checked ``modelyard retrain``: one pass per model takes
the model's lease, checks its triggers under it, retrains when one fired (or when forced), and
records what it did in the store before letting go. Checking under the lease is what keeps two
watchers sharing a store from both retraining on the same trigger: the second finds the first's
record. A watcher killed mid-retrain records nothing, so once its lease runs out the next watcher
finds the trigger still due and retries, once.
"""

from __future__ import annotations

import getpass
import socket
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from modelyard.errors import Conflict, ModelyardError
from modelyard.orchestration.alerts import Alerts
from modelyard.orchestration.prepare import Step, quiet
from modelyard.orchestration.retrain import (
    RetrainOutcome,
    find_champion,
    holder_id,
    lease,
    retrain,
)
from modelyard.orchestration.triggers import Fired, check_triggers, record
from modelyard.registry.registry import Registry
from modelyard.settings import Settings


@dataclass
class Pass:
    """One model's pass: its trigger checks, and the retrain when one ran."""

    model: str
    checks: list[Fired] = field(default_factory=list)
    outcome: RetrainOutcome | None = None
    skipped: str | None = None  # why nothing was checked (another holder's lease, ...)
    error: str | None = None

    @property
    def fired(self) -> list[Fired]:
        return [c for c in self.checks if c.fired]

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "checks": [c.to_dict() for c in self.checks],
                "retrained": self.outcome is not None,
                "outcome": self.outcome.to_dict() if self.outcome else None,
                "skipped": self.skipped, "error": self.error}


def check_and_retrain(settings: Settings, name: str, *, force: bool = False,
                      actor: str | None = None, on_step: Step = quiet) -> Pass:
    """Under ``name``'s lease: check the triggers (all, unless ``force``), retrain when one
    fired, record the checks. Conflict when another process holds the lease."""
    actor = actor or getpass.getuser()
    result = Pass(name)
    with Registry.open(settings) as registry:
        champion = find_champion(registry, name)
        with lease(registry, name, holder_id(), champion.retrain.lease_seconds):
            champion = find_champion(registry, name)  # as it is now that the lease is ours
            if force:
                result.checks = [Fired("force", True, "asked for with --force")]
            else:
                result.checks = check_triggers(registry, champion)
            fired = result.fired
            if fired:
                first = fired[0]
                result.outcome = retrain(
                    registry, settings, champion, trigger="+".join(f.trigger for f in fired),
                    trigger_detail={f.trigger: f.detail for f in fired} | first.values,
                    actor=actor, on_step=on_step)
            record(registry, name, [c for c in result.checks if c.trigger != "force"])
    return result


def models_to_watch(settings: Settings, names: Iterable[str]) -> list[str]:
    """The named models, or every registered model whose champion's spec has triggers."""
    names = list(names)
    if names:
        return names
    with Registry.open(settings) as registry:
        everything = [m.name for m in registry.store.list_models(limit=10_000).items]
        out = []
        for name in everything:
            try:
                champion = find_champion(registry, name)
            except ModelyardError:
                continue
            if champion.spec.retrain is not None and champion.retrain.triggers.names:
                out.append(name)
        return out


def watch_once(settings: Settings, names: Iterable[str], alerts: Alerts,
               on_pass: Callable[[Pass], None] = lambda _p: None) -> list[Pass]:
    """One pass over the models; an error in one model is alerted and the others go on."""
    actor = f"watch@{socket.gethostname()}"
    passes = []
    for name in models_to_watch(settings, names):
        try:
            done = check_and_retrain(settings, name, actor=actor)
        except Conflict as err:
            done = Pass(name, skipped=err.message)
        except ModelyardError as err:
            done = Pass(name, error=err.message)
            alerts.emit({"event": "retrain_failed", "level": "warning", "model": name,
                         "message": f"{err.message} ({err.hint})" if err.hint else err.message})
        if done.outcome is not None:
            o = done.outcome
            alerts.emit({"event": "promoted" if o.promoted else "retrained",
                         "level": "warning" if not o.promoted else "info", "model": name,
                         "message": o.reason, **o.to_dict()},
                        webhook=_webhook(settings, name))
        for check in done.fired:
            alerts.emit({"event": "trigger_fired", "model": name, "trigger": check.trigger,
                         "message": f"{check.trigger} fired: {check.detail}"},
                        webhook=_webhook(settings, name))
        on_pass(done)
        passes.append(done)
    return passes


def watch(settings: Settings, names: Iterable[str], *, interval: float, alerts: Alerts,
          once: bool = False, on_pass: Callable[[Pass], None] = lambda _p: None) -> None:
    """Check every ``interval`` seconds until interrupted (or once, with ``once``)."""
    names = list(names)
    while True:
        started = time.monotonic()
        watch_once(settings, names, alerts, on_pass)
        if once:
            return
        time.sleep(max(0.0, interval - (time.monotonic() - started)))


def _webhook(settings: Settings, name: str) -> str | None:
    """The model's own ``retrain.webhook`` (the --webhook default applies otherwise)."""
    try:
        with Registry.open(settings) as registry:
            return find_champion(registry, name).retrain.webhook
    except ModelyardError:
        return None

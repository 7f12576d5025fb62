"""The retrain triggers of a model, checked against what the store remembers of earlier checks.

- ``schedule``: fires when a cron slot passed since the last slot handled (or, before any, since
  the champion was registered). Several slots missed while no watcher ran fire once.
- ``new_data``: fires when the source's fingerprint differs from the champion's training data and
  from the fingerprint it last fired for (a challenger that lost does not retrain again and
  again on the same rows).
- ``drift``: fires on the drift verdict of ``monitoring.drift.check_drift`` over the prediction
  log, or when the latest window of ``monitoring.performance.live_performance`` has the metric
  below the threshold.

Each check returns a ``Fired`` saying whether and why, and the state to store when acted on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from modelyard.errors import ModelyardError, SpecError
from modelyard.orchestration.retrain import Champion
from modelyard.registry.registry import Registry
from modelyard.registry.values import now
from modelyard.registry.watch_state import WatchState


@dataclass(frozen=True)
class Fired:
    """One trigger's verdict."""

    trigger: str
    fired: bool
    detail: str
    state: dict[str, Any] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)  # numbers behind it (drift scores, ...)

    def to_dict(self) -> dict[str, Any]:
        return {"trigger": self.trigger, "fired": self.fired, "detail": self.detail,
                **({"values": self.values} if self.values else {})}


def check_triggers(registry: Registry, champion: Champion, *,
                   at: datetime | None = None) -> list[Fired]:
    """Every trigger of ``champion``'s retrain section, checked now (nothing is recorded)."""
    at = at or now()
    triggers = champion.retrain.triggers
    state = WatchState(registry.store)
    out = []
    if triggers.schedule is not None:
        out.append(_schedule(triggers.schedule, champion, state, at))
    if triggers.new_data:
        out.append(_new_data(champion, state))
    if triggers.drift is not None:
        out.append(_drift(registry, champion))
    return out


def record(registry: Registry, name: str, results: list[Fired]) -> None:
    """Remember each check (and the state of those that fired) for the next one."""
    state = WatchState(registry.store)
    for r in results:
        if r.fired:
            state.record_check(name, r.trigger, fired=True, state=r.state)
        else:
            last = state.last_check(name, r.trigger)
            state.record_check(name, r.trigger, fired=False, state=last.state if last else {})


def _schedule(expr: str, champion: Champion, state: WatchState, at: datetime) -> Fired:
    from croniter import croniter

    last = state.last_check(champion.name, "schedule")
    handled = (datetime.fromisoformat(last.state["slot"]) if last and "slot" in last.state
               else champion.created_at)
    slot = croniter(expr, at).get_prev(datetime)
    if slot > handled:
        return Fired("schedule", True, f"the slot {slot:%Y-%m-%d %H:%M} UTC of '{expr}' came "
                     f"after the last one handled ({handled:%Y-%m-%d %H:%M})",
                     {"slot": slot.isoformat()})
    following = croniter(expr, at).get_next(datetime)
    return Fired("schedule", False, f"no slot of '{expr}' since {handled:%Y-%m-%d %H:%M} UTC; "
                 f"next {following:%Y-%m-%d %H:%M}")


def _new_data(champion: Champion, state: WatchState) -> Fired:
    from modelyard.data.dataset import load_dataset

    spec = champion.spec
    fingerprint = load_dataset(spec.data, task=spec.task).fingerprint
    last = state.last_check(champion.name, "new_data")
    seen = last.state.get("fingerprint") if last else None
    if fingerprint == champion.fingerprint:
        return Fired("new_data", False, f"the source has the rows v{champion.version} was "
                     "trained on")
    if fingerprint == seen:
        return Fired("new_data", False, "the source changed, but a retrain on these rows ran "
                     "already")
    return Fired("new_data", True, f"the source's rows differ from those v{champion.version} "
                 "was trained on", {"fingerprint": fingerprint},
                 {"fingerprint": fingerprint, "champion_fingerprint": champion.fingerprint})


def _drift(registry: Registry, champion: Champion) -> Fired:
    rule = champion.retrain.triggers.drift
    assert rule is not None
    ref = f"{champion.name}:{champion.version}"
    try:
        if rule.metric is None:
            from modelyard.monitoring.drift import check_drift

            report = check_drift(registry, ref, since=rule.since)
            columns = _column_scores(report)
            state = WatchState(registry.store)
            state.set_gauges(champion.name, "drift_score", {"": report.score, **columns})
            verdict = "drifted" if report.drifted else "did not drift"
            return Fired("drift", bool(report.drifted),
                         f"the inputs and predictions of the last {rule.since} {verdict} "
                         f"(score {report.score:.3f} over {report.rows} rows)",
                         values={"score": report.score, "rows": report.rows})
        from modelyard.evaluation.metrics import get_metric
        from modelyard.monitoring.performance import live_performance

        perf = live_performance(registry, champion.name, window=rule.window, ref=ref)
        value = perf.latest(rule.metric)
        if value is None:
            return Fired("drift", False, f"no labelled window yet for {rule.metric}")
        WatchState(registry.store).set_gauges(champion.name, "live_metric",
                                              {rule.metric: value})
        return _threshold(rule, value, get_metric(rule.metric, perf.task).greater_is_better)
    except ModelyardError as err:  # no prediction log or labels yet: said, not fatal
        return Fired("drift", False, f"drift could not be checked: {err.message}")


def _threshold(rule: Any, value: float, greater_is_better: bool) -> Fired:
    """Whether ``value`` crossed the rule's threshold on the metric's worse side; a threshold on
    the better side (rmse `below`, f1 `above`) would fire while the model is fine: an error."""
    side, bound = ("below", rule.below) if rule.below is not None else ("above", rule.above)
    if (side == "below") != greater_is_better:
        worse = "below" if greater_is_better else "above"
        raise SpecError(
            f"retrain.triggers.drift has {side}: {bound} for {rule.metric}, where "
            f"{'greater' if greater_is_better else 'lower'} is better, so it would fire while "
            "the model does well",
            hint=f"write {{metric: {rule.metric}, {worse}: {bound}}} in the retrain section",
        )
    crossed = value < bound if side == "below" else value > bound
    return Fired("drift", crossed, f"live {rule.metric} {value:.4f} is "
                 f"{side if crossed else 'not ' + side} {bound}",
                 values={rule.metric: value, side: bound})


def _column_scores(report: Any) -> dict[str, float]:
    columns = getattr(report, "columns", None) or {}
    items = columns.items() if isinstance(columns, dict) else (
        (getattr(c, "name", str(i)), c) for i, c in enumerate(columns))
    out = {}
    for name, col in items:
        score = col.get("score") if isinstance(col, dict) else getattr(col, "score", None)
        if isinstance(score, int | float):
            out[str(name)] = float(score)
    return out

"""``modelyard retrain NAME`` (check the triggers, retrain, promote only a better model) and
``modelyard watch`` (do that for every watched model, every interval)."""

from __future__ import annotations

from typing import Annotated

import typer

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.render import console, err_console, print_json

Force = Annotated[bool, typer.Option("--force", help="Retrain whether or not a trigger fired.")]


def retrain_command(
    name: str = typer.Argument(..., help="Registered model to retrain."),
    force: Force = False,
    json: o.Json = False,
) -> None:
    """Retrain a model with its champion's spec on the source as it is now; move the alias only
    when the challenger is better by the spec's margin (paired bootstrap on the same test rows).

    Without --force it first checks the spec's retrain triggers and does nothing unless one
    fired. Every decision, with its evidence, shows in 'modelyard models show NAME'.
    """
    from modelyard.cli.progress import steps
    from modelyard.orchestration.watch import check_and_retrain

    with steps(not json) as step:
        done = check_and_retrain(current_settings(), name, force=force, on_step=step)
    if json:
        print_json(done.to_dict())
        return
    for check in done.checks:
        mark = "[green]fired[/]" if check.fired else "[dim]did not fire[/]"
        console.print(f"{check.trigger}: {mark}: {check.detail}")
    if not done.checks:
        console.print(f"{name} has no retrain triggers: add retrain.triggers to its spec, or "
                      "pass --force")
    outcome = done.outcome
    if outcome is None:
        console.print("nothing retrained")
        return
    moved = (f"{outcome.alias} → v{outcome.challenger}" if outcome.promoted
             else f"{outcome.alias} stays at v{outcome.champion}")
    console.print(f"registered {name}:{outcome.challenger} (parent v{outcome.champion}); {moved}")
    console.print(outcome.reason)


def watch_command(
    names: list[str] = typer.Argument(None, help="Models to watch; default: every model "
                                      "whose spec has retrain triggers."),
    interval: str = typer.Option("60s", "--interval", metavar="DURATION",
                                 help="Time between checks: 30s, 5m, 1h, 1.5h."),
    once: bool = typer.Option(False, "--once", help="Check once and exit."),
    webhook: str = typer.Option(None, "--webhook", metavar="URL",
                                help="URL that receives each event as a JSON POST (a model's "
                                "retrain.webhook takes precedence)."),
    json: o.Json = False,
) -> None:
    """Check each model's retrain triggers every interval and retrain when one fires; alerts go
    to the log and the webhook. Several watchers may share a store: a lease per model lets one
    retrain at a time."""
    import logging

    from modelyard.durations import parse_duration
    from modelyard.errors import SpecError
    from modelyard.orchestration.alerts import Alerts
    from modelyard.orchestration.watch import watch
    from modelyard.spec.retrain import is_webhook_url

    seconds = parse_duration(interval, "--interval", example="60s").total_seconds()
    if webhook is not None and not is_webhook_url(webhook):
        raise SpecError(f"--webhook must be an http:// or https:// URL with a host; got "
                        f"{webhook!r}", hint="e.g. --webhook https://hooks.example.com/modelyard")
    if names:  # a misspelt name is a user error now, not a line in the log every interval
        from modelyard.registry.registry import Registry

        with Registry.open(current_settings()) as registry:
            for name in names:
                registry.store.get_model(name)
    # modelyard's own events at INFO; libraries (Alembic's migration lines, ...) stay quiet
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(message)s"))
    logger = logging.getLogger("modelyard")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    alerts = Alerts(webhook)

    def show(done) -> None:
        if json:
            print_json(done.to_dict())
        elif done.skipped or done.error:
            err_console.print(f"{done.model}: {done.skipped or done.error}")
        else:
            fired = ", ".join(c.trigger for c in done.fired) or "no trigger fired"
            told = f"; {done.outcome.reason}" if done.outcome else ""
            console.print(f"{done.model}: {fired}{told}")

    try:
        watch(current_settings(), names or [], interval=seconds, alerts=alerts, once=once,
              on_pass=show)
    except KeyboardInterrupt:
        pass
    finally:
        alerts.close()

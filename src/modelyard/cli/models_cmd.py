"""``modelyard models ...`` and ``modelyard db upgrade``: the model registry."""

from __future__ import annotations

import getpass

import typer
from rich import box
from rich.table import Table

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.render import console, fit_cells, print_json
from modelyard.cli.runs_cmd import SHORT_ID, Limit, Offset, _fmt, page_record, record
from modelyard.registry import MetadataStore, diff_versions, redact, store_url_for
from modelyard.registry.registry import Registry
from modelyard.registry.retrain_log import RetrainLog
from modelyard.registry.values import MAX_STORED_INT


def version_argument(help_: str) -> typer.models.ArgumentInfo:
    """A VERSION argument: a version number the store can hold (1 to 2**63 - 1)."""
    return typer.Argument(..., min=1, max=MAX_STORED_INT, help=help_)


def version_option(help_: str) -> typer.models.OptionInfo:
    """An optional --version: a version number the store can hold (1 to 2**63 - 1)."""
    return typer.Option(None, "--version", min=1, max=MAX_STORED_INT, help=help_)

models_app = typer.Typer(
    help="Registered models: versions, aliases, comparison.", no_args_is_help=True
)
db_app = typer.Typer(help="The metadata store's schema.", no_args_is_help=True)


@models_app.command("list")
def list_command(
    name: str = typer.Option(None, "--name", help="Only names containing this text."),
    limit: int = Limit,
    offset: int = Offset,
    json: o.Json = False,
) -> None:
    """List registered models with their latest version and aliases."""
    with Registry.open(current_settings()) as registry:
        page = registry.store.list_models(name_contains=name, limit=limit, offset=offset)
    if json:
        print_json(page_record(page, [record(m) for m in page.items]))
        return
    table = Table(title=f"models {offset + 1}-{offset + len(page.items)} of {page.total}")
    for column in ("name", "latest", "aliases", "updated"):
        table.add_column(column)
    for model in page.items:
        aliases = ", ".join(f"{a}→{v}" for a, v in sorted(model.aliases.items()))
        table.add_row(
            model.name,
            _fmt(model.latest_version),
            aliases,
            model.updated_at.strftime("%Y-%m-%d %H:%M:%S"),
        )
    console.print(table)
    if page.has_more:
        console.print(f"next page: --offset {offset + limit}")


@models_app.command("show")
def show_command(
    name: str = typer.Argument(..., help="Model name."),
    limit: int = Limit,
    offset: int = Offset,
    wide: o.Wide = False,
    json: o.Json = False,
) -> None:
    """A model's versions (newest first), aliases and alias history."""
    with Registry.open(current_settings()) as registry:
        model = registry.store.get_model(name)
        versions = registry.store.list_versions(name, limit=limit, offset=offset)
        audit = registry.store.audit_log(name)
        decisions = RetrainLog(registry.store).decisions(name)
    if json:
        print_json(
            {
                "model": record(model),
                "versions": [record(v) for v in versions.items],
                "total_versions": versions.total,
                "audit_log": [record(a) for a in audit],
                "retraining": [d.to_dict() for d in decisions],
            }
        )
        return
    console.print(f"[bold]{model.name}[/] {model.description or ''}")
    heads = ("version", "aliases", "created", "run", "learner", "test metrics")
    cells = [[str(v.version), ",".join(v.aliases), v.created_at.strftime("%Y-%m-%d"),
              v.run_id[:SHORT_ID], v.tags.get("learner", ""),
              ", ".join(f"{k} {_fmt(val)}" for k, val in v.metrics.items())]
             for v in versions.items]
    if not wide:
        cells = fit_cells(cells, heads, flexible=5)
    table = Table(title=f"versions {offset + 1}-{offset + len(cells)} of {versions.total}",
                  box=box.SIMPLE_HEAD, title_justify="left")
    for head in heads:
        table.add_column(head, no_wrap=not wide)
    for row in cells:
        table.add_row(*row)
    console.print(table)
    for change in audit:
        console.print(
            f"  {change.at:%Y-%m-%d %H:%M:%S} {change.alias}: "
            f"{change.from_version} → {change.to_version} by {change.actor}"
        )
    if decisions:
        console.print("[bold]retraining[/] (latest first)")
    for d in decisions:
        verdict = "promoted" if d.promoted else "kept"
        console.print(f"  {d.at:%Y-%m-%d %H:%M:%S} {d.trigger}: v{d.challenger_version} vs "
                      f"v{d.champion_version}: {verdict}; {d.reason}", soft_wrap=wide)


@models_app.command("promote")
def promote_command(
    name: str = typer.Argument(..., help="Model name."),
    version: int = version_argument("Version to point the alias at."),
    alias: str = typer.Option("production", "--alias", help="Alias to move."),
    json: o.Json = False,
) -> None:
    """Point an alias (production by default) at a version; the move is audited."""
    with Registry.open(current_settings()) as registry:
        registry.store.set_alias(name, alias, version, actor=getpass.getuser())
    if json:
        print_json({"model": name, "alias": alias, "version": version})
    else:
        console.print(f"{name}@{alias} → version {version}")


@models_app.command("compare")
def compare_command(
    name: str = typer.Argument(..., help="Model name."),
    a: int = version_argument("First version."),
    b: int = version_argument("Second version."),
    json: o.Json = False,
) -> None:
    """Parameters and metrics that differ between two versions (delta = b − a)."""
    with Registry.open(current_settings()) as registry:
        diff = diff_versions(
            registry.store.get_version(name, a), registry.store.get_version(name, b)
        )
    if json:
        print_json(diff)
        return
    table = Table(title=f"{name}: version {a} vs {b}")
    for column in ("", "name", f"v{a}", f"v{b}", "delta"):
        table.add_column(column)
    for kind in ("params", "metrics"):
        for key, entry in diff[kind].items():
            table.add_row(kind, key, _fmt(entry["a"]), _fmt(entry["b"]), _fmt(entry.get("delta")))
    console.print(table)


@models_app.command("delete")
def delete_command(
    name: str = typer.Argument(..., help="Model name."),
    version: int = version_argument("Version to delete."),
    json: o.Json = False,
) -> None:
    """Delete a version (refused while an alias points at it)."""
    with Registry.open(current_settings()) as registry:
        registry.store.delete_version(name, version)
    if json:
        print_json({"model": name, "deleted": version})
    else:
        console.print(f"deleted {name} version {version}")


@models_app.command("tag")
def tag_command(
    name: str = typer.Argument(..., help="Model name."),
    tags: list[str] = typer.Argument(..., help="KEY=VALUE to set, or KEY= to remove."),
    version: int = version_option("Tag this version instead of the model."),
    json: o.Json = False,
) -> None:
    """Set or remove tags on a model or one of its versions."""
    changes = {k: (v or None) for k, v in o._pairs(tags, "tag").items()}
    with Registry.open(current_settings()) as registry:
        if version is None:
            registry.store.set_model_tags(name, changes)
            current = registry.store.get_model(name).tags
        else:
            registry.store.set_version_tags(name, version, changes)
            current = registry.store.get_version(name, version).tags
    if json:
        print_json({"model": name, "version": version, "tags": current})
    else:
        console.print(", ".join(f"{k}={v}" for k, v in sorted(current.items())) or "no tags")


@models_app.command("describe")
def describe_command(
    name: str = typer.Argument(..., help="Model name."),
    text: str = typer.Argument(..., help="The description ('' clears it)."),
    version: int = version_option("Describe this version instead."),
    json: o.Json = False,
) -> None:
    """Set the description of a model or of one of its versions."""
    with Registry.open(current_settings()) as registry:
        registry.store.set_description(name, text or None, version=version)
    if json:
        print_json({"model": name, "version": version, "description": text or None})
    else:
        console.print(f"described {name}" + (f" version {version}" if version else ""))


@db_app.command("upgrade")
def upgrade_command(json: o.Json = False) -> None:
    """Bring the metadata store's schema up to date (PostgreSQL; SQLite upgrades on open)."""
    settings = current_settings()
    url = settings.db_url or store_url_for(settings.home)
    before, after = MetadataStore(url).migrate()
    if json:
        print_json({"store": redact(url), "from": before, "to": after})
    else:
        console.print(f"{redact(url)}: schema {before or 'empty'} → {after}")

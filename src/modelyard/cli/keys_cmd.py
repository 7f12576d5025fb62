"""``modelyard keys create|list|revoke``: API keys for ``modelyard serve``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from modelyard.cli import options as o
from modelyard.cli.context import current_settings
from modelyard.cli.render import console, err_console, print_json
from modelyard.cli.runs_cmd import Limit, Offset, page_record
from modelyard.registry.keys import ApiKeys
from modelyard.registry.registry import Registry

keys_app = typer.Typer(
    help="API keys for the model server: create, list, revoke.", no_args_is_help=True
)

KeyName = Annotated[str, typer.Option("--name", help="Who uses the key, e.g. 'checkout-service'.")]
KeyModels = Annotated[
    str | None,
    typer.Option(
        "--models",
        help="Comma-separated registered models the key may use; default: every model.",
    ),
]
AllowUnregistered = Annotated[
    bool,
    typer.Option(
        "--allow-unregistered",
        help="Accept --models names no model is registered under yet (registered later).",
    ),
]


@keys_app.command("create")
def create_command(
    name: KeyName,
    models: KeyModels = None,
    allow_unregistered: AllowUnregistered = False,
    json: o.Json = False,
) -> None:
    """Create a key and print it once: only its SHA-256 is stored."""
    allowed = [m.strip() for m in models.split(",") if m.strip()] if models is not None else None
    with Registry.open(current_settings()) as registry:
        keys = ApiKeys(registry.store)
        info, secret = keys.create(name, allowed, allow_unregistered=allow_unregistered)
    if json:
        print_json({**info.to_dict(), "key": secret})
        return
    print(secret)  # alone on stdout, so `KEY=$(modelyard keys create --name ci)` works
    scope = ", ".join(info.models) if info.models else "every model"
    err_console.print(
        f"key {info.name!r} ({info.key_id}) may use {scope}. It is shown only now: "
        "store it in your secret manager.",
        highlight=False,
    )


@keys_app.command("list")
def list_command(
    all_: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
    limit: int = Limit,
    offset: int = Offset,
    json: o.Json = False,
) -> None:
    """List the keys, oldest first (never the keys themselves): name, id, models, created,
    revoked."""
    with Registry.open(current_settings()) as registry:
        page = ApiKeys(registry.store).list(include_revoked=all_, limit=limit, offset=offset)
    if json:
        print_json(page_record(page, [k.to_dict() for k in page.items]))
        return
    shown = f"{offset + 1}-{offset + len(page.items)}" if page.items else "none"
    table = Table(title=f"API keys {shown} of {page.total}")
    for column in ("name", "id", "models", "created", "revoked"):
        table.add_column(column)
    for k in page.items:
        table.add_row(
            k.name,
            k.key_id,
            ", ".join(k.models) if k.models else "all",
            k.created_at.strftime("%Y-%m-%d %H:%M"),
            k.revoked_at.strftime("%Y-%m-%d %H:%M") if k.revoked_at else "",
        )
    console.print(table)
    if page.has_more:
        console.print(f"next page: --offset {offset + limit}")


@keys_app.command("revoke")
def revoke_command(
    name: Annotated[str, typer.Argument(help="Name of the key to revoke.")], json: o.Json = False
) -> None:
    """Revoke a key; running servers refuse it within their swap interval."""
    with Registry.open(current_settings()) as registry:
        info = ApiKeys(registry.store).revoke(name)
    if json:
        print_json(info.to_dict())
        return
    console.print(f"revoked key {info.name!r} ({info.key_id})", highlight=False)

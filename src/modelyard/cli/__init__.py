"""The ``modelyard`` command line: a thin front end over the pipeline.

Errors modelyard raises on purpose print their message and hint and exit with status 2; a
traceback appears only with ``--debug`` (or ``MODELYARD_DEBUG=1``).
"""

from __future__ import annotations

import sys
import traceback
import warnings
from typing import Any

import typer
from rich.markup import escape

from modelyard.cli.context import set_root_options
from modelyard.cli.data_cmd import data_app
from modelyard.cli.export_cmd import export_command
from modelyard.cli.helptext import tidy
from modelyard.cli.keys_cmd import keys_app
from modelyard.cli.models_cmd import db_app, models_app
from modelyard.cli.monitor_cmd import monitor_app
from modelyard.cli.predict_cmd import predict_command
from modelyard.cli.render import err_console
from modelyard.cli.retrain_cmd import retrain_command, watch_command
from modelyard.cli.runs_cmd import report_command, runs_app
from modelyard.cli.serve_cmd import serve_command
from modelyard.cli.train_cmd import learners_command, train_command
from modelyard.errors import ModelyardError
from modelyard.orchestration.library_warnings import to_terminal
from modelyard.settings import debug_enabled

app = typer.Typer(
    name="modelyard",
    help="Train, evaluate and ship models from tables: data -> split -> features -> model.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help, wrapped on word boundaries (see cli/helptext.py)
)
app.add_typer(data_app, name="data")
app.command("train")(train_command)
app.command("learners")(learners_command)
app.add_typer(runs_app, name="runs")
app.add_typer(models_app, name="models")
app.add_typer(db_app, name="db")
app.command("report")(report_command)
app.command("predict")(predict_command)
app.command("serve")(serve_command)
app.command("export")(export_command)
app.add_typer(keys_app, name="keys")
app.command("retrain")(retrain_command)
app.command("watch")(watch_command)
app.add_typer(monitor_app, name="monitor")


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks on errors."),
    home: str = typer.Option(
        None, "--home", help="Store folder (default $MODELYARD_HOME or ./.modelyard)."
    ),
    db: str = typer.Option(
        None,
        "--db",
        help="Metadata store URL, e.g. postgresql+psycopg://"
        "user@host/db (default $MODELYARD_DB, else SQLite in the home).",
    ),
) -> None:
    """modelyard: the model-training loop, from a table to an evaluated, registered model."""
    set_root_options(home, db)


def command() -> Any:
    """The whole command tree as click runs it, with tidy help (see ``cli/helptext.py``)."""
    return tidy(typer.main.get_command(app))


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or debug_enabled()
    try:
        with warnings.catch_warnings():  # a library warning outside the pipeline: one note line
            to_terminal(lambda text: err_console.print(f"[yellow]note:[/] {escape(text)}",
                                                       highlight=False, soft_wrap=True))
            command().main(args=args, prog_name="modelyard", standalone_mode=False)
    except ModelyardError as err:
        if debug:
            traceback.print_exc()
        # soft_wrap: a path or an id in a message is never broken across lines
        # escaped: a message quotes what it received, and '[echo hi]' is not markup to drop
        err_console.print(f"[bold red]error:[/] {escape(err.message)}", highlight=False,
                          soft_wrap=True)
        if err.hint:
            err_console.print(f"[yellow]hint:[/] {escape(err.hint)}", highlight=False,
                              soft_wrap=True)
        return 2
    except typer.Exit as exit_:
        return exit_.exit_code
    except typer.Abort:
        err_console.print("aborted")
        return 130
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as err:  # click usage errors carry their own exit code
        code = getattr(err, "exit_code", None)
        if code is None or not hasattr(err, "format_message"):
            raise
        ctx = getattr(err, "ctx", None)
        where = ctx.command_path if ctx is not None else "modelyard"
        err_console.print(f"[bold red]error:[/] {err.format_message()}", highlight=False,
                          soft_wrap=True)
        err_console.print(f"[yellow]hint:[/] see {where} --help", highlight=False, soft_wrap=True)
        return code
    return 0


def run() -> None:  # pragma: no cover - thin wrapper
    sys.exit(main())

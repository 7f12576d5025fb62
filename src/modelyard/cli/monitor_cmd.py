"""``modelyard monitor``: how a deployed model is doing: drift of its inputs and predictions
against its training reference, ground truth fed back, and its live performance.

Each command lives in its own module and is registered on ``monitor_app`` here.
"""

from __future__ import annotations

import typer

from modelyard.cli.monitor_drift_cmd import drift_command
from modelyard.cli.monitor_feedback_cmd import feedback_command, performance_command

monitor_app = typer.Typer(
    help="A deployed model's drift, feedback (ground truth) and live performance.",
    no_args_is_help=True,
)

monitor_app.command("drift")(drift_command)
monitor_app.command("feedback")(feedback_command)
monitor_app.command("performance")(performance_command)

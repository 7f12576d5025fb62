"""A rich progress bar over epochs and batches; silent when quiet or not on a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from modelyard.training.callbacks import Callback
from modelyard.training.state import FitState


class RichProgress(Callback):
    """Two bars: epochs (with the last epoch's losses and metric) and batches of the current epoch.

    ``enabled`` is decided at fit start: False when ``quiet`` or the console is not a terminal, so
    logs and CI output stay clean. Pass a ``Console`` to draw elsewhere than stderr.
    """

    def __init__(self, quiet: bool = False, console: Console | None = None) -> None:
        self.quiet = quiet
        self.console = console
        self.enabled = False
        self._progress: Progress | None = None
        self._epochs: Any = None
        self._batches: Any = None

    def on_fit_start(self, state: FitState) -> None:
        console = self.console or Console(stderr=True)
        self.enabled = not self.quiet and console.is_terminal
        if not self.enabled:
            return
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[info]}"),
            console=console,
        )
        self._epochs = self._progress.add_task(
            "epochs", total=state.config.epochs, completed=state.epoch, info=""
        )
        self._batches = self._progress.add_task("batches", total=state.n_batches, info="")
        self._progress.start()

    def on_epoch_start(self, state: FitState) -> None:
        if self._progress is not None:
            self._progress.reset(self._batches, total=state.n_batches)

    def on_batch_end(self, state: FitState) -> None:
        if self._progress is not None:
            self._progress.advance(self._batches)

    def on_epoch_end(self, state: FitState) -> None:
        if self._progress is None:
            return
        info = "  ".join(
            f"{k}={v:.4g}"
            for k, v in state.logs.items()
            if k.startswith(("train_", "val_")) and isinstance(v, float)
        )
        self._progress.update(self._epochs, completed=state.epoch, info=info)

    def _close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def on_fit_end(self, state: FitState) -> None:
        self._close()

    def on_exception(self, state: FitState) -> None:
        self._close()

"""Progress for steps that may take more than a second: a Rich status line on stderr."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from modelyard.cli.render import err_console


@contextmanager
def steps(enabled: bool = True) -> Iterator[Callable[[str], None]]:
    """Yield a ``step(name)`` callback that shows the current step and logs finished ones."""
    if not enabled or not err_console.is_terminal:
        yield lambda _name: None
        return
    current: dict[str, float | str] = {}
    with err_console.status("starting") as status:

        def step(name: str) -> None:
            if current:
                elapsed = time.perf_counter() - float(current["t"])
                err_console.print(f"[green]✓[/] {current['name']} [dim]({elapsed:.1f}s)[/]")
            current.update(name=name, t=time.perf_counter())
            status.update(name + " ...")

        yield step
        if current:
            elapsed = time.perf_counter() - float(current["t"])
            err_console.print(f"[green]✓[/] {current['name']} [dim]({elapsed:.1f}s)[/]")

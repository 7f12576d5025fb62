"""Rich rendering of what the commands report. JSON output bypasses this module."""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

console = Console()
err_console = Console(stderr=True)


def print_json(payload: Any) -> None:
    """One JSON document on stdout, nothing else (for scripts)."""
    print(json.dumps(payload, indent=2, default=str))


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _summary(col: dict[str, Any], wide: bool = False) -> str:
    """A column's values in a few words: its top values, or its range and mean."""
    if col.get("top"):
        top = col["top"] if wide else col["top"][:3]
        return ", ".join(f"{t['value']} ({t['count']})" for t in top)
    if "mean" in col:
        return f"{_fmt(col.get('min'))} .. {_fmt(col.get('max'))}, mean {_fmt(col.get('mean'))}"
    if "min" in col:
        return f"{_fmt(col.get('min'))} .. {_fmt(col.get('max'))}"
    if "mean_length" in col:
        return f"mean length {_fmt(col['mean_length'])}"
    return ""


def _missing(col: dict[str, Any]) -> str:
    n = col.get("n_missing", 0)
    return "0" if not n else f"{n} ({col.get('missing_pct', 0):.1f}%)"


def _column_note(col: dict[str, Any]) -> str:
    role, note = col.get("role"), col.get("note") or ""
    if role == "target":
        return ("the target. " + note).strip()
    if role == "dropped":
        return f"dropped: {col.get('dropped_reason') or note}"
    return note


TASK_SHORT = {"binary": "bin", "multiclass": "multi", "regression": "reg"}
PROFILE_HEAD = ("column", "kind", "missing", "unique", "summary")


def TABLE_OVERHEAD(n_columns: int) -> int:  # noqa: N802 - reads as the constant it is
    """Characters a box.SIMPLE_HEAD table spends around ``n_columns`` cells: one space of
    padding each side of every cell, and the edges and dividers, drawn as spaces."""
    return 3 * n_columns + 1


def _clip(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, ending in an ellipsis when cut."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"


def fit_cells(cells: list[list[str]], heads: tuple[str, ...], *, flexible: int,
              caps: dict[int, int] | None = None, least: int = 12) -> list[list[str]]:
    """Cut the cells of a box.SIMPLE_HEAD table so every row is one line of the console.

    Each column keeps its widest cell, except those in ``caps`` (column index -> most
    characters) and the ``flexible`` column, which gets what the others leave (``least`` at
    the very least). A cut cell ends in an ellipsis; ``--wide`` callers skip this.
    """
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(heads)]
    for index, cap in (caps or {}).items():
        widths[index] = min(widths[index], cap)
    others = sum(w for i, w in enumerate(widths) if i != flexible)
    widths[flexible] = max(least, console.width - others - TABLE_OVERHEAD(len(heads)))
    return [[_clip(v, w) for v, w in zip(row, widths, strict=True)] for row in cells]


def render_profile(profile: dict[str, Any], title: str, *, wide: bool = False) -> None:
    """One line per column, then the notes on columns. On a narrow terminal long names and
    summaries end in an ellipsis; ``wide`` shows them whole, wrapped at words."""
    table = Table(
        title=f"{title}: {profile.get('n_rows')} rows, {profile.get('n_columns')} columns",
        box=box.SIMPLE_HEAD,
        title_justify="left",
    )
    columns = profile.get("columns", [])
    cells = [[str(c["name"]), c.get("kind") or "", _missing(c), _fmt(c.get("n_unique")),
              _summary(c, wide)] for c in columns]
    if not wide:  # every cell one line: the name and summary get what the others leave
        cells = fit_cells(cells, PROFILE_HEAD, flexible=4, caps={0: 20})
    for head in PROFILE_HEAD:
        table.add_column(head, overflow="fold", no_wrap=not wide,
                         justify="right" if head in ("missing", "unique") else "left")
    notes = []
    for col, row in zip(columns, cells, strict=True):
        role = col.get("role")
        style = "dim" if role == "dropped" else ("bold" if role == "target" else None)
        table.add_row(*row, style=style)
        if _column_note(col):
            notes.append(f"  {col['name']}: {_column_note(col)}")
    console.print(table)
    if notes:
        console.print("notes on columns:\n" + "\n".join(notes), highlight=False)
    target = profile.get("target")
    if target and target.get("classes"):
        balance = Table(title=f"class balance of '{target.get('name')}'", box=box.SIMPLE_HEAD,
                        title_justify="left")
        balance.add_column("label", overflow="fold")
        balance.add_column("rows", justify="right")
        balance.add_column("share", justify="right")
        for item in target["classes"]:
            balance.add_row(str(item["label"]), str(item["count"]), f"{item['fraction']:.1%}")
        console.print(balance)
    for note in profile.get("notes", []):
        console.print(f"[yellow]note:[/] {note}")


def render_split(summary: dict[str, Any]) -> None:
    table = Table(title=f"split: {summary.get('method')} (seed {summary.get('seed')})")
    for name in ("part", "rows", "share"):
        table.add_column(name)
    sizes = summary.get("sizes", {})
    total = sum(sizes.values()) or 1
    for part, rows in sizes.items():
        table.add_row(part, str(rows), f"{rows / total:.1%}")
    console.print(table)
    if summary.get("folds"):
        console.print(f"{summary['folds']} folds on the training part")
    for note in summary.get("notes", []):
        console.print(f"[yellow]note:[/] {note}")


def render_metrics(metrics: dict[str, dict[str, float]], title: str) -> None:
    names: list[str] = []
    for values in metrics.values():
        names += [n for n in values if n not in names]
    table = Table(title=title)
    table.add_column("metric")
    for part in metrics:
        table.add_column(part, justify="right")
    for name in names:
        table.add_row(name, *(_fmt(metrics[p].get(name)) for p in metrics))
    console.print(table)


LEARNER_HEAD = ("name", "tasks", "searched", "description")


def render_learners(rows: list[dict[str, Any]], *, wide: bool = False) -> None:
    """The learners, one line each (``wide``: whole descriptions, wrapped at words)."""
    table = Table(title="registered learners", box=box.SIMPLE_HEAD, title_justify="left")
    cells = [[row["name"], ",".join(TASK_SHORT.get(t, t) for t in row["tasks"]),
              "yes" if row["searched_by_default"] else "if named", row["description"]]
             for row in rows]
    if not wide:
        cells = fit_cells(cells, LEARNER_HEAD, flexible=3)
    for head in LEARNER_HEAD:
        table.add_column(head, no_wrap=not wide)
    for row in cells:
        table.add_row(*row)
    console.print(table)
    console.print("tasks: bin = binary, multi = multiclass, reg = regression. searched: whether "
                  "a search tries it when --learners does not name the learners")


def render_kpis(kpis: list[dict[str, Any]], title: str = "KPIs on the test rows") -> None:
    table = Table(title=title)
    table.add_column("KPI")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for row in kpis:
        value = row.get("value")
        shown = (
            "n/a" if value is None else (f"{value:.4g}" if isinstance(value, float) else str(value))
        )
        table.add_row(row["label"], shown, row.get("unit", ""))
    console.print(table)


def render_leaderboard(board: Any, limit: int = 15) -> None:
    """A search's trials (a ``Leaderboard``), best first by its metric's direction; failed and
    pruned trials last. Ranking and cell text are the leaderboard's own, as in the report."""
    table = Table(title=f"search leaderboard: {len(board)} trials")
    for index, name in enumerate(board.headings()):
        table.add_column(name, justify="left" if index in (1, 2) else "right")
    ranked = board.ranked()
    for row, cells in zip(ranked, board.cells(limit), strict=False):
        table.add_row(*cells, style="bold" if row.get("weight") else None)
    if len(ranked) > limit:
        table.caption = f"{len(ranked) - limit} more trial(s) in the report"
    console.print(table)

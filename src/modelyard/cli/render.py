"""Rich rendering of what the commands report. JSON output bypasses this module."""

from __future__ import annotations

import json
from typing import Any

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


def _summary(col: dict[str, Any]) -> str:
    if col.get("top"):
        return ", ".join(f"{t['value']} ({t['count']})" for t in col["top"][:3])
    if "mean" in col:
        return (
            f"min {_fmt(col.get('min'))}  mean {_fmt(col.get('mean'))}  max {_fmt(col.get('max'))}"
        )
    if "min" in col:
        return f"{_fmt(col.get('min'))} .. {_fmt(col.get('max'))}"
    if "mean_length" in col:
        return f"mean length {_fmt(col['mean_length'])}"
    return ""


def render_profile(profile: dict[str, Any], title: str) -> None:
    table = Table(
        title=f"{title}: {profile.get('n_rows')} rows, {profile.get('n_columns')} columns"
    )
    table.add_column("column", no_wrap=True)
    for name in ("kind", "missing", "unique", "summary", "note"):
        table.add_column(name, overflow="fold")
    for col in profile.get("columns", []):
        role = col.get("role")
        note = col.get("note") or ""
        if role == "target":
            note = ("target. " + note).strip()
        elif role == "dropped":
            note = f"dropped: {col.get('dropped_reason') or note}"
        missing = f"{col.get('n_missing', 0)} ({_fmt(col.get('missing_pct', 0))}%)"
        style = "dim" if role == "dropped" else ("bold" if role == "target" else None)
        table.add_row(
            col["name"],
            col.get("kind", ""),
            missing,
            _fmt(col.get("n_unique")),
            _summary(col),
            note,
            style=style,
        )
    console.print(table)
    target = profile.get("target")
    if target and target.get("classes"):
        balance = Table(title=f"class balance of '{target.get('name')}'")
        for name in ("label", "rows", "share"):
            balance.add_column(name)
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


def render_learners(rows: list[dict[str, Any]]) -> None:
    table = Table(title="registered learners")
    for name in ("name", "tasks", "input", "searched by default", "description"):
        table.add_column(name, overflow="fold")
    for row in rows:
        table.add_row(row["name"], ", ".join(row["tasks"]), row["input_kind"],
                      "yes" if row["searched_by_default"] else "no (name it in learners)",
                      row["description"])
    console.print(table)


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


def render_leaderboard_records(records: list[dict[str, Any]], limit: int = 15) -> None:
    """The search's trials, best first (failed and pruned trials last)."""
    ok = [r for r in records if r.get("score") is not None]
    scores = [r["score"] for r in ok]
    # the search metric's direction: the trial with the largest ensemble weight is among the best
    best = max(records, key=lambda r: r.get("weight") or 0.0, default=None)
    higher = (
        best is None or best.get("score") is None or best["score"] >= (sum(scores) / len(scores))
    )
    ranked = sorted(ok, key=lambda r: r["score"], reverse=higher)
    ranked += [r for r in records if r.get("score") is None]
    table = Table(title=f"search leaderboard: {len(records)} trials")
    for name in ("#", "learner", "status", "score", "fit s", "predict s/1k", "weight"):
        table.add_column(name, justify="left" if name in ("learner", "status") else "right")
    for r in ranked[:limit]:
        table.add_row(
            str(r["trial"]),
            r["learner"],
            r["status"],
            _fmt(r.get("score")),
            _fmt(r.get("fit_seconds")),
            _fmt(r.get("predict_seconds_per_1k")),
            _fmt(r.get("weight")) if r.get("weight") else "",
            style="bold" if r.get("weight") else None,
        )
    if len(ranked) > limit:
        table.caption = f"{len(ranked) - limit} more trial(s) in the report"
    console.print(table)

"""What every bad-input probe shares: the probe record, a store to probe against, and checks.

A probe is data: the CLI arguments (with ``{work}`` for the probe's own folder and ``{data}`` for
``tests/data``), the files to write first, and the words the error must contain. The test runs it
in a fresh process against a copy of a store that already holds a registered model, and asserts
the contract of a user error: exit status 2 (or the probe's ``code``), a message and a hint, no
traceback, the expected words, and a store that is unchanged afterwards (same rows in every
table, SQLite's integrity check passing, every artifact still verifying).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "data"
TABLES = ("runs", "run_params", "run_metrics", "metric_points", "models", "model_versions",
          "model_aliases", "alias_audit", "api_keys", "retrain_decisions", "watch_checks",
          "retrain_leases", "monitor_gauges")
KEPT = ("predictions", "feedback")  # folders of the home whose files a probe must not lose


@dataclass(frozen=True)
class Probe:
    """One bad input and what a user must be told about it.

    ``args``: the command line after ``modelyard``; ``{work}`` and ``{data}`` are filled in.
    ``files``: name -> text or bytes written under the work folder first (``prepare``, when
    given, gets the work folder and may make anything else: folders, symlinks). ``says``: words
    the error output must contain (case-insensitive). ``code``: the exit status expected (2 for
    every user error). ``stdout``: words the standard output must contain instead, for probes
    whose right answer is a success with a note. ``never``: words neither output may contain
    (what a success must not alarm the user with).
    """

    name: str
    args: tuple[str, ...]
    says: tuple[str, ...] = ()
    files: dict[str, str | bytes] = field(default_factory=dict)
    prepare: Callable[[Path], None] | None = None
    code: int = 2
    stdout: tuple[str, ...] = ()
    timeout: int = 180
    never: tuple[str, ...] = ()
    adds: bool = False  # a counted-skip success may add files under KEPT, never change one


def write_files(work: Path, probe: Probe) -> None:
    for name, content in probe.files.items():
        path = work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    if probe.prepare is not None:
        probe.prepare(work)


def run_cli(home: Path, work: Path, args: tuple[str, ...], timeout: int = 180,
            columns: int = 80) -> subprocess.CompletedProcess:
    """``modelyard ARGS`` in a fresh process over the store in ``home``, from ``work``."""
    env = {**os.environ, "MODELYARD_HOME": str(home), "COLUMNS": str(columns)}
    env.pop("MODELYARD_DEBUG", None)
    filled = [a.format(work=work, data=DATA) for a in args]
    return subprocess.run([sys.executable, "-m", "modelyard", *filled], capture_output=True,
                          text=True, env=env, cwd=work, timeout=timeout)


def store_state(home: Path, kept: tuple[str, ...] = ()) -> dict[str, object]:
    """Row counts of every table, SQLite's integrity check, the artifacts' hashes and those of
    the files under the home's ``kept`` folders (KEPT: the prediction log and the feedback)."""
    state: dict[str, object] = {}
    with sqlite3.connect(home / "modelyard.db") as conn:
        for table in TABLES:
            state[table] = conn.execute(f"select count(*) from {table}").fetchone()[0]
        state["integrity"] = conn.execute("pragma integrity_check").fetchone()[0]
    objects = home / "artifacts"
    state["artifacts"] = {
        str(p.relative_to(objects)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(objects.rglob("*")) if p.is_file() and "cache" not in p.parts
    } if objects.exists() else {}
    state["files"] = {
        str(p.relative_to(home)): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in kept for p in sorted((home / folder).rglob("*")) if p.is_file()
    }
    return state


def assert_nothing_lost(before: dict[str, object], after: dict[str, object],
                        probe: Probe) -> None:
    """The store is as it was; a probe that ``adds`` may only have added files under KEPT."""
    if not probe.adds:
        assert after == before, "the store changed"
        return
    old, new = before.pop("files"), after.pop("files")
    assert after == before, "the store changed"
    assert {k: new.get(k) for k in old} == old, "a stored file changed or went"  # type: ignore


def assert_user_error(done: subprocess.CompletedProcess, probe: Probe) -> None:
    """The contract of a user error: the code, message and hint, no traceback, the words."""
    shown = (f"exit {done.returncode}\nstdout:\n{done.stdout[-3000:]}\n"
             f"stderr:\n{done.stderr[-3000:]}")
    assert done.returncode == probe.code, shown
    assert "Traceback" not in done.stderr and "Traceback" not in done.stdout, shown
    if probe.code == 2:
        assert "error:" in done.stderr and "hint:" in done.stderr, shown
    for word in probe.says:
        assert word.lower() in done.stderr.lower(), (word, shown)
    for word in probe.stdout:
        assert word.lower() in done.stdout.lower(), (word, shown)
    for word in probe.never:
        assert word.lower() not in (done.stdout + done.stderr).lower(), (word, shown)


def churn_store(home: Path) -> Path:
    """A store in ``home`` holding one registered version of 'churn' (a quick logistic model
    of the telco slice); returns ``home``."""
    from modelyard.pipeline import train
    from modelyard.settings import load_settings
    from modelyard.spec import validate_spec

    train(validate_spec({
        "name": "churn",
        "data": {"source": {"path": str(DATA / "telco_churn.csv")}, "target": "Churn"},
        "model": "logistic",
        "evaluation": {"importance": False, "latency": False, "bootstrap": 10},
    }), load_settings(home))
    return home

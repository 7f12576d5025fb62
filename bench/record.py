"""Raw benchmark results: stamp every record and keep every record.

Each script in ``bench/`` writes its measurements through this module to
``bench/results/<name>.json`` (``{"records": [...]}``), and ``bench/tables.py`` builds the tables of
``bench/README.md`` from those files. A record's ``stamp`` says what was measured and how:

- ``commit`` of the modelyard code that was imported (the repository holding ``modelyard``'s
  source), ``dirty`` (tracked files changed there, with their paths), and ``modelyard_path``;
- ``date`` (UTC, ISO 8601), ``python``, ``platform``, ``cpu_model``, ``memory_gb``;
- ``libraries``: the installed versions of the libraries involved (``None``: not installed);
- ``cpus``: ``count`` (the machine's) and ``affinity`` (the cores this process may use);
- ``load``: ``os.getloadavg()`` when the measurement started and when it ended (the machine is
  shared, so a busy machine shows here);
- ``command``: the exact command line.

Writing never drops a record silently. A record whose key (what it measures: dataset, budget,
settings...) equals a newer one's is kept and marked ``superseded`` (by the newer record's date
and commit); tables show records that are not superseded. Records written before stamps existed
keep the fields they have: nothing is filled in for them.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import importlib.util
import json
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
# the product's own heavy libraries, recorded for every benchmark (importing none of them)
BASE_LIBRARIES = ("modelyard", "numpy", "pandas", "scikit-learn", "lightgbm", "xgboost",
                  "xgboost-cpu", "catboost", "torch")  # xgboost-cpu: the CPU-only wheel


def versions(names: Iterable[str]) -> dict[str, str | None]:
    """Installed distribution versions, ``None`` for what is not installed."""
    out: dict[str, str | None] = {}
    for name in names:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def load() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded."""
    return [round(x, 2) for x in os.getloadavg()]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _git(folder: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True,
                              timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.rstrip("\n") if done.returncode == 0 else None


def code_state() -> dict:
    """Commit and dirtiness of the repository that holds the modelyard being imported."""
    spec = importlib.util.find_spec("modelyard")
    if spec is None or spec.origin is None:
        return {"commit": None, "dirty": None, "dirty_paths": [], "modelyard_path": None}
    package = Path(spec.origin).resolve().parent
    commit = _git(package, "rev-parse", "HEAD")
    changed = _git(package, "status", "--porcelain", "--untracked-files=no")
    paths = [line[3:] for line in (changed or "").splitlines() if line.strip()]
    return {"commit": commit, "dirty": bool(paths) if commit else None,
            "dirty_paths": paths[:100], "modelyard_path": str(package)}


def _cpu_model() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gb() -> float | None:
    try:
        return round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        return None


def _interpreter() -> str:
    """The Python that runs the benchmark, relative to the working directory when inside it."""
    path = Path(sys.executable)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


class Stamper:
    """What every record of one benchmark run shares; ``stamp()`` adds the date and load.

    Create it when the run starts (the load then is the run's starting load); call ``start()``
    before each measurement and ``stamp()`` after it, so each record carries the load around it.
    """

    def __init__(self, libraries: Sequence[str] = (), argv: Sequence[str] | None = None):
        self.static = {
            **code_state(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpu_model": _cpu_model(),
            "memory_gb": _memory_gb(),
            "libraries": versions(dict.fromkeys([*BASE_LIBRARIES, *libraries])),
            "cpus": {"count": os.cpu_count(), "affinity": len(os.sched_getaffinity(0))},
            "command": shlex.join([_interpreter(), *(argv or sys.argv)]),
        }
        self.started_at, self.started_load = now(), load()

    def start(self) -> None:
        """Mark the start of one measurement (its date and the load then)."""
        self.started_at, self.started_load = now(), load()

    def stamp(self, **extra: object) -> dict:
        """The stamp of a measurement that ends now; ``extra`` adds fields (e.g. ``peer``)."""
        return {**self.static, "started": self.started_at, "date": now(),
                "load": {"start": self.started_load, "end": load()}, **extra}


def read(name: str) -> dict:
    """The whole results file ``bench/results/<name>.json`` (``{"records": []}`` if absent)."""
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else {"records": []}


def current(name: str) -> list[dict]:
    """The records of ``name`` that no newer record replaced."""
    return [r for r in read(name)["records"] if not r.get("superseded")]


def add(name: str, records: Sequence[dict], key: Callable[[dict], tuple],
        command: str | None = None) -> list[dict]:
    """Append ``records`` to ``bench/results/<name>.json`` and return every record in it.

    Call it once per new record or batch of new records (a record passed twice would supersede
    its own first copy).

    An older record with the same ``key`` as a new one stays in the file, marked ``superseded``
    with the new record's date and commit. The file is locked while it is read and written (two
    runs side by side can share it) and replaced atomically. ``command`` is added to the file's
    ``commands`` list when the file has one (automl.json keeps the commands that made it).
    """
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        data = json.loads(path.read_text()) if path.is_file() else {"records": []}
        newest = {key(r): r for r in records}
        for old in data["records"]:
            by = newest.get(key(old))
            if by is not None and not old.get("superseded"):
                stamp = by.get("stamp", {})
                old["superseded"] = {"date": stamp.get("date"), "commit": stamp.get("commit")}
        data["records"].extend(records)
        if command is not None and "commands" in data:
            data["commands"] = [c for c in data["commands"] if c != command] + [command]
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
        tmp.replace(path)
    return data["records"]

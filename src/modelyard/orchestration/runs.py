"""Run directories under ``MODELYARD_HOME/runs``: one folder per training run with its record.

A run's ``run.json`` is written atomically at every status change, so a killed process leaves a
run that says ``running`` with the time of its last update; the model is written to ``model/``
only after training succeeded.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from modelyard.errors import NotFound


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + uuid.uuid4().hex[:6]


@dataclass
class RunRecord:
    """What a run did, kept as JSON beside its model."""

    run_id: str
    directory: Path
    record: dict[str, Any] = field(default_factory=dict)

    @property
    def model_dir(self) -> Path:
        return self.directory / "model"

    @property
    def checkpoint_dir(self) -> Path:
        return self.directory / "checkpoint"

    def update(self, **values: Any) -> None:
        self.record.update(values)
        self.record["updated_at"] = now()
        self.directory.mkdir(parents=True, exist_ok=True)
        tmp = self.directory / "run.json.tmp"
        tmp.write_text(json.dumps(self.record, indent=2, default=str), encoding="utf-8")
        os.replace(tmp, self.directory / "run.json")


def create_run(runs_root: Path) -> RunRecord:
    run_id = new_run_id()
    run = RunRecord(run_id, runs_root / run_id, {"run_id": run_id, "started_at": now()})
    run.update(status="running")
    return run


def open_run(runs_root: Path, run_id: str) -> RunRecord:
    path = runs_root / run_id / "run.json"
    if not path.is_file():
        known = sorted(p.name for p in runs_root.glob("*") if (p / "run.json").is_file())
        recent = ", ".join(known[-5:])
        raise NotFound(
            f"no run '{run_id}' in {runs_root}",
            hint=f"the most recent runs: {recent}" if known else "no runs recorded yet; train one first",
        )
    return RunRecord(run_id, runs_root / run_id, json.loads(path.read_text(encoding="utf-8")))

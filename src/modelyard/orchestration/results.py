"""``TrainResult``: what one training run produced, typed.

The fitted model itself (as it was registered, threshold included), where its run and files
are, its metrics per part, KPIs, leaderboard, report paths, notes and warnings. ``to_dict()``
is the JSON document ``modelyard train --json`` prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modelyard.evaluation.leaderboard import Leaderboard
from modelyard.evaluation.results import Kpi, PartMetrics
from modelyard.search.deploy import Deployment


@dataclass(frozen=True)
class ReportPaths:
    """Where the run's evaluation report is: its JSON and HTML files, and the stored copy."""

    json: str
    html: str
    uri: str

    def to_dict(self) -> dict[str, str]:
        return {"json": self.json, "html": self.html, "uri": self.uri}


@dataclass(frozen=True)
class Registration:
    """What registering the run's model as a version takes, besides the model name."""

    run_id: str
    artifact_uri: str
    schema: dict[str, Any]
    metrics: dict[str, float]
    tags: dict[str, str]

    def register(self, store: Any, name: str) -> int:
        """Register the stored artifact as the next version of ``name``; returns its number."""
        return store.register_version(name, run_id=self.run_id, artifact_uri=self.artifact_uri,
                                      schema=self.schema, metrics=self.metrics, tags=self.tags)


@dataclass
class TrainResult:
    """One finished training run.

    ``model`` predicts on raw rows in the original label space (``predict``,
    ``predict_proba``). ``version`` is the registered version (None when the run registered
    none). ``metrics["test"]`` are the final test metrics, ``metrics["validation"]`` and
    ``metrics["train"]`` the ones seen while fitting (``cv``/``cv_std`` with folds).
    ``leaderboard`` holds the search's trials (or the one learner) best first; calling it gives
    a DataFrame. ``report`` is None when there were no test rows to evaluate on.
    """

    model: Any  # the FittedModel (ModelBundle or EnsembleBundle) that was saved
    run_id: str
    run_dir: str
    model_dir: str
    model_name: str
    version: int | None
    learner: str
    task: str
    metrics: PartMetrics
    leaderboard: Leaderboard
    threshold: float | None = None
    history: tuple[dict[str, Any], ...] = ()
    stop_reason: str | None = None
    fit_seconds: float = 0.0
    cpu_seconds: float = 0.0
    notes: tuple[str, ...] = ()
    primary_metric: str | None = None
    kpis: tuple[Kpi, ...] = ()
    warnings: tuple[str, ...] = ()
    report: ReportPaths | None = None
    deployment: Deployment | None = None  # a search's variants (refit, bagged), measured
    registration: Registration | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        """The plain JSON shape (``modelyard train --json``); the model itself is left out."""
        return {
            "run_id": self.run_id,
            "run_dir": self.run_dir,
            "model_dir": self.model_dir,
            "model_name": self.model_name,
            "version": self.version,
            "learner": self.learner,
            "task": self.task,
            "metrics": self.metrics.to_dict(),
            "threshold": self.threshold,
            "history": [dict(r) for r in self.history],
            "stop_reason": self.stop_reason,
            "fit_seconds": self.fit_seconds,
            "cpu_seconds": self.cpu_seconds,
            "notes": list(self.notes),
            "primary_metric": self.primary_metric,
            "kpis": [k.to_dict() for k in self.kpis],
            "warnings": list(self.warnings),
            "report": self.report.to_dict() if self.report else {},
            "deployment": self.deployment.to_dict() if self.deployment else None,
            # a search's trials; a run of one named learner had none
            "leaderboard": self.leaderboard.to_records() if self.leaderboard.searched else [],
        }

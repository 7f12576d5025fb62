"""The final evaluation of a saved model: reload it, score the untouched test rows, measure it.

Everything here runs on the model as it was saved (reloaded and hash-verified), so the numbers
describe what will be served: preprocessing included.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

import modelyard.model  # noqa: F401  (registers the model formats)
from modelyard.evaluation.importance import permutation_importance
from modelyard.evaluation.kpis import cpus_available, measure_latency
from modelyard.evaluation.leaderboard import Leaderboard
from modelyard.evaluation.leakage import leakage_warning
from modelyard.evaluation.metrics import DEFAULT_METRICS, get_metric, score
from modelyard.evaluation.report import REPORT_METRICS, ReportSettings, build_report
from modelyard.evaluation.results import Kpi, Metrics
from modelyard.formats import load_artifact
from modelyard.learners.threads import pinned_threads
from modelyard.search.budget import Budget
from modelyard.spec.models import CostSpec, EvaluationSpec

# Permutation importance re-scores the model n_repeats times per column: past this many columns
# (images, wide text) it would cost more than the training itself.
MAX_IMPORTANCE_COLUMNS = 200
IMPORTANCE_REPEATS = 5
IMPORTANCE_ROWS = 2000  # validation rows scored per permutation (a seeded sample beyond this)
# Time for the measured extras (importance, latency), so evaluation stays a bounded overhead; a
# search with a time budget reserves a share of its budget instead, within these bounds.
IMPORTANCE_SECONDS = 10.0
LATENCY_SECONDS = 5.0
MIN_SEARCH_SHARE = 0.5  # the extras never hold back more than the rest of a small budget


def extras_seconds(time_budget: float | None) -> tuple[float, float]:
    """Seconds for (importance, latency): fixed, or 10% and 5% of a search's time budget."""
    if time_budget is None:
        return IMPORTANCE_SECONDS, LATENCY_SECONDS
    return (
        min(IMPORTANCE_SECONDS, max(1.0, 0.10 * time_budget)),
        min(LATENCY_SECONDS, max(0.5, 0.05 * time_budget)),
    )


@dataclass(frozen=True)
class ExtrasTime:
    """Seconds the final evaluation may spend on permutation importance and on latency."""

    importance: float = IMPORTANCE_SECONDS
    latency: float = LATENCY_SECONDS


def reserve_extras(budget: Budget, evaluation: EvaluationSpec | None) -> ExtrasTime:
    """Hold back from ``budget`` the time the evaluation's extras will take, and return it.

    ``evaluation`` None: no evaluation follows, nothing is held. A limited budget holds 10% and
    5% of its total (capped at 10 s and 5 s) for the extras the spec asks for, but never more
    than ``1 - MIN_SEARCH_SHARE`` of it; an unlimited one holds nothing and the extras get
    their fixed limits.
    """
    importance, latency = extras_seconds(budget.total)
    if evaluation is None or not budget.limited:
        return ExtrasTime(importance, latency)
    wanted = importance * evaluation.importance + latency * evaluation.latency
    held = min(wanted, (1 - MIN_SEARCH_SHARE) * budget.total)
    if held > 0:
        budget.reserve(held)
    scale = held / wanted if wanted else 1.0  # a small budget shrinks both extras alike
    return ExtrasTime(importance * scale, latency * scale)


@dataclass(frozen=True)
class Evaluation:
    """What the final evaluation found: the report (built, not yet written), the test metrics,
    the KPIs, the primary metric and the warnings (over-fitting, leakage)."""

    report: dict[str, Any]
    metrics: Metrics
    kpis: tuple[Kpi, ...]
    primary_metric: str
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class EvalInputs:
    """Raw rows and targets of each part (targets as class codes or floats)."""

    train: pd.DataFrame
    y_train: np.ndarray
    validation: pd.DataFrame
    y_validation: np.ndarray
    test: pd.DataFrame
    y_test: np.ndarray


def primary_metric(task: str, evaluation: EvaluationSpec) -> str:
    name = evaluation.metric or DEFAULT_METRICS[task][0]
    get_metric(name, task)  # an unknown or misplaced metric is a SpecError listing valid ones
    return name


def _importance(
    bundle: Any,
    rows: pd.DataFrame,
    y: np.ndarray,
    metric_name: str,
    seed: int,
    notes: list[str],
    seconds: float,
) -> list[dict[str, Any]]:
    """Permutation importance within ``seconds``: fewer repeats for slow models, none (with a
    note) when even one pass over the columns would not fit."""
    metric = get_metric(metric_name, bundle.task)
    truth = pd.Series(y, index=rows.index)

    def score_fn(frame: pd.DataFrame) -> float:
        pred, proba = bundle.codes_and_proba(bundle.transform(frame))
        return metric.value(truth.loc[frame.index].to_numpy(), pred, proba)

    sample = rows.iloc[:IMPORTANCE_ROWS]
    started = time.perf_counter()
    score_fn(sample)
    one_pass = (time.perf_counter() - started) * rows.shape[
        1
    ]  # seconds to permute each column once
    repeats = min(IMPORTANCE_REPEATS, int(seconds // max(one_pass, 1e-9)))
    if repeats < 1:
        notes.append(
            f"permutation importance skipped: one pass over {rows.shape[1]} columns "
            f"would take about {one_pass:.1f} s (limit {seconds:.1f} s)"
        )
        return []
    return permutation_importance(
        score_fn,
        rows,
        n_repeats=repeats,
        seed=seed,
        max_rows=IMPORTANCE_ROWS,
        greater_is_better=metric.greater_is_better,
    )


def evaluate_saved_model(
    model_dir: Path,
    inputs: EvalInputs,
    *,
    evaluation: EvaluationSpec,
    costs: CostSpec,
    model_info: dict[str, Any],
    data_info: dict[str, Any],
    metrics_by_part: dict[str, dict[str, float]],
    history: list[dict[str, Any]],
    cpu_seconds: float,
    notes: list[str],
    seed: int,
    production: dict[str, Any] | None = None,
    model_format: str = "modelyard.bundle",
    leaderboard: Leaderboard | None = None,
    extras: ExtrasTime = ExtrasTime(),
    deployment: dict[str, Any] | None = None,
) -> Evaluation:
    """Score the reloaded model on the test rows and build its report (validated, not written:
    the pipeline writes it once the version it describes is registered)."""
    # reloaded through the format table and verified by hash: what is measured is what was saved
    bundle = load_artifact(model_format, model_dir)
    primary = primary_metric(bundle.task, evaluation)
    X_test = bundle.transform(inputs.test)
    y_pred, proba = bundle.codes_and_proba(X_test)
    importance_seconds, latency_seconds = extras.importance, extras.latency
    importance: list[dict[str, Any]] = []
    n_columns = inputs.validation.shape[1]
    if evaluation.importance and len(inputs.validation) and n_columns <= MAX_IMPORTANCE_COLUMNS:
        notes = list(notes)
        importance = _importance(
            bundle, inputs.validation, inputs.y_validation, primary, seed, notes, importance_seconds
        )
    elif evaluation.importance and n_columns > MAX_IMPORTANCE_COLUMNS:
        notes = [
            *notes,
            f"permutation importance skipped: {n_columns} columns is more than "
            f"{MAX_IMPORTANCE_COLUMNS} (it re-scores the model once per column and repeat)",
        ]
    latency = None
    if evaluation.latency:
        cpus, note = prediction_cpus(costs)
        notes = [*notes, note] if note else notes
        with pinned_threads(cpus):
            latency = measure_latency(bundle.predict, inputs.test, seed=seed,
                                      max_seconds=latency_seconds, cpus=cpus)
    report = build_report(
        bundle.task,
        model=model_info,
        data=data_info,
        y_train=inputs.y_train,
        y_test=inputs.y_test,
        y_pred=y_pred,
        proba=proba,
        class_names=bundle.classes,
        metrics_by_part=metrics_by_part,
        threshold=bundle.threshold,
        history=history,
        importance=importance,
        latency=latency,
        production=production,
        training_cpu_seconds=cpu_seconds,
        notes=notes,
        leaderboard=leaderboard.to_records() if leaderboard is not None else (),
        leaderboard_metric=leaderboard.about() if leaderboard is not None else None,
        deployment=deployment,
        settings=ReportSettings(
            primary_metric=primary,
            n_boot=evaluation.bootstrap,
            seed=seed,
            overfit_threshold=evaluation.overfit_threshold,
            cpu_hour_price=costs.cpu_hour,
        ),
    )
    leak = leakage_warning(bundle.task, report["metrics"]["test"], primary, inputs.train,
                           inputs.y_train)
    if leak:
        report["warnings"] = [*report.get("warnings", []), leak]
    overfit = report["overfitting"].get("warning")
    return Evaluation(
        report=report,
        metrics=Metrics(report["metrics"]["test"], primary=primary),
        kpis=tuple(Kpi.from_record(row) for row in report["kpis"]),
        primary_metric=primary,
        warnings=tuple([overfit] if overfit else []) + tuple(report.get("warnings", [])),
    )


def prediction_cpus(costs: CostSpec) -> tuple[int, str | None]:
    """The CPUs latency and throughput are measured (and priced) on, and a note when the spec
    asked for more than this process may use."""
    usable = cpus_available()
    wanted = costs.prediction_cpus
    if wanted is None:
        return usable, None
    if wanted > usable:
        return usable, (f"costs.prediction_cpus is {wanted} but this process may use {usable} "
                        f"CPUs: latency and cost were measured on {usable}")
    return wanted, None


def production_metrics(
    bundle: Any, version: int, rows: pd.DataFrame, y: np.ndarray
) -> dict[str, Any]:
    """Metrics of the version holding the 'production' alias, on the same test rows."""
    pred, proba = bundle.codes_and_proba(bundle.transform(rows))
    return {
        "version": version,
        "metrics": score(bundle.task, y, pred, proba, REPORT_METRICS[bundle.task]),
    }

"""The final evaluation of a saved model: reload it, score the untouched test rows, measure it.

Everything here runs on the model as it was saved (reloaded and hash-verified), so the numbers
describe what will be served: preprocessing included.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.evaluation.importance import permutation_importance
from modelyard.evaluation.kpis import measure_latency
from modelyard.evaluation.metrics import DEFAULT_METRICS, get_metric, score
from modelyard.evaluation.report import REPORT_METRICS, ReportSettings, build_report, write_report
from modelyard.learners.bundle import ModelBundle
from modelyard.spec.models import CostSpec, EvaluationSpec

# Permutation importance re-scores the model n_repeats times per column: past this many columns
# (images, wide text) it would cost more than the training itself.
MAX_IMPORTANCE_COLUMNS = 200


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
    bundle: ModelBundle, rows: pd.DataFrame, y: np.ndarray, metric_name: str, seed: int
) -> list[dict[str, Any]]:
    metric = get_metric(metric_name, bundle.task)
    truth = pd.Series(y, index=rows.index)

    def score_fn(frame: pd.DataFrame) -> float:
        X = bundle.transform(frame)
        proba = None if bundle.task == "regression" else np.asarray(bundle.learner.predict_proba(X))
        pred = bundle.predict_codes(X, proba)
        return float(metric.fn(truth.loc[frame.index].to_numpy(), pred, proba))

    return permutation_importance(
        score_fn, rows, seed=seed, greater_is_better=metric.greater_is_better
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
    report_dir: Path,
) -> tuple[dict[str, Any], Path, Path]:
    """Score the reloaded model on the test rows and write report.json and report.html."""
    bundle = ModelBundle.load(model_dir)  # verified by hash: what is measured is what was saved
    primary = primary_metric(bundle.task, evaluation)
    X_test = bundle.transform(inputs.test)
    proba = None
    if bundle.task != "regression":
        proba = np.asarray(bundle.learner.predict_proba(X_test))
    y_pred = bundle.predict_codes(X_test, proba)
    importance: list[dict[str, Any]] = []
    n_columns = inputs.validation.shape[1]
    if evaluation.importance and len(inputs.validation) and n_columns <= MAX_IMPORTANCE_COLUMNS:
        importance = _importance(bundle, inputs.validation, inputs.y_validation, primary, seed)
    elif evaluation.importance and n_columns > MAX_IMPORTANCE_COLUMNS:
        notes = [*notes, f"permutation importance skipped: {n_columns} columns is more than "
                 f"{MAX_IMPORTANCE_COLUMNS} (it re-scores the model once per column and repeat)"]
    latency = (
        measure_latency(bundle.predict, inputs.test, seed=seed) if evaluation.latency else None
    )
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
        settings=ReportSettings(
            primary_metric=primary,
            n_boot=evaluation.bootstrap,
            seed=seed,
            overfit_threshold=evaluation.overfit_threshold,
            cpu_hour_price=costs.cpu_hour,
            prediction_cpus=costs.prediction_cpus,
        ),
    )
    json_path, html_path = write_report(report, report_dir)
    return report, json_path, html_path


def production_metrics(
    bundle: Any, version: int, rows: pd.DataFrame, y: np.ndarray
) -> dict[str, Any]:
    """Metrics of the version holding the 'production' alias, on the same test rows."""
    X = bundle.transform(rows)
    proba = None if bundle.task == "regression" else np.asarray(bundle.learner.predict_proba(X))
    pred = bundle.predict_codes(X, proba)
    return {
        "version": version,
        "metrics": score(bundle.task, y, pred, proba, REPORT_METRICS[bundle.task]),
    }

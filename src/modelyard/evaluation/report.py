"""The evaluation report: one JSON-ready dict, validated against ``report.schema.json``.

:func:`build_report` scores the model on the untouched test rows (with bootstrap intervals),
compares it with the trivial baselines and with the production version when there is one, adds
the operational KPIs, the over-fitting check, feature importance and the curve data the HTML page
plots. Every field is documented in ``docs/report.md``. :func:`write_report` writes ``report.json``
and the self-contained ``report.html`` atomically.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
from jsonschema import Draft202012Validator

from modelyard.atomic import atomic_write_text
from modelyard.errors import DataError, SpecError
from modelyard.evaluation.baselines import error_reduction, error_reductions, evaluate_baselines
from modelyard.evaluation.bootstrap import bootstrap_ci
from modelyard.evaluation.curves import pr_points, residuals_summary, roc_points
from modelyard.evaluation.kpis import (
    CURRENCY,
    DEFAULT_CPU_HOUR,
    check_price,
    cost_per_1000,
    training_cost,
)
from modelyard.evaluation.metrics import (
    DEFAULT_METRICS,
    calibration_curve_data,
    confusion,
    get_metric,
    mape_detail,
    score,
)
from modelyard.evaluation.overfit import overfit_check
from modelyard.evaluation.report_html import render_html

SCHEMA_PATH = Path(__file__).with_name("report.schema.json")
SCHEMA_VERSION = 1
TASKS = ("binary", "multiclass", "regression")

# metrics the report computes on the test rows, per task
REPORT_METRICS: dict[str, tuple[str, ...]] = {
    "binary": ("accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc",
               "average_precision", "log_loss", "brier"),
    "multiclass": ("accuracy", "balanced_accuracy", "macro_precision", "macro_recall", "macro_f1",
                   "weighted_f1", "roc_auc", "log_loss"),
    "regression": ("rmse", "mae", "r2", "mape"),
}
# quality rows of the KPI table: (metric, label)
KPI_QUALITY: dict[str, tuple[tuple[str, str], ...]] = {
    "binary": (("accuracy", "Accuracy"), ("f1", "F1")),
    "multiclass": (("accuracy", "Accuracy"), ("macro_f1", "Macro F1")),
    "regression": (("rmse", "RMSE"), ("mae", "MAE"), ("r2", "R²")),
}


@dataclass(frozen=True)
class ReportSettings:
    """How the report is computed: which metrics, the bootstrap, the over-fitting threshold and
    the CPU price (``cpu_hour_price``, USD per CPU-hour; predictions are priced at the CPUs the
    latency measurement ran on, its ``cpus``). ``metric_names`` None means
    :data:`REPORT_METRICS` of the task plus the primary metric; ``primary_metric`` None means the
    task's first default metric."""

    primary_metric: str | None = None
    metric_names: tuple[str, ...] | None = None
    n_boot: int = 1000
    seed: int = 0
    alpha: float = 0.05
    overfit_threshold: float = 0.05
    cpu_hour_price: float = DEFAULT_CPU_HOUR


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types: numpy scalars unwrapped, tuples as lists, nan/inf as None,
    anything else unknown as its ``str``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v) for v in value]
    return str(value)


def _scalar(value: Any) -> bool:
    """A history value the learning-curve table keeps (numbers, strings, booleans, None)."""
    return value is None or isinstance(value, (bool, int, float, str, np.number, np.bool_))


def _test_curves(task: str, y_test: np.ndarray, y_pred: np.ndarray, proba: np.ndarray | None,
                 class_names: Sequence[str] | None, seed: int, notes: list[str]) -> dict[str, Any]:
    curves: dict[str, Any] = {"roc": None, "precision_recall": None, "confusion": None,
                              "calibration": None, "residuals": None}
    if task == "regression":
        curves["residuals"] = residuals_summary(y_test, y_pred, seed=seed)
        return curves
    k = len(class_names) if class_names is not None else int(max(y_test.max(), y_pred.max())) + 1
    if proba is not None:
        k = max(k, proba.shape[1])
    curves["confusion"] = confusion(y_test, y_pred, labels=list(range(k)),
                                    names=list(class_names) if class_names is not None else None)
    if task == "binary" and proba is not None:
        if len(np.unique(y_test)) == 2:
            curves["roc"] = roc_points(y_test, proba[:, 1])
            curves["precision_recall"] = pr_points(y_test, proba[:, 1])
        else:
            notes.append("the test rows hold one class only: no ROC or precision-recall curve")
        curves["calibration"] = calibration_curve_data(y_test, proba[:, 1])
    return curves


def _best_baseline(primary: str, baselines: dict[str, dict[str, float]]) -> str | None:
    """The baseline with the best primary-metric value (the hardest one to beat)."""
    metric = get_metric(primary)
    scored = [(v[primary], name) for name, v in baselines.items()
              if v.get(primary) is not None and math.isfinite(v[primary])]
    if not scored:
        return None
    pick = max(scored) if metric.greater_is_better else min(scored)
    return pick[1]


def _cost_label(cpus: int | None) -> str:
    """The cost row's label, saying the cores it is priced at."""
    if cpus is None:
        return "Cost per 1,000 predictions"
    return f"Cost per 1,000 predictions (on {cpus} CPU{'s' if cpus != 1 else ''})"


def _kpis(task: str, test: dict[str, float], primary: str, best: str | None,
          baselines: dict[str, dict[str, float]], production: dict[str, Any] | None,
          latency: Mapping[str, Any] | None, costs: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"key": m, "label": label, "value": test.get(m), "unit": ""}
            for m, label in KPI_QUALITY[task]]
    vs_base = error_reduction(primary, test.get(primary), baselines[best].get(primary)) \
        if best else None
    rows.append({"key": "error_reduction_pct", "unit": "%", "value": vs_base,
                 "label": f"Error reduction vs {best or 'baseline'} baseline ({primary})"})
    if production is not None:
        rows.append({"key": "error_reduction_vs_production_pct", "unit": "%",
                     "label": f"Error reduction vs production ({primary})",
                     "value": production["reductions"].get(primary)})
    lat = latency or {}
    rows += [
        {"key": "latency_p50_ms", "label": "Latency p50 (1 row)", "unit": "ms",
         "value": lat.get("p50_ms")},
        {"key": "latency_p95_ms", "label": "Latency p95 (1 row)", "unit": "ms",
         "value": lat.get("p95_ms")},
        {"key": "latency_p99_ms", "label": "Latency p99 (1 row)", "unit": "ms",
         "value": lat.get("p99_ms")},
        {"key": "throughput_rows_per_s", "label": "Batch throughput", "unit": "rows/s",
         "value": lat.get("throughput_rows_per_s")},
        {"key": "cost_per_1000_predictions", "label": _cost_label(costs["prediction_cpus"]),
         "unit": CURRENCY, "value": costs["per_1000_predictions"]},
        {"key": "training_cost", "label": "Training cost", "unit": CURRENCY,
         "value": costs["training"]},
    ]
    return rows


def build_report(task: str, *, model: Mapping[str, Any], data: Mapping[str, Any], y_train,
                 y_test, y_pred, proba=None, class_names: Sequence[Any] | None = None,
                 metrics_by_part: Mapping[str, Mapping[str, float]] | None = None,
                 threshold: float | None = None, history: Sequence[Mapping[str, Any]] = (),
                 importance: Sequence[Mapping[str, Any]] = (),
                 latency: Mapping[str, Any] | None = None,
                 production: Mapping[str, Any] | None = None,
                 training_cpu_seconds: float | None = None, notes: Sequence[str] = (),
                 warnings: Sequence[str] = (),
                 leaderboard: Sequence[Mapping[str, Any]] = (),
                 leaderboard_metric: Mapping[str, Any] | None = None,
                 deployment: Mapping[str, Any] | None = None,
                 settings: ReportSettings = ReportSettings()) -> dict[str, Any]:
    """Assemble and validate the evaluation report of one model on its test rows.

    ``model``: ``{"name", "version", "learner", "params"}``; ``data``: ``{"fingerprint", "source",
    "rows": {"train", "validation", "test"}}``. ``y_train``/``y_test`` are targets (class codes for
    classification), ``y_pred``/``proba`` the model's test predictions. ``metrics_by_part`` gives
    the train and validation metrics (the test metrics are computed here). ``history`` is the
    learner's per-epoch or per-iteration records, ``importance`` the output of
    :func:`~modelyard.evaluation.importance.permutation_importance`, ``latency`` that of
    :func:`~modelyard.evaluation.kpis.measure_latency`, ``production`` ``{"version", "metrics"}``
    of the version holding the 'production' alias on the same test rows. ``deployment``: a
    search's deployment variants (``search.deploy.Deployment.to_dict``); the test metrics are
    those of the variant registered.
    """
    if task not in TASKS:
        raise SpecError(f"unknown task '{task}' for a report; valid: " + ", ".join(TASKS),
                        hint="the report covers binary, multiclass and regression models")
    y_test, y_pred = np.asarray(y_test), np.asarray(y_pred)
    proba = None if proba is None else np.asarray(proba, dtype=np.float64)
    if len(y_test) == 0:
        raise DataError("the report needs test rows; the test split is empty",
                        hint="give the split a test fraction (split.test) greater than zero")
    primary = settings.primary_metric or DEFAULT_METRICS[task][0]
    get_metric(primary, task)
    names = tuple(dict.fromkeys(settings.metric_names or REPORT_METRICS[task] + (primary,)))
    notes = list(notes)

    test_metrics = score(task, y_test, y_pred, proba, names)
    metrics = {part: dict(values) for part, values in (metrics_by_part or {}).items()
               if part != "test"}
    metrics["test"] = test_metrics
    intervals = bootstrap_ci(task, y_test, y_pred, proba, list(test_metrics),
                             n_boot=settings.n_boot, seed=settings.seed, alpha=settings.alpha)

    n_classes = None if task == "regression" else (
        len(class_names) if class_names is not None else (proba.shape[1] if proba is not None
                                                          else None))
    baselines = evaluate_baselines(task, y_train, y_test, names, n_classes=n_classes)
    best = _best_baseline(primary, baselines)
    prod = None
    if production is not None:
        prod_metrics = dict(production.get("metrics") or {})
        prod = {"version": production.get("version"), "metrics": prod_metrics,
                "reductions": error_reductions(test_metrics, prod_metrics)}

    throughput = (latency or {}).get("throughput_rows_per_s")
    # priced at the cores the throughput was measured on, never at a number it did not use
    prediction_cpus = (latency or {}).get("cpus") if throughput else None
    costs = {
        "currency": CURRENCY,
        "cpu_hour": check_price(settings.cpu_hour_price),
        "prediction_cpus": prediction_cpus,
        "per_1000_predictions": cost_per_1000(throughput, settings.cpu_hour_price,
                                              prediction_cpus) if throughput else None,
        "training_cpu_seconds": training_cpu_seconds,
        "training": training_cost(training_cpu_seconds, settings.cpu_hour_price)
        if training_cpu_seconds is not None else None,
    }
    report = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {
            "name": model.get("name"), "version": model.get("version"),
            "learner": model.get("learner"), "task": task,
            "params": dict(model.get("params") or {}),
            "classes": [str(c) for c in class_names] if class_names is not None else None,
        },
        "data": {"fingerprint": data.get("fingerprint"), "source": data.get("source"),
                 "rows": dict(data.get("rows") or {"test": len(y_test)})},
        "primary_metric": primary,
        "metrics": metrics,
        "confidence_intervals": {"level": 1 - settings.alpha, "n_boot": settings.n_boot,
                                 "seed": settings.seed, "test": intervals},
        "mape": mape_detail(y_test, y_pred) if task == "regression" else None,
        "baselines": baselines,
        "error_reduction": {
            "best_baseline": best,
            "vs_baselines": {b: error_reductions(test_metrics, v) for b, v in baselines.items()},
            "vs_production": prod,
        },
        "kpis": _kpis(task, test_metrics, primary, best, baselines, prod, latency, costs),
        "latency": dict(latency) if latency is not None else None,
        "costs": costs,
        "overfitting": overfit_check(task, metrics, primary, settings.overfit_threshold),
        "feature_importance": [dict(r) for r in importance],
        "threshold": threshold,
        "learning_curves": [{k: v for k, v in r.items() if _scalar(v)} for r in history],
        "curves": _test_curves(task, y_test, y_pred, proba, class_names, settings.seed, notes),
        "notes": [str(n) for n in notes],
        "warnings": [str(w) for w in warnings],
        "leaderboard": [dict(r) for r in leaderboard],
        # the search metric and its direction, so every reader ranks the trials the same way
        "leaderboard_metric": dict(leaderboard_metric) if leaderboard_metric else None,
        "deployment": dict(deployment) if deployment else None,
    }
    report = jsonable(report)
    validate_report(report)
    return report


@cache
def _validator() -> Draft202012Validator:
    """The validator of ``report.schema.json``, loaded once."""
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def validate_report(report: Mapping[str, Any]) -> None:
    """Raise :class:`DataError` listing where ``report`` breaks ``report.schema.json``."""
    errors = sorted(_validator().iter_errors(report), key=lambda e: list(map(str, e.absolute_path)))
    if errors:
        lines = ["/" + "/".join(map(str, e.absolute_path)) + ": " + e.message for e in errors[:5]]
        raise DataError(
            f"the report does not match report.schema.json ({len(errors)} problem(s)): "
            + "; ".join(lines),
            hint="this is a bug in modelyard, not in your data: report it with the run id "
            "(docs/report.md documents every field)",
        )


def write_report(report: Mapping[str, Any], directory: str | os.PathLike[str]) -> tuple[Path, Path]:
    """Validate ``report`` and write ``report.json`` and ``report.html`` into ``directory``."""
    validate_report(report)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    try:
        text = json.dumps(report, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError as err:
        raise DataError(f"the report is not plain JSON: {err}",
                        hint="this is a bug in modelyard, not in your data: report it with the "
                        "run id") from err
    json_path, html_path = directory / "report.json", directory / "report.html"
    html = render_html(report)
    atomic_write_text(json_path, text + "\n")
    atomic_write_text(html_path, html)
    return json_path, html_path

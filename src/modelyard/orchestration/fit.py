"""Fit one learner on the training rows: preprocessing, the learner, the decision threshold,
and, when the split has folds, the learner's cross-validated metrics on the training part.

Only training and validation rows reach this module; the test rows stay sealed in the split.
"""

from __future__ import annotations

import inspect
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.dataset import Dataset
from modelyard.data.split import Split
from modelyard.errors import ModelyardError, SpecError, TrainingError
from modelyard.evaluation.metrics import score
from modelyard.evaluation.report import REPORT_METRICS
from modelyard.evaluation.threshold import DEFAULT_THRESHOLD, tune_threshold
from modelyard.features.preprocessor import Preprocessor
from modelyard.learners.base import Learner, get_learner
from modelyard.learners.bundle import ModelBundle
from modelyard.spec.models import ModelSpec


@dataclass
class Fitted:
    """A fitted model bundle and what its fit produced."""

    bundle: Any  # a ModelBundle, or an EnsembleBundle from a search (same predict interface)
    metrics: dict[str, dict[str, float]]  # 'train' and 'validation'
    history: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    fit_seconds: float = 0.0
    cpu_seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)  # what to log as the run's parameters
    learner: str = ""  # the learner name, or 'ensemble'
    format: str = "modelyard.bundle"  # the registry format its saved directory loads with
    leaderboard: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def check_model(model: ModelSpec, task: str) -> type[Learner]:
    """The learner class of ``model``, after checking it serves ``task``, takes every
    hyperparameter named (a ``SpecError`` listing the valid ones otherwise) and can take each
    value given (the learner's declared checks: a ``SpecError`` naming the first bad one)."""
    learner_cls = get_learner(model.learner)
    if task not in learner_cls.tasks:
        raise SpecError(
            f"learner '{model.learner}' does not serve {task} tasks",
            hint=f"it serves {', '.join(learner_cls.tasks)}; modelyard learners lists the others",
        )
    reserved = sorted(set(model.params) & set(getattr(learner_cls, "run_settings", ())))
    if reserved:
        raise SpecError(
            f"{', '.join(reserved)} of learner '{model.learner}' is set by modelyard, not the "
            "spec: each run checkpoints in its own folder (MODELYARD_HOME/runs/RUN/checkpoint) "
            "and shows progress when the CLI does",
            hint="leave it out of model.params; to continue a killed run: modelyard train "
            "--resume RUN")
    accepted = set(inspect.signature(learner_cls.__init__).parameters) - {"self"}
    unknown = sorted(set(model.params) - accepted)
    if unknown:
        raise SpecError(
            f"learner '{model.learner}' has no hyperparameter(s) {unknown}",
            hint="valid: " + ", ".join(sorted(accepted)),
        )
    learner_cls.check_params(dict(model.params), task)
    return learner_cls


def build_learner(
    model: ModelSpec, task: str, seed: int, checkpoint_dir: Path, verbose: bool
) -> Learner:
    """Instantiate the named learner with the spec's hyperparameters, checked against its own."""
    learner_cls = check_model(model, task)
    defaults: dict[str, Any] = {
        "task": task,
        "seed": seed,
        "random_state": seed,
        "checkpoint_dir": str(checkpoint_dir),
        "verbose": verbose,
    }
    accepted = set(inspect.signature(learner_cls.__init__).parameters) - {"self"}
    settings = {k: v for k, v in defaults.items() if k in accepted}
    try:
        return learner_cls(**{**settings, **model.params})
    except TypeError as err:
        raise SpecError(f"bad hyperparameters for '{model.learner}': {err}") from err


def fit_model(
    model: ModelSpec,
    dataset: Dataset,
    split: Split,
    y: np.ndarray,
    classes: list[Any] | None,
    *,
    seed: int,
    checkpoint_dir: Path,
    verbose: bool,
    on_step,
) -> Fitted:
    """Fit preprocessing and the learner on the training rows; tune the threshold on validation."""
    task, frame, features = dataset.task, dataset.frame, dataset.features
    learner = build_learner(model, task, seed, checkpoint_dir, verbose)
    train_rows = frame.iloc[split.train][features]
    val_rows = frame.iloc[split.validation][features]
    y_train, y_val = y[split.train], y[split.validation]

    on_step("fitting preprocessing on the training rows")
    pre = Preprocessor(
        dataset.schema, input_kind=learner.input_kind, scale=learner.needs_scaling, seed=seed
    )
    X_train = pre.fit_transform(train_rows, y_train, task)
    X_val = pre.transform(val_rows) if len(val_rows) else None

    on_step(f"training {model.learner}")
    started, cpu_started = time.perf_counter(), cpu_clock()
    try:
        learner.fit(X_train, y_train, eval_set=(X_val, y_val) if X_val is not None else None)
    except ModelyardError:
        raise
    except (ValueError, RuntimeError) as err:
        raise TrainingError(
            f"{model.learner} failed to train: {err}", hint="check the hyperparameters and the data"
        ) from err
    fit_seconds = time.perf_counter() - started
    cpu_seconds = cpu_clock() - cpu_started

    bundle = ModelBundle(dataset.schema, task, model.learner, pre, learner, classes)
    if task == "binary":  # 0.5 unless tuned: what 'threshold: none' keeps, reported as such
        bundle.threshold = DEFAULT_THRESHOLD
    if X_val is not None and task == "binary" and model.threshold != "none":
        proba_val = np.asarray(learner.predict_proba(X_val))
        bundle.threshold, _ = tune_threshold(y_val, proba_val[:, 1], metric=model.threshold)
    metrics = {"train": part_metrics(bundle, X_train, y_train)}
    if X_val is not None:
        metrics["validation"] = part_metrics(bundle, X_val, y_val)
    if split.folds:
        on_step(f"cross-validating {model.learner} on {len(split.folds)} folds")
        metrics["cv"], metrics["cv_std"] = cross_validate(
            model, dataset, split, y, classes, seed=seed, threshold=bundle.threshold,
            checkpoint_dir=checkpoint_dir.parent / "cv-checkpoints")
    return Fitted(
        bundle,
        metrics,
        list(getattr(learner, "history_", []) or []),
        getattr(learner, "stop_reason_", None),
        fit_seconds,
        cpu_seconds,
        params={"learner": model.learner, **learner.get_params()},
        learner=model.learner,
        notes=_fit_notes(model.learner, learner),
    )


def _fit_notes(name: str, learner: Learner) -> list[str]:
    """What the fit says about itself that a user should know (the solver's warning, in words)."""
    if getattr(learner, "converged_", True) is not False:
        return []
    limit = getattr(learner, "max_iter", None)
    return [f"{name} stopped at its iteration limit (max_iter={limit}) before the solver "
            "converged, so the model may be underfit: raise model.params.max_iter (flag "
            f"--param max_iter={2 * limit if isinstance(limit, int) else 1000}), or check for "
            "numeric columns on very different scales"]


def cross_validate(model: ModelSpec, dataset: Dataset, split: Split, y: np.ndarray,
                   classes: list[Any] | None, *, seed: int, threshold: float | None,
                   checkpoint_dir: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Per-metric (mean, standard deviation) over ``split.folds`` of the held-out scores.

    Each fold fits its own preprocessing and its own copy of the learner on the fold's fit rows,
    with the hyperparameters, seed and early-stopping rows (the validation part) of the model
    that is saved, and scores its held-out rows at that model's decision threshold. The saved
    model is the one fitted on the whole training part; the folds say how much the metric moves.
    """
    task, frame, features = dataset.task, dataset.frame, dataset.features
    val_rows = frame.iloc[split.validation][features]
    scores: list[dict[str, float]] = []
    for number, (fit_rows, held_rows) in enumerate(split.folds):
        learner = build_learner(model, task, seed, checkpoint_dir / f"fold-{number}", False)
        pre = Preprocessor(dataset.schema, input_kind=learner.input_kind,
                           scale=learner.needs_scaling, seed=seed)
        X_fit = pre.fit_transform(frame.iloc[fit_rows][features], y[fit_rows], task)
        eval_set = (pre.transform(val_rows), y[split.validation]) if len(val_rows) else None
        learner.fit(X_fit, y[fit_rows], eval_set=eval_set)
        bundle = ModelBundle(dataset.schema, task, model.learner, pre, learner, classes)
        bundle.threshold = threshold
        held = pre.transform(frame.iloc[held_rows][features])
        scores.append(part_metrics(bundle, held, y[held_rows]))
    names = list(dict.fromkeys(name for fold in scores for name in fold))
    table = np.array([[fold.get(name, np.nan) for name in names] for fold in scores], dtype=float)
    with np.errstate(all="ignore"):  # a metric no fold could compute stays NaN
        mean, std = np.nanmean(table, axis=0), np.nanstd(table, axis=0)
    return dict(zip(names, map(float, mean), strict=True)), \
        dict(zip(names, map(float, std), strict=True))


def cpu_clock() -> float:
    """CPU seconds used so far by this process and by its child processes that have ended.

    A search with parallel trials does its work in worker processes; their time counts once they
    have exited, which they have when ``search`` returns (it shuts its pool down first).
    """
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def part_metrics(bundle: ModelBundle, X: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    """The report's metrics of a model on already transformed rows."""
    proba = None
    if bundle.task != "regression":
        proba = np.asarray(bundle.learner.predict_proba(X))
    pred = bundle.predict_codes(X, proba)
    return score(bundle.task, y, pred, proba, REPORT_METRICS[bundle.task])

"""Fit one learner on the training rows (through ``model.fit``, the one fit path), set its
decision threshold on the validation rows, score it, and, when the split has folds, report the
learner's cross-validated metrics on the training part.

Only training and validation rows reach this module; the test rows stay sealed in the split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.dataset import Dataset
from modelyard.data.split import Split
from modelyard.evaluation.leaderboard import Leaderboard
from modelyard.evaluation.metrics import score
from modelyard.evaluation.report import REPORT_METRICS
from modelyard.evaluation.threshold import DEFAULT_THRESHOLD, tune_threshold
from modelyard.learners.base import Learner
from modelyard.model import FittedModel, Labels
from modelyard.model.bundle import FORMAT_NAME as BUNDLE_FORMAT
from modelyard.model.fit import fit_model as fit_bundle
from modelyard.search.deploy import Deployment
from modelyard.spec.models import ModelSpec


@dataclass
class Fitted:
    """A fitted model bundle and what its fit produced."""

    bundle: FittedModel  # a ModelBundle, or an EnsembleBundle from a search
    metrics: dict[str, dict[str, float]]  # 'train' and 'validation'
    history: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    fit_seconds: float = 0.0
    cpu_seconds: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)  # what to log as the run's parameters
    learner: str = ""  # the learner name, or 'ensemble'
    format: str = BUNDLE_FORMAT  # the format table's name for what its saved directory holds
    leaderboard: Leaderboard | None = None  # a search's trials (None: one named learner)
    notes: list[str] = field(default_factory=list)
    deployment: Deployment | None = None  # a search's deployment variants (refit, bagged)


def fit_and_score(
    model: ModelSpec,
    dataset: Dataset,
    split: Split,
    y: np.ndarray,
    labels: Labels | None,
    *,
    seed: int,
    checkpoint_dir: Path,
    verbose: bool,
    on_step,
) -> Fitted:
    """Fit preprocessing and the learner on the training rows; tune the threshold on validation."""
    task, frame, features = dataset.task, dataset.frame, dataset.features
    val_rows = frame.iloc[split.validation][features]
    y_train, y_val = y[split.train], y[split.validation]
    fit = fit_bundle(frame.iloc[split.train][features], y_train, schema=dataset.schema, task=task,
                     learner=model.learner, params=model.params, labels=labels, seed=seed,
                     eval_rows=(val_rows, y_val), checkpoint_dir=checkpoint_dir,
                     verbose=verbose, on_step=on_step)
    bundle, X_train, X_val = fit.bundle, fit.train_inputs, fit.eval_inputs
    if task == "binary":  # 0.5 unless tuned: what 'threshold: none' keeps, reported as such
        bundle.threshold = DEFAULT_THRESHOLD
    if X_val is not None and task == "binary" and model.threshold != "none":
        proba_val = np.asarray(bundle.learner.predict_proba(X_val))
        bundle.threshold, _ = tune_threshold(y_val, proba_val[:, 1], metric=model.threshold)
    metrics = {"train": part_metrics(bundle, X_train, y_train)}
    if X_val is not None:
        metrics["validation"] = part_metrics(bundle, X_val, y_val)
    if split.folds:
        on_step(f"cross-validating {model.learner} on {len(split.folds)} folds")
        metrics["cv"], metrics["cv_std"] = cross_validate(
            model, dataset, split, y, labels, seed=seed, threshold=bundle.threshold,
            checkpoint_dir=checkpoint_dir.parent / "cv-checkpoints")
    return Fitted(
        bundle,
        metrics,
        fit.history,
        fit.stop_reason,
        fit.seconds,
        fit.cpu_seconds,
        params={"learner": model.learner, **bundle.learner.get_params()},
        learner=model.learner,
        notes=_fit_notes(model.learner, bundle.learner),
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
                   labels: Labels | None, *, seed: int, threshold: float | None,
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
        bundle = fit_bundle(frame.iloc[fit_rows][features], y[fit_rows], schema=dataset.schema,
                            task=task, learner=model.learner, params=model.params,
                            labels=labels, seed=seed, eval_rows=(val_rows, y[split.validation]),
                            checkpoint_dir=checkpoint_dir / f"fold-{number}").bundle
        bundle.threshold = threshold
        held = bundle.preprocessor.transform(frame.iloc[held_rows][features])
        scores.append(part_metrics(bundle, held, y[held_rows]))
    names = list(dict.fromkeys(name for fold in scores for name in fold))
    table = np.array([[fold.get(name, np.nan) for name in names] for fold in scores], dtype=float)
    with np.errstate(all="ignore"):  # a metric no fold could compute stays NaN
        mean, std = np.nanmean(table, axis=0), np.nanstd(table, axis=0)
    return dict(zip(names, map(float, mean), strict=True)), \
        dict(zip(names, map(float, std), strict=True))


def part_metrics(bundle: FittedModel, X: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    """The report's metrics of a model on already transformed rows."""
    pred, proba = bundle.codes_and_proba(X)
    return score(bundle.task, y, pred, proba, REPORT_METRICS[bundle.task])

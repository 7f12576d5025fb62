"""One trial: a learner with one set of hyperparameters, fitted and scored on every fold.

For each fold the preprocessing and the learner are fitted on the fold's fit rows only, and the
held-out rows are predicted: those out-of-fold predictions score the trial and feed the ensemble.
A trial never raises: an exception (``MemoryError`` included) makes a ``failed`` result with a
note. Everything in and out is plain data (frames, arrays, dicts), so a trial can run in another
process; the fitted fold models come back only when asked: in memory (``keep_models``), or, from
a worker process, saved fold by fold in modelyard's own model format (``save_dir``) and loaded by
``load_models`` with their hashes checked, so no fitted model ever crosses a process as a pickle.

A ``time_limit`` covers the whole trial, not only the fitting: each fold's learner gets its share
of the time left minus what predicting the held-out rows and saving the model take, measured on
the folds done so far (``AFTER_FIT_RATIO`` of the fit before the first fold is done). A large
boosted model can take half as long to predict its held-out rows as to fit, so a budget on the
fit alone let such trials end well after the search's deadline.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.schema import Schema
from modelyard.learners.base import get_learner
from modelyard.learners.threads import pinned_threads
from modelyard.model import Labels, ModelBundle, fit_model
from modelyard.model.latency import measure_row_latency
from modelyard.search.budget import Budget
from modelyard.search.pruning import FoldPruner, PruningHistory
from modelyard.search.scoring import score_predictions, search_metric

Fold = tuple[np.ndarray, np.ndarray]  # (fit row positions, held-out row positions)
STATUSES = ("ok", "pruned", "timeout", "failed")
AFTER_FIT_RATIO = 0.25  # predict + save time per second of fit, assumed until a fold has shown it
TRIAL_LATENCY_ROWS = 20  # single rows each trial times on its first fold model
TRIAL_LATENCY_SECONDS = 0.2  # at most (at least 3 rows), so that slow models cost little


@dataclass(frozen=True)
class TrialData:
    """What every trial reads. ``frame`` holds the feature columns of the training rows only."""

    frame: pd.DataFrame
    y: np.ndarray  # class codes 0..k-1 or float targets, one per row of frame
    schema: Schema
    task: str
    labels: Labels | None  # the original labels by code (None for regression)
    folds: tuple[Fold, ...]
    metric: str
    seed: int
    n_classes: int | None = None  # classification: number of class codes
    threads: int = 1  # threads each learner may use


@dataclass(frozen=True)
class TrialSpec:
    """A trial to run: ``config`` in the search representation, ``params`` for the learner."""

    number: int
    learner: str
    config: dict[str, Any]
    params: dict[str, Any]
    source: str  # "portfolio" or "optuna"


@dataclass
class TrialResult:
    """What a trial produced; ``oof`` has one row per training row (nan where never held out)."""

    spec: TrialSpec
    status: str
    score: float | None = None
    fold_scores: list[float] = field(default_factory=list)
    oof: np.ndarray | None = None
    fit_seconds: float = 0.0
    predict_seconds_per_1k: float | None = None
    seconds: float = 0.0
    note: str | None = None
    models: list[ModelBundle] | None = None
    saved: str | None = None  # directory of the fold models saved by a worker (``save_dir``)
    save_seconds: float = 0.0  # what saving them took (loading them costs about as much)
    saved_bytes: int = 0  # their size on disk
    latency_p50_ms: float | None = None  # one row through the first fold model (``predict_row``)
    latency_p99_ms: float | None = None  # what one refit member of this trial costs to answer

    @property
    def folds_done(self) -> int:
        return len(self.fold_scores)

    def running_means(self) -> dict[int, float]:
        """Mean score of the folds done so far, after each fold (what the pruner judges)."""
        done = np.asarray(self.fold_scores, dtype=np.float64)
        return {i: float(np.nanmean(done[: i + 1])) for i in range(len(done))
                if np.isfinite(done[: i + 1]).any()}

    def without_models(self) -> TrialResult:
        """A copy that holds no fitted models (to send between processes)."""
        return TrialResult(**{**self.__dict__, "models": None})


def load_models(result: TrialResult) -> list[ModelBundle]:
    """The fold models a worker saved for ``result`` (each checked against its manifest)."""
    assert result.saved is not None, "load_models needs a result whose models were saved"
    folds = sorted(Path(result.saved).glob("fold-*"), key=lambda p: int(p.name.split("-")[1]))
    return [ModelBundle.load(fold) for fold in folds]


def drop_saved(result: TrialResult) -> None:
    """Delete the fold models a worker saved for ``result`` (when it can no longer be chosen)."""
    if result.saved is not None:
        shutil.rmtree(result.saved, ignore_errors=True)
        result.saved, result.saved_bytes = None, 0


@contextlib.contextmanager
def thread_limit(threads: int, library: str | None = None) -> Iterator[None]:
    """Cap the native thread pools (BLAS, OpenMP, PyTorch's) at ``threads`` while a trial runs.

    Trials side by side in worker processes each get ``threads``; a pool left at its default (one
    thread per core) in every worker oversubscribes the CPU, and spinning OpenMP threads then make
    every trial several times slower. The tree boosters' prediction threads (``learners.threads``)
    are capped the same way. PyTorch is imported here, before the learner imports it,
    when the trial's learner uses it (``library == "torch"``), so its first trial is capped too.
    """
    if library == "torch":
        import torch  # noqa: F401 - loaded now so that its thread count can be set
    with pinned_threads(threads):
        yield


def fit_fold(data: TrialData, learner: str, params: dict[str, Any], rows: np.ndarray,
             budget: Budget | None = None, *, seed: int | None = None) -> ModelBundle:
    """Preprocessing and learner fitted on ``rows`` only (``model.fit``), as a ``ModelBundle``:
    with the search's seed (or ``seed``) and thread count, no checkpoints and no progress
    shown."""
    return fit_model(data.frame.iloc[rows], data.y[rows], schema=data.schema, task=data.task,
                     learner=learner, params=params, labels=data.labels,
                     seed=data.seed if seed is None else seed,
                     threads=data.threads, budget=budget).bundle


def predict_rows(bundle: ModelBundle, frame: pd.DataFrame, n_classes: int | None) -> np.ndarray:
    """Probabilities ``(n, n_classes)`` for classifiers, values ``(n,)`` for regression.

    A fold whose fit rows lacked the last class(es) predicts probability 0 for them.
    """
    X = bundle.preprocessor.transform(frame)
    if bundle.task == "regression":
        return np.asarray(bundle.learner.predict(X), dtype=np.float64)
    proba = np.asarray(bundle.learner.predict_proba(X), dtype=np.float64)
    if n_classes and proba.shape[1] < n_classes:
        proba = np.pad(proba, ((0, 0), (0, n_classes - proba.shape[1])))
    return proba


def run_trial(data: TrialData, spec: TrialSpec, *, time_limit: float | None = None,
              pruning: PruningHistory | None = None, keep_models: bool = False,
              save_dir: Path | None = None) -> TrialResult:
    """Fit and score ``spec`` on every fold of ``data``; never raises (see the module doc).

    ``save_dir``: save each fold's model under ``save_dir``/trial-N as soon as it is scored
    instead of keeping it in memory; a trial that does not end ``ok`` leaves nothing there.
    """
    started = time.perf_counter()
    result = TrialResult(spec=spec, status="ok")
    target = None if save_dir is None else Path(save_dir) / f"trial-{spec.number}"
    try:
        library = getattr(get_learner(spec.learner), "library", None)
        with thread_limit(data.threads, library):
            _run_folds(data, spec, result, time_limit, pruning, keep_models, target)
    except Exception as err:  # noqa: BLE001 - every failure is recorded, none stops the search
        result.status, result.note = "failed", _describe(err)
        result.oof, result.models, result.score = None, None, None
    if target is not None:
        if result.status == "ok" and result.saved is not None:
            result.saved_bytes = sum(f.stat().st_size for f in target.rglob("*") if f.is_file())
        else:
            shutil.rmtree(target, ignore_errors=True)
            result.saved, result.save_seconds = None, 0.0
    result.seconds = time.perf_counter() - started
    return result


def _run_folds(data: TrialData, spec: TrialSpec, result: TrialResult, time_limit: float | None,
               pruning: PruningHistory | None, keep_models: bool, target: Path | None) -> None:
    metric = search_metric(data.metric, data.task)
    trial_budget = Budget(time_limit) if time_limit is not None else None
    pruner = FoldPruner(pruning) if pruning is not None else None
    n = len(data.frame)
    shape = (n,) if data.task == "regression" else (n, data.n_classes or 2)
    oof = np.full(shape, np.nan)
    models: list[ModelBundle] = []
    predict_seconds, predicted_rows, stopped = 0.0, 0, False
    after_fit = 0.0  # seconds spent predicting and saving, over the folds done
    result.saved = None if target is None else str(target)
    for step, (fit_rows, held_rows) in enumerate(data.folds):
        fold_budget = None
        if trial_budget is not None:  # every fold left gets an equal share of the trial's time
            share = max(trial_budget.remaining(), 1e-3) / (len(data.folds) - step)
            ratio = after_fit / result.fit_seconds if result.fit_seconds > 0 else AFTER_FIT_RATIO
            fold_budget = Budget(max(share / (1.0 + ratio), 1e-3))
        t0 = time.perf_counter()
        bundle = fit_fold(data, spec.learner, spec.params, fit_rows, fold_budget)
        t1 = time.perf_counter()
        predictions = predict_rows(bundle, data.frame.iloc[held_rows], data.n_classes)
        t2 = time.perf_counter()
        _save_fold(bundle, step, result)
        after_fit += time.perf_counter() - t1
        result.fit_seconds += t1 - t0
        predict_seconds, predicted_rows = predict_seconds + t2 - t1, predicted_rows + len(held_rows)
        oof[held_rows] = predictions
        stopped = stopped or getattr(bundle.learner, "stop_reason_", None) == "budget"
        if keep_models and target is None:
            models.append(bundle)
        result.fold_scores.append(score_predictions(metric, data.task, data.y[held_rows],
                                                    predictions))
        result.predict_seconds_per_1k = 1000 * predict_seconds / max(predicted_rows, 1)
        running = result.running_means().get(step)
        if pruner is not None and running is not None and step < len(data.folds) - 1 \
                and pruner.should_prune(step, running):
            result.status = "pruned"
            result.note = f"pruned after fold {step + 1} of {len(data.folds)}: below the median"
            return
        if trial_budget is not None and trial_budget.exhausted and step < len(data.folds) - 1:
            result.status = "timeout"
            result.note = f"out of time after fold {step + 1} of {len(data.folds)}"
            return
    # one fold model answers one row about as a refit member will: timed once the trial has
    # finished every fold, so that a slow predictor costs the trial time, never its folds
    result.latency_p50_ms, result.latency_p99_ms, _ = measure_row_latency(
        bundle, data.frame.iloc[held_rows], seed=data.seed, rows=TRIAL_LATENCY_ROWS,
        max_seconds=TRIAL_LATENCY_SECONDS, min_rows=3)
    scored = np.concatenate([held for _, held in data.folds])
    result.score = score_predictions(metric, data.task, data.y[scored], oof[scored])
    if not math.isfinite(result.score):
        raise ValueError(f"metric '{data.metric}' is undefined on the out-of-fold predictions")
    result.oof = oof
    result.models = models if keep_models and target is None else None
    if stopped:
        note = "a fold stopped early to stay within the time budget"
        result.note = note if result.note is None else f"{result.note}; {note}"




def _save_fold(bundle: ModelBundle, step: int, result: TrialResult) -> None:
    """Save fold ``step``'s model under ``result.saved``; a failed save (a full disk) costs the
    saved models, not the trial: the final step fits them again if it picks this trial."""
    if result.saved is None:
        return
    started = time.perf_counter()
    try:
        bundle.save(Path(result.saved) / f"fold-{step}")
    except OSError as err:
        shutil.rmtree(result.saved, ignore_errors=True)
        result.saved, result.save_seconds = None, 0.0
        result.note = f"fold models not saved ({err}); the final step fits them again if chosen"
        return
    result.save_seconds += time.perf_counter() - started

def _describe(err: BaseException) -> str:
    """A one-line note: the exception type and the first line of its message."""
    if isinstance(err, MemoryError):
        return "out of memory (MemoryError); the learner is skipped for this data"
    message = str(getattr(err, "message", None) or err).strip().splitlines()
    return f"{type(err).__name__}: {message[0] if message else 'no message'}"[:300]

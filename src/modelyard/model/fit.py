"""The one way a model is fitted: preprocessing and a learner on the same rows, as a bundle.

``fit_model`` is called by the pipeline (one learner and its cross-validation folds), by every
search trial and final refit, by the benchmarks and by the tests that need a model; nothing else
puts a learner and a ``Preprocessor`` together. What a learner is told besides its
hyperparameters (the task, the seed, its threads, where to checkpoint, whether to show progress)
is decided here, in ``learner_settings``, and the hyperparameters are checked here, in
``check_learner``, before anything is fitted.

Example (the committed Telco churn slice)::

    import pandas as pd
    from modelyard.data.infer import infer_schema
    from modelyard.model import encode_target, fit_model
    frame, schema = infer_schema(pd.read_csv("tests/data/telco_churn.csv"), target="Churn")
    y, labels = encode_target(frame["Churn"], "binary")
    fitted = fit_model(frame, y, schema=schema, task="binary", learner="logistic", labels=labels)
    fitted.bundle.predict(frame.head())     # the original labels: False / True
"""

from __future__ import annotations

import inspect
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.schema import Schema
from modelyard.errors import DataError, ModelyardError, SpecError, TrainingError
from modelyard.features.preprocessor import Preprocessor
from modelyard.learners.base import Learner, get_learner
from modelyard.model.bundle import ModelBundle
from modelyard.model.labels import Labels


@dataclass(frozen=True)
class FitResult:
    """A fitted bundle and the facts of its fit.

    ``seconds``/``cpu_seconds`` cover the learner's fit alone (not the preprocessing);
    ``train_inputs``/``eval_inputs`` are what the learner was given (target-encoded columns of the
    training rows hold their out-of-fold encodings), for scoring without transforming again.
    """

    bundle: ModelBundle
    seconds: float
    cpu_seconds: float
    stop_reason: str | None  # why the learner stopped ('early_stopping', 'budget', ...), if said
    history: list[dict[str, Any]] = field(default_factory=list)  # per epoch or iteration
    train_inputs: pd.DataFrame | None = None
    eval_inputs: pd.DataFrame | None = None


def check_learner(name: str, params: Mapping[str, Any], task: str) -> type[Learner]:
    """The learner class ``name``, after checking it serves ``task``, takes every hyperparameter
    in ``params`` (a ``SpecError`` listing the valid ones otherwise) and can take each value given
    (the learner's declared checks: a ``SpecError`` naming the first bad one)."""
    learner_cls = get_learner(name)
    if task not in learner_cls.tasks:
        raise SpecError(
            f"learner '{name}' does not serve {task} tasks",
            hint=f"it serves {', '.join(learner_cls.tasks)}; modelyard learners lists the others",
        )
    reserved = sorted(set(params) & set(getattr(learner_cls, "run_settings", ())))
    if reserved:
        raise SpecError(
            f"{', '.join(reserved)} of learner '{name}' is set by modelyard, not the "
            "spec: each run checkpoints in its own folder (MODELYARD_HOME/runs/RUN/checkpoint) "
            "and shows progress when the CLI does",
            hint="leave it out of model.params; to continue a killed run: modelyard train "
            "--resume RUN")
    accepted = _accepted(learner_cls)
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise SpecError(
            f"learner '{name}' has no hyperparameter(s) {unknown}",
            hint="valid: " + ", ".join(sorted(accepted)),
        )
    learner_cls.check_params(dict(params), task)
    return learner_cls


def learner_settings(learner_cls: type[Learner], *, task: str, seed: int, threads: int | None,
                     checkpoint_dir: Path | None, verbose: bool) -> dict[str, Any]:
    """What every learner is told besides its hyperparameters, for those that take it: the task,
    the seed (as ``seed`` or ``random_state``), ``n_jobs`` (when ``threads`` is given; else the
    learner's default), the checkpoint folder and whether to show progress."""
    settings: dict[str, Any] = {
        "task": task,
        "seed": seed,
        "random_state": seed,
        "checkpoint_dir": None if checkpoint_dir is None else str(checkpoint_dir),
        "verbose": verbose,
    }
    if threads is not None:
        settings["n_jobs"] = threads
    accepted = _accepted(learner_cls)
    return {k: v for k, v in settings.items() if k in accepted}


def make_learner(name: str, params: Mapping[str, Any], *, task: str, seed: int = 0,
                 threads: int | None = None, checkpoint_dir: Path | None = None,
                 verbose: bool = False) -> Learner:
    """An unfitted learner ``name`` with ``params`` (checked) and the settings above."""
    learner_cls = check_learner(name, params, task)
    settings = learner_settings(learner_cls, task=task, seed=seed, threads=threads,
                                checkpoint_dir=checkpoint_dir, verbose=verbose)
    try:
        return learner_cls(**{**settings, **params})
    except TypeError as err:
        raise SpecError(f"bad hyperparameters for '{name}': {err}",
                        hint="check model.params against modelyard learners") from err


def fit_model(
    frame: pd.DataFrame,
    y: np.ndarray,
    *,
    schema: Schema,
    task: str,
    learner: str,
    params: Mapping[str, Any] | None = None,
    labels: Labels | None = None,
    seed: int = 0,
    threads: int | None = None,
    eval_rows: tuple[pd.DataFrame, np.ndarray] | None = None,
    budget: Any = None,
    checkpoint_dir: Path | None = None,
    verbose: bool = False,
    on_step: Callable[[str], None] | None = None,
) -> FitResult:
    """Fit preprocessing and the learner ``learner`` on the raw rows ``frame`` and their target.

    ``y``: class codes (``labels.encode``; ``encode_target`` gives both) or float values, one per
    row. ``labels``: the classes by code, required for classification. ``eval_rows``: raw rows and
    their target for the learner's early stopping (transformed with the preprocessing fitted
    here). ``budget``: an object with ``remaining()`` seconds the learner stops within.
    ``threads``: the learner's ``n_jobs`` (None: its default). ``on_step`` hears each step.
    Returns the bundle (its ``threshold`` unset: the learner's own decision) and its fit facts.
    """
    if (labels is None) != (task == "regression"):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            f"a {task} model needs "
            + ("no labels: its target is values" if labels is not None else "the target's labels"),
            hint="encode the target with encode_target and pass what it returns")
    step = on_step or _quiet
    model = make_learner(learner, params or {}, task=task, seed=seed, threads=threads,
                         checkpoint_dir=checkpoint_dir, verbose=verbose)
    step("fitting preprocessing on the training rows")
    pre = Preprocessor(schema, input_kind=model.input_kind, scale=model.needs_scaling, seed=seed)
    X = pre.fit_transform(frame, y, task)
    X_eval = None
    if eval_rows is not None and len(eval_rows[0]):
        X_eval = pre.transform(eval_rows[0])
    step(f"training {learner}")
    started, cpu_started = time.perf_counter(), cpu_clock()
    try:
        model.fit(X, y, eval_set=None if X_eval is None else (X_eval, eval_rows[1]),
                  budget=budget)
    except ModelyardError:
        raise
    except (ValueError, RuntimeError) as err:
        raise TrainingError(f"{learner} failed to train: {err}",
                            hint="check the hyperparameters and the data") from err
    seconds, cpu_seconds = time.perf_counter() - started, cpu_clock() - cpu_started
    return FitResult(
        ModelBundle(schema, task, learner, pre, model, labels),
        seconds,
        cpu_seconds,
        getattr(model, "stop_reason_", None),
        list(getattr(model, "history_", []) or []),
        X,
        X_eval,
    )


def cpu_clock() -> float:
    """CPU seconds used so far by this process and by its child processes that have ended.

    A search with parallel trials does its work in worker processes; their time counts once they
    have exited, which they have when ``search`` returns (it shuts its pool down first).
    """
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def _accepted(learner_cls: type[Learner]) -> set[str]:
    """The keyword arguments the learner's constructor takes."""
    return set(inspect.signature(learner_cls.__init__).parameters) - {"self"}


def _quiet(_: str) -> None:
    return None

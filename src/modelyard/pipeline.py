"""The one place that wires the layers together: data -> split -> features -> learner -> evaluation.

Each step is a plain function call on plain data. The test rows are opened exactly once, for the
final evaluation, after the model (and its decision threshold) is fixed.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.dataset import PART_COLUMN, Dataset, load_dataset
from modelyard.data.split import Split, make_split
from modelyard.errors import ModelyardError, SpecError, TrainingError
from modelyard.evaluation.metrics import score
from modelyard.evaluation.report import REPORT_METRICS
from modelyard.evaluation.threshold import tune_threshold
from modelyard.features.preprocessor import Preprocessor
from modelyard.learners.base import get_learner
from modelyard.learners.bundle import ModelBundle
from modelyard.orchestration.evaluate import EvalInputs, evaluate_saved_model
from modelyard.orchestration.runs import RunRecord, create_run, now, open_run
from modelyard.settings import Settings
from modelyard.spec.models import Spec, SplitSpec

Step = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass
class Prepared:
    """A dataset with its split and encoded target."""

    dataset: Dataset
    split: Split
    y: np.ndarray  # class codes or floats, one per row of dataset.frame
    classes: list[Any] | None


@dataclass
class TrainResult:
    run_id: str
    run_dir: str
    model_dir: str
    learner: str
    task: str
    metrics: dict[str, dict[str, float]]  # part -> metric -> value
    threshold: float | None
    history: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None
    fit_seconds: float = 0.0
    cpu_seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    primary_metric: str | None = None
    kpis: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    report: dict[str, str] = field(default_factory=dict)  # 'json' and 'html' paths

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def effective_split_spec(spec: Spec, dataset: Dataset) -> SplitSpec:
    """Use the file layout as the split when the data shipped in parts."""
    if dataset.has_parts and spec.split.method == "auto":
        return spec.split.model_copy(update={"method": "column", "column": PART_COLUMN})
    return spec.split


def prepare(spec: Spec, on_step: Step = _quiet) -> Prepared:
    """Read, type and split the data of ``spec``; encode the target."""
    on_step("reading and typing the data")
    dataset = load_dataset(spec.data, task=spec.task)
    if dataset.target is None:
        raise SpecError("no target column given", hint="set data.target in the spec or --target")
    on_step("splitting")
    split = make_split(
        dataset.frame, effective_split_spec(spec, dataset),
        target=dataset.target, task=dataset.task, seed=spec.seed,
    )
    y, classes = encode_target(dataset.frame[dataset.target], dataset.task)
    return Prepared(dataset, split, y, classes)


def encode_target(target: pd.Series, task: str) -> tuple[np.ndarray, list[Any] | None]:
    """Class codes 0..k-1 (labels sorted) for classification, floats for regression."""
    if task == "regression":
        return target.to_numpy(dtype=float), None
    values = target.to_numpy(dtype=object)
    classes = sorted(set(values.tolist()), key=lambda v: (str(type(v)), v))
    lookup = {label: code for code, label in enumerate(classes)}
    return np.array([lookup[v] for v in values], dtype=np.int64), classes


def _build_learner(name: str, params: dict[str, Any], task: str, seed: int, run: RunRecord,
                   verbose: bool):
    learner_cls = get_learner(name)
    if task not in learner_cls.tasks:
        raise SpecError(
            f"learner '{name}' does not serve {task} tasks",
            hint=f"it serves {', '.join(learner_cls.tasks)}; `modelyard learners` lists the others",
        )
    accepted = set(inspect.signature(learner_cls.__init__).parameters) - {"self"}
    unknown = sorted(set(params) - accepted)
    if unknown:
        raise SpecError(
            f"learner '{name}' has no hyperparameter(s) {unknown}",
            hint="valid: " + ", ".join(sorted(accepted)),
        )
    settings: dict[str, Any] = {"task": task}
    for key in ("seed", "random_state"):
        if key in accepted:
            settings[key] = seed
    if "checkpoint_dir" in accepted:
        settings["checkpoint_dir"] = str(run.checkpoint_dir)
    if "verbose" in accepted:
        settings["verbose"] = verbose
    settings = {k: v for k, v in settings.items() if k in accepted}
    try:
        return learner_cls(**{**settings, **params})
    except TypeError as err:
        raise SpecError(f"bad hyperparameters for '{name}': {err}") from err


def train(
    spec: Spec | None,
    settings: Settings,
    *,
    resume: str | None = None,
    on_step: Step = _quiet,
    verbose: bool = False,
) -> TrainResult:
    """Train the learner named in ``spec.model``; evaluate on validation, then once on test."""
    runs_root = settings.runs_root
    if resume:
        run = open_run(runs_root, resume)
        spec = Spec.model_validate(run.record["spec"])
    elif spec is None:
        raise SpecError("nothing to train", hint="pass a spec, or resume=RUN_ID")
    if spec.model is None:
        raise SpecError("no model to train", hint="add 'model: NAME' to the spec or pass --model")
    if not resume:
        run = create_run(runs_root)
    run.update(status="running", spec=spec.model_dump(mode="json"), seed=spec.seed)
    try:
        result = _train(spec, run, on_step, verbose)
    except BaseException as err:
        status = "killed" if isinstance(err, KeyboardInterrupt) else "failed"
        run.update(status=status, error=f"{type(err).__name__}: {err}", ended_at=now())
        raise
    run.update(status="finished", ended_at=now(), result=result.to_dict())
    return result


def _train(spec: Spec, run: RunRecord, on_step: Step, verbose: bool) -> TrainResult:
    prepared = prepare(spec, on_step)
    dataset, split, y = prepared.dataset, prepared.split, prepared.y
    task, frame = dataset.task, dataset.frame
    run.update(
        fingerprint=dataset.fingerprint, schema=dataset.schema.to_dict(), task=task,
        split=split.to_dict(), source=dataset.source,
    )
    model = spec.model
    learner = _build_learner(model.learner, model.params, task, spec.seed, run, verbose)
    features = dataset.features
    train_rows, val_rows = frame.iloc[split.train][features], frame.iloc[split.validation][features]

    on_step("fitting preprocessing on the training rows")
    pre = Preprocessor(dataset.schema, input_kind=learner.input_kind, scale=learner.needs_scaling,
                       seed=spec.seed)
    X_train = pre.fit_transform(train_rows, y[split.train], task)
    X_val = pre.transform(val_rows) if len(val_rows) else None
    eval_set = (X_val, y[split.validation]) if X_val is not None else None

    on_step(f"training {model.learner}")
    started, cpu_started = time.perf_counter(), time.process_time()
    try:
        learner.fit(X_train, y[split.train], eval_set=eval_set)
    except ModelyardError:
        raise
    except (ValueError, RuntimeError) as err:
        raise TrainingError(f"{model.learner} failed to train: {err}",
                            hint="check the hyperparameters and the data") from err
    fit_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started

    bundle = ModelBundle(dataset.schema, task, model.learner, pre, learner, prepared.classes)
    names = REPORT_METRICS[task]
    metrics: dict[str, dict[str, float]] = {"train": _evaluate(bundle, X_train, y[split.train],
                                                               names)}
    if eval_set is not None:
        if task == "binary" and model.threshold != "none":
            proba_val = np.asarray(learner.predict_proba(X_val))
            bundle.threshold, _ = tune_threshold(y[split.validation], proba_val[:, 1],
                                                 metric=model.threshold)
            metrics["train"] = _evaluate(bundle, X_train, y[split.train], names)
        metrics["validation"] = _evaluate(bundle, X_val, y[split.validation], names)
    history = list(getattr(learner, "history_", []) or [])
    notes = list(dataset.notes) + list(split.notes)
    on_step("saving the model")
    bundle.save(run.model_dir)

    result = TrainResult(
        run_id=run.run_id, run_dir=str(run.directory), model_dir=str(run.model_dir),
        learner=model.learner, task=task, metrics=metrics, threshold=bundle.threshold,
        history=history, stop_reason=getattr(learner, "stop_reason_", None),
        fit_seconds=fit_seconds, cpu_seconds=cpu_seconds, notes=notes,
    )
    if split.n_test:
        on_step("final evaluation on the test rows")
        test_pos = split.open_test("final evaluation")
        inputs = EvalInputs(train_rows, y[split.train], val_rows, y[split.validation],
                            frame.iloc[test_pos][features], y[test_pos])
        report, json_path, html_path = evaluate_saved_model(
            run.model_dir, inputs, evaluation=spec.evaluation, costs=spec.costs,
            model_info={"name": spec.name, "version": None, "learner": model.learner,
                        "params": learner.get_params()},
            data_info={"fingerprint": dataset.fingerprint, "source": dataset.source,
                       "rows": {"train": len(split.train), "validation": len(split.validation),
                                "test": len(test_pos)}},
            metrics_by_part=metrics, history=history, cpu_seconds=cpu_seconds, notes=notes,
            seed=spec.seed, report_dir=run.directory / "report",
        )
        metrics["test"] = dict(report["metrics"]["test"])
        result.kpis = report["kpis"]
        result.primary_metric = report["primary_metric"]
        result.warnings = [w for w in [report["overfitting"].get("warning")] if w]
        result.report = {"json": str(json_path), "html": str(html_path)}
    run.update(split=split.to_dict())  # records that the test rows were opened, and why
    return result


def _evaluate(bundle: ModelBundle, X: pd.DataFrame, y: np.ndarray,
              names: tuple[str, ...]) -> dict[str, float]:
    proba = None
    if bundle.task != "regression":
        proba = np.asarray(bundle.learner.predict_proba(X))
    pred = bundle.predict_codes(X, proba)
    return score(bundle.task, y, pred, proba, names)

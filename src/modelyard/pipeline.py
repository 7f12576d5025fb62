"""The one place that wires the layers together: data -> split -> features -> learner ->
evaluation -> registry.

Each step is a plain function call on plain data. The test rows are opened exactly once, for the
final evaluation, after the model (and its decision threshold) is fixed. A model version is
registered only after its artifact is stored and evaluated, in one transaction; a run that fails
or is killed is recorded as such and leaves no version behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import ModelyardError, NotFound, SpecError
from modelyard.evaluation.leaderboard import Leaderboard, single_learner
from modelyard.evaluation.metrics import get_metric
from modelyard.evaluation.report import write_report
from modelyard.evaluation.results import PartMetrics
from modelyard.learners.base import get_learner
from modelyard.monitoring.reference import build_reference, store_reference
from modelyard.orchestration.evaluate import (
    EvalInputs,
    Evaluation,
    ExtrasTime,
    evaluate_saved_model,
    primary_metric,
    production_metrics,
    reserve_extras,
)
from modelyard.orchestration.fit import Fitted, fit_and_score
from modelyard.orchestration.forecast_run import (
    check_forecast_learners,
    read_panel,
    train_forecast,
)
from modelyard.orchestration.library_warnings import LibraryWarnings
from modelyard.orchestration.prepare import (
    Prepared,
    Step,
    check_before_run,
    check_resumable,
    check_same_data,
    model_name,
    prepare,  # noqa: F401 - `modelyard data` and the benchmarks prepare through the pipeline
    quiet,
)
from modelyard.orchestration.results import Registration, ReportPaths, TrainResult
from modelyard.orchestration.search_fit import search_model
from modelyard.registry.registry import Registry
from modelyard.search.budget import Budget
from modelyard.settings import Settings
from modelyard.spec.models import UNSEEN_CATEGORIES_TAG, Spec


def train(
    spec: Spec | None,
    settings: Settings,
    *,
    resume: str | None = None,
    on_step: Step = quiet,
    verbose: bool = False,
    frame: pd.DataFrame | None = None,
    register: bool = True,
) -> TrainResult:
    """Train the learner of ``spec.model``, evaluate it once on the test rows, register it.

    Library warnings (numpy, pandas, scikit-learn, ...) raised on the way become the run's notes,
    each naming the step it came in (``LibraryWarnings``); none reaches the terminal. A search's
    ``time_budget`` covers the whole run from here: one ``Budget`` starts now, the evaluation's
    extras reserve their share and the search spends the rest.

    ``frame``: the rows, when the spec's source is an in-memory DataFrame (format 'dataframe').
    ``register`` False: the model is stored with the run, which finishes, but no version is
    registered (``TrainResult.registration`` can register it later).
    """
    with Registry.open(settings) as registry, LibraryWarnings() as caught:
        on_step = caught.tracking(on_step)
        store = registry.store
        if spec is not None and spec.task == "forecast" and not resume:
            return _train_forecast(spec, registry, settings, on_step, register, frame, caught)
        if resume:
            resume = store.resolve_run(resume)  # a unique prefix, as tables show run ids
            info = store.get_run(resume)
            spec, prepared = Spec.model_validate(info.spec), None
            check_resumable(resume, spec)
            if spec.task == "forecast":
                raise SpecError(f"run {resume} is a forecast run, which cannot be resumed",
                                hint="train it again: its backtests start over")
            budget = run_budget(spec)
            if info.status in ("killed", "failed"):  # else reopen_run says why it cannot
                prepared = prepare(spec, on_step)
                check_same_data(info.run_id, info.data_fingerprint, prepared.dataset.fingerprint)
            store.reopen_run(resume)
            run_id = resume
        else:
            if spec is None:
                raise SpecError("nothing to train", hint="pass a spec, or resume=RUN_ID")
            budget = run_budget(spec)  # reading the data counts against a time budget
            if spec.model is not None:
                get_learner(spec.model.learner)  # an unknown learner is a spec error, not a run
            # bad data and a learner that cannot take it are the user's to fix: no run for them
            prepared = prepare(spec, on_step, frame)
            check_before_run(spec, prepared.dataset.task)
            run_id = store.create_run(model_name(spec), spec.model_dump(mode="json"), spec.seed)
        try:
            result = _train(spec, registry, run_id, settings.runs_root / run_id, on_step, verbose,
                            budget, register, prepared, caught)
        except KeyboardInterrupt:
            store.finish_run(run_id, "killed", error="interrupted (KeyboardInterrupt)")
            raise
        except BaseException as err:
            late = caught.take()  # what the libraries said before it failed may say why
            if late:
                store.set_run_data(run_id, notes=late)
            store.finish_run(run_id, "failed", error=f"{type(err).__name__}: {err}")
            raise
        store.finish_run(run_id, "finished", cpu_seconds=result.cpu_seconds)
        return result


def _train_forecast(spec: Spec, registry: Registry, settings: Settings, on_step: Step,
                    register: bool, frame: pd.DataFrame | None,
                    caught: LibraryWarnings) -> TrainResult:
    """A forecast run (``orchestration.forecast_run``), recorded like any other run."""
    store = registry.store
    budget = run_budget(spec)
    check_forecast_learners(spec)
    on_step("reading the series")
    panel_data = read_panel(spec, frame)  # bad series are the user's to fix: no run for them
    run_id = store.create_run(model_name(spec), spec.model_dump(mode="json"), spec.seed)
    try:
        result = train_forecast(spec, registry, run_id, settings.runs_root / run_id, on_step,
                                budget, register, panel_data)
    except KeyboardInterrupt:
        store.finish_run(run_id, "killed", error="interrupted (KeyboardInterrupt)")
        raise
    except BaseException as err:
        store.finish_run(run_id, "failed", error=f"{type(err).__name__}: {err}")
        raise
    late = caught.take()
    if late:
        store.set_run_data(run_id, notes=list(result.notes) + late)
        result.notes = tuple(result.notes) + tuple(late)
    store.finish_run(run_id, "finished", cpu_seconds=result.cpu_seconds)
    return result


def run_budget(spec: Spec) -> Budget:
    """The run's one budget, starting now: the search's time budget (unlimited without one)."""
    return Budget(spec.search.time_budget if spec.search is not None else None)


def _train(
    spec: Spec, registry: Registry, run_id: str, workdir: Path, on_step: Step, verbose: bool,
    budget: Budget, register: bool, prepared: Prepared | None = None,
    caught: LibraryWarnings | None = None,
) -> TrainResult:
    store, name = registry.store, model_name(spec)
    prepared = prepared or prepare(spec, on_step)  # a resumed run reads its data again
    dataset, split, y = prepared.dataset, prepared.split, prepared.y
    store.set_run_data(
        run_id,
        fingerprint=dataset.fingerprint,
        schema=dataset.schema.to_dict(),
        task=dataset.task,
        source=dataset.source,
        split=split.to_dict(),
        skipped_rows=dataset.skipped_rows or None,  # rows left out by data.source.on_bad_lines
    )
    warned = caught.take if caught is not None else list
    # the evaluation's extras reserve their share of the run's budget; the search gets the rest
    extras = reserve_extras(budget, spec.evaluation if split.n_test else None)
    if spec.search is not None:
        fitted = search_model(
            spec.search,
            dataset,
            split,
            y,
            prepared.labels,
            seed=spec.seed,
            threshold_metric="f1",  # a binary model's threshold, tuned out of fold
            on_step=on_step,
            budget=budget,
        )
        store.set_run_data(run_id, leaderboard=fitted.leaderboard.to_records())
    else:
        fitted = fit_and_score(
            spec.model,
            dataset,
            split,
            y,
            prepared.labels,
            seed=spec.seed,
            checkpoint_dir=workdir / "checkpoint",
            verbose=verbose,
            on_step=on_step,
        )
    store.log_params(run_id, _plain(fitted.params))
    for record in fitted.history:
        step = record.get("epoch", record.get("iteration"))
        values = {k: v for k, v in record.items() if isinstance(v, int | float) and k != "epoch"}
        if step is not None and values:
            store.log_metrics(run_id, values, step=int(step))

    on_step("saving the model")
    model_dir = workdir / "model"
    fitted.bundle.save(model_dir)
    metrics = {part: dict(values) for part, values in fitted.metrics.items()}
    notes = list(dataset.notes) + list(split.notes) + fitted.notes + warned()
    evaluation = None
    if split.n_test:
        on_step("final evaluation on the test rows")
        budget.release()
        evaluation = _final_evaluation(spec, registry, prepared, fitted, model_dir, name, notes,
                                       extras)
        metrics["test"] = evaluation.metrics.to_dict()
    store.set_run_data(run_id, split=split.to_dict())  # records that the test rows were opened
    store.log_metrics(run_id, {f"{part}_{m}": v for part, values in metrics.items()
                               for m, v in values.items()})
    primary = evaluation.primary_metric if evaluation else None
    part_metrics = PartMetrics(metrics, primary=primary)

    on_step("profiling the training rows (the reference for drift)")
    _store_reference(registry, run_id, prepared, fitted)
    on_step("registering the model" if register else "storing the model")
    uri = registry.artifacts.put_dir(model_dir)
    registration = Registration(
        run_id=run_id,
        artifact_uri=uri,
        schema=dataset.schema.to_dict(),
        metrics=part_metrics.headline.to_dict(),
        # the version applies the spec's input policy wherever it predicts (serving.inputs)
        tags={"format": fitted.format, "learner": fitted.learner,
              UNSEEN_CATEGORIES_TAG: spec.predict.unseen_categories},
    )
    version = registration.register(store, name) if register else None
    notes += (late := warned())  # from the final evaluation
    report = None
    if evaluation is not None:  # written once, naming the version it describes
        evaluation.report["model"]["version"] = version
        evaluation.report["notes"] += late
        json_path, html_path = write_report(evaluation.report, workdir / "report")
        report_uri = registry.artifacts.put_dir(workdir / "report")
        report = ReportPaths(str(json_path), str(html_path), report_uri)
        store.set_run_data(run_id, report_uri=report_uri)
    store.set_run_data(
        run_id,
        result={
            "model": name,
            "version": version,
            "artifact_uri": uri,
            "metrics": part_metrics.to_dict(),
            "primary_metric": primary,
        },
        notes=notes or None,  # what the data, the split, training and the libraries said
    )
    return TrainResult(
        model=fitted.bundle,
        run_id=run_id,
        run_dir=str(workdir),
        model_dir=str(model_dir),
        model_name=name,
        version=version,
        learner=fitted.learner,
        task=dataset.task,
        metrics=part_metrics,
        leaderboard=fitted.leaderboard or _one_learner(spec, dataset.task, fitted, metrics),
        threshold=fitted.bundle.threshold,
        history=tuple(fitted.history),
        stop_reason=fitted.stop_reason,
        fit_seconds=fitted.fit_seconds,
        cpu_seconds=fitted.cpu_seconds,
        notes=tuple(notes),
        primary_metric=primary,
        kpis=evaluation.kpis if evaluation else (),
        warnings=evaluation.warnings if evaluation else (),
        report=report,
        deployment=fitted.deployment,
        registration=registration,
    )


def _store_reference(registry: Registry, run_id: str, prepared: Prepared,
                     fitted: Fitted) -> None:
    """The training rows' profile and the model's outputs on the validation rows, stored beside
    the model (``monitoring.reference``) for drift checks."""
    dataset, split = prepared.dataset, prepared.split
    frame, features = dataset.frame, dataset.features
    reference = build_reference(
        frame.iloc[split.train][features], dataset.schema, dataset.task, model=fitted.bundle,
        validation_rows=frame.iloc[split.validation][features],
        metrics=fitted.metrics.get("validation"))
    store_reference(registry, run_id, reference)


def _one_learner(spec: Spec, task: str, fitted: Fitted,
                 metrics: dict[str, dict[str, float]]) -> Leaderboard:
    """The leaderboard of a run that trained one named learner: its validation score."""
    name = primary_metric(task, spec.evaluation)
    return single_learner(fitted.learner, name, get_metric(name, task).greater_is_better,
                          metrics.get("validation", {}), fitted.fit_seconds)


def _final_evaluation(
    spec: Spec,
    registry: Registry,
    prepared: Prepared,
    fitted: Fitted,
    model_dir: Path,
    name: str,
    notes: list[str],
    extras: ExtrasTime,
) -> Evaluation:
    dataset, split, y = prepared.dataset, prepared.split, prepared.y
    frame, features = dataset.frame, dataset.features
    test_pos = split.open_test("final evaluation")
    test_rows, y_test = frame.iloc[test_pos][features], y[test_pos]
    production = _production(registry, name, test_rows, y_test, notes)
    inputs = EvalInputs(
        frame.iloc[split.train][features],
        y[split.train],
        frame.iloc[split.validation][features],
        y[split.validation],
        test_rows,
        y_test,
    )
    return evaluate_saved_model(
        model_dir,
        inputs,
        evaluation=spec.evaluation,
        costs=spec.costs,
        model_info={
            "name": name,
            "version": None,
            "learner": fitted.learner,
            "params": _plain(fitted.params),
        },
        model_format=fitted.format,
        extras=extras,
        leaderboard=fitted.leaderboard,
        data_info={
            "fingerprint": dataset.fingerprint,
            "source": dataset.source,
            "rows": {
                "train": len(split.train),
                "validation": len(split.validation),
                "test": len(test_pos),
            },
        },
        metrics_by_part=fitted.metrics,
        history=fitted.history,
        cpu_seconds=fitted.cpu_seconds,
        notes=notes,
        seed=spec.seed,
        production=production,
        deployment=fitted.deployment.to_dict() if fitted.deployment else None,
    )


def _production(
    registry: Registry, name: str, rows: pd.DataFrame, y: np.ndarray, notes: list[str]
) -> dict[str, Any] | None:
    """The production version's metrics on the same test rows, when there is one."""
    try:
        loaded = registry.load(f"{name}@production")
    except NotFound:
        return None
    try:
        return production_metrics(loaded.model, loaded.version.version, rows, y)
    except ModelyardError as err:
        notes.append(
            f"could not compare with production version {loaded.version.version}: {err.message}"
        )
        return None


def _plain(params: dict[str, Any]) -> dict[str, Any]:
    """Hyperparameters as JSON-friendly values (tuples to lists, others to text)."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, tuple):
            value = list(value)
        if value is None or isinstance(value, bool | int | float | str | list | dict):
            out[key] = value
        else:
            out[key] = str(value)
    return out

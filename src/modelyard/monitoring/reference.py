"""The reference profile of a model version: what its training rows and its predictions looked
like, kept as data beside the model so drift can be measured against it later.

``build_reference`` profiles the training rows (raw features, as the server logs them) and the
model's outputs on the validation rows; ``store_reference`` writes ``reference.json`` into the
artifact store (content-addressed, verified on read) and records its uri in the run's data
(``reference_uri``). ``reference_for`` returns a version's reference, computing it on demand for
versions trained before references existed, from the run's recorded source, spec and split.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from modelyard.data.dataset import load_dataset, split_dataset
from modelyard.data.folds import digest
from modelyard.data.schema import Schema
from modelyard.errors import DataError, RegistryError
from modelyard.monitoring.profile import PROFILED_KINDS, column_profile, output_profile
from modelyard.registry.records import VersionInfo
from modelyard.registry.registry import Registry
from modelyard.serving.predict import predict_records
from modelyard.spec.models import DATAFRAME, Spec

SCHEMA_VERSION = 1
FILE_NAME = "reference.json"
RUN_KEY = "reference_uri"  # the run-data key that holds the stored reference's uri


@dataclass(frozen=True)
class Reference:
    """A version's reference profile: inputs (``columns``), outputs (``prediction``), metrics."""

    task: str
    rows: int
    columns: dict[str, dict[str, Any]]  # input column -> profile (see monitoring.profile)
    prediction: dict[str, dict[str, Any]]  # output column ('prediction', 'proba_<label>') -> ...
    schema: list[dict[str, str]]  # every feature column: name and kind
    skipped: dict[str, str] = field(default_factory=dict)  # column -> why it has no profile
    metrics: dict[str, float] = field(default_factory=dict)  # validation metrics
    prediction_rows: int = 0
    schema_version: int = SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version, "task": self.task, "rows": self.rows,
            "schema": self.schema, "columns": self.columns, "skipped": self.skipped,
            "prediction_rows": self.prediction_rows, "prediction": self.prediction,
            "metrics": self.metrics,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Reference:
        version = raw.get("schema_version")
        if version != SCHEMA_VERSION:
            raise DataError(
                f"reference profile schema version {version!r} is not one this modelyard reads "
                f"(expected {SCHEMA_VERSION})",
                hint="upgrade modelyard, or delete the run's reference_uri to compute it again")
        return cls(task=raw["task"], rows=int(raw["rows"]), columns=raw["columns"],
                   prediction=raw["prediction"], schema=raw["schema"],
                   skipped=raw.get("skipped", {}), metrics=raw.get("metrics", {}),
                   prediction_rows=int(raw.get("prediction_rows", 0)))


def build_reference(
    train_rows: pd.DataFrame,
    schema: Schema,
    task: str,
    *,
    model: Any = None,
    validation_rows: pd.DataFrame | None = None,
    metrics: dict[str, float] | None = None,
) -> Reference:
    """Profile ``train_rows`` (the typed feature columns of the training rows) and ``model``'s
    outputs on ``validation_rows`` (no outputs profiled without both)."""
    columns: dict[str, dict[str, Any]] = {}
    skipped: dict[str, str] = {name: f"left out of training: {why}" for name, why in
                               schema.dropped.items()}
    for col in schema.columns:
        if col.kind not in PROFILED_KINDS:
            skipped[col.name] = f"{col.kind} columns are not profiled (values are not comparable)"
        elif col.name in train_rows.columns:
            columns[col.name] = column_profile(train_rows[col.name], col.kind)
    prediction: dict[str, dict[str, Any]] = {}
    n_pred = 0
    if model is not None and validation_rows is not None and len(validation_rows):
        outputs = predict_records(model, validation_rows)
        n_pred = len(outputs)
        for name in outputs.columns:
            labels = name == "prediction" and task != "regression"
            prediction[str(name)] = output_profile(outputs[name], categorical=labels)
    return Reference(
        task=task, rows=len(train_rows), columns=columns, prediction=prediction,
        schema=[{"name": c.name, "kind": c.kind} for c in schema.columns], skipped=skipped,
        metrics={k: float(v) for k, v in (metrics or {}).items()}, prediction_rows=n_pred)


def store_reference(registry: Registry, run_id: str, reference: Reference) -> str:
    """Write ``reference`` to the artifact store and record its uri with the run; returns it."""
    with tempfile.TemporaryDirectory(prefix="modelyard-reference-") as tmp:
        (Path(tmp) / FILE_NAME).write_text(json.dumps(reference.to_dict()), encoding="utf-8")
        uri = registry.artifacts.put_dir(Path(tmp))
    registry.store.set_run_data(run_id, **{RUN_KEY: uri})
    return uri


def load_reference(registry: Registry, uri: str) -> Reference:
    """The reference stored at ``uri`` (its bytes verified against the address)."""
    path = registry.artifacts.get_dir(uri) / FILE_NAME
    return Reference.from_dict(json.loads(path.read_text(encoding="utf-8")))


def reference_for(registry: Registry, version: VersionInfo) -> Reference:
    """The reference profile of ``version``: the stored one, or one computed now from its run's
    source, spec and split (then stored and recorded, so it is computed once)."""
    if version.tags.get("task") == "forecast":
        raise DataError(
            f"{version.ref} is a forecaster: drift checks compare served rows with a tabular "
            "model's training rows, and a forecaster is asked for series, not rows",
            hint="judge a forecaster by its forecasts against what happened: retrain it on the "
            "newer observations and compare the test-window metrics of the versions")
    run = registry.store.get_run(version.run_id)
    uri = run.data.get(RUN_KEY)
    if uri:
        return load_reference(registry, uri)
    reference = compute_reference(registry, version)
    store_reference(registry, version.run_id, reference)
    return reference


def compute_reference(registry: Registry, version: VersionInfo) -> Reference:
    """Read the run's training data again with its stored spec and profile it."""
    run = registry.store.get_run(version.run_id)
    spec = Spec.model_validate(run.spec)
    source = run.data.get("source") or str(spec.data.source.path)
    needs = "drift is measured against the training rows' profile"
    if spec.data.source.format == DATAFRAME:
        raise DataError(
            f"{version.ref} has no reference profile and was trained on an in-memory DataFrame, "
            f"which modelyard did not keep: {needs}",
            hint="train the model again (modelyard.train) to store its reference profile")
    try:
        dataset = load_dataset(spec.data, task=spec.task, split=spec.split)
    except DataError as err:
        raise DataError(
            f"{version.ref} has no reference profile and its training data cannot be read "
            f"again ({source}): {err.message}; {needs}",
            hint="put the training file back where the run read it, or retrain the model "
            "(modelyard train) to store a reference with the new version") from err
    if run.data_fingerprint and dataset.fingerprint != run.data_fingerprint:
        raise DataError(
            f"{version.ref} has no reference profile and its training data changed since the "
            f"run ({source}: fingerprint {run.data_fingerprint[:19]} then, "
            f"{dataset.fingerprint[:19]} now); {needs}",
            hint="put back the data the run trained on, or retrain the model to store a "
            "reference with the new version")
    split = split_dataset(dataset, spec.split, spec.seed)  # as the run split it
    recorded = (run.data.get("split") or {}).get("sha256", {}).get("train")
    if recorded and recorded != digest(split.train):
        raise DataError(
            f"{version.ref}: splitting its training data again gave other training rows than "
            "the run recorded, so a reference computed now would not describe them",
            hint="retrain the model (modelyard train) to store a reference with the new version")
    frame, features = dataset.frame, dataset.features
    try:
        model = registry.load(version.ref).model
    except RegistryError as err:
        raise type(err)(f"cannot compute the reference of {version.ref}: {err.message}",
                        hint=err.hint) from err
    metrics = ((run.data.get("result") or {}).get("metrics") or {}).get("validation") or {}
    return build_reference(
        frame.iloc[split.train][features], dataset.schema, dataset.task, model=model,
        validation_rows=frame.iloc[split.validation][features], metrics=metrics)

"""Drift of a model version's inputs and predictions against its reference profile.

``check_drift(registry, ref, since=..., data=...)`` streams the version's prediction log (or a
batch file) through one accumulator per column, compares each with the reference
(``monitoring.stats``), flags the columns that cross the version's ``monitoring:`` thresholds and
gives a verdict: drift when the share of drifted input columns reaches ``drift_share``, or when
a prediction column drifted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.convert import convert_column
from modelyard.data.schema import Schema
from modelyard.durations import parse_since
from modelyard.errors import DataError, ModelyardError, SpecError
from modelyard.monitoring.logs import LogScan, frame_batches, log_batches
from modelyard.monitoring.profile import as_numbers
from modelyard.monitoring.reference import Reference, reference_for
from modelyard.monitoring.stats import (
    CategoryAccumulator,
    NumericAccumulator,
    categorical_drift,
    category_vectors,
    drift_reasons,
    numeric_drift,
)
from modelyard.registry.registry import Registry
from modelyard.settings import Settings, load_settings
from modelyard.spec.models import Spec
from modelyard.spec.monitoring import MonitoringSpec

PREDICTIONS_DIR = "predictions"  # as serving.app writes it: <home>/predictions
BATCH_ROWS = 65_536


@dataclass(frozen=True)
class ColumnDrift:
    """One column's comparison: its statistics, whether (and why) it drifted, and the binned
    distributions side by side (``bins``: labels, reference shares, current shares)."""

    name: str
    kind: str
    statistic: str  # the headline statistic: 'psi' for numbers, 'js' for categories
    score: float | None
    drifted: bool
    reasons: tuple[str, ...]
    statistics: dict[str, Any]
    null_rate: tuple[float, float]  # reference, current
    rows: int
    bins: dict[str, list[Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class DriftReport:
    """The verdict of a drift check and what it rests on."""

    model: str
    version: int
    source: str  # the log folder or the file compared
    since: str | None
    rows: int
    drifted: bool
    score: float  # share of compared input columns that drifted
    columns: tuple[ColumnDrift, ...]
    prediction: tuple[ColumnDrift, ...]
    prediction_drifted: bool
    schema_changes: dict[str, Any]
    skipped: dict[str, int]  # rows left out, by reason
    thresholds: dict[str, Any]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["columns"] = [asdict(c) for c in self.columns]
        out["prediction"] = [asdict(c) for c in self.prediction]
        out["notes"] = list(self.notes)
        return out


def thresholds_of(spec: dict[str, Any], overrides: dict[str, Any] | None = None) -> MonitoringSpec:
    """The ``monitoring:`` thresholds of a run's stored spec, with ``overrides`` applied."""
    base = Spec.model_validate(spec).monitoring if spec else MonitoringSpec()
    if not overrides:
        return base
    unknown = sorted(set(overrides) - set(MonitoringSpec.model_fields))
    if unknown:
        raise SpecError(f"unknown drift threshold(s) {unknown}: expected one of "
                        f"{sorted(MonitoringSpec.model_fields)}",
                        hint="e.g. --threshold psi=0.25 --threshold min_rows=50")
    try:
        return MonitoringSpec.model_validate({**base.model_dump(), **overrides})
    except ValueError as err:
        raise SpecError(f"a drift threshold is out of range: {err}",
                        hint="see the monitoring section of docs/spec.md") from None


def check_drift(registry: Registry, ref: str, *, since: datetime | str | None = None,
                data: str | Path | pd.DataFrame | None = None, settings: Settings | None = None,
                thresholds: dict[str, Any] | None = None,
                batch_rows: int = BATCH_ROWS) -> DriftReport:
    """Compare the prediction log of the version ``ref`` names (or ``data``: a file or a frame of
    input rows) with the version's reference profile."""
    version = registry.store.resolve(ref)
    run = registry.store.get_run(version.run_id)
    limits = thresholds_of(run.spec, thresholds)
    reference = reference_for(registry, version)
    schema = Schema.from_dict(version.schema)
    since_at = parse_since(since) if isinstance(since, str) else since
    scan = LogScan()
    check = _Check(reference, schema, limits, seed=version.version)
    notes: list[str] = []
    if data is not None:
        frame, source = _read_data(data)
        scan.input_columns.update(map(str, frame.columns))
        _require_overlap(reference, frame, source)
        model = registry.load(version.ref).model
        for part in frame_batches(frame, batch_rows):
            check.update(part, _outputs(model, schema, part, notes))
    else:
        settings = settings or load_settings()
        root = settings.home / PREDICTIONS_DIR
        source = str(root / version.model / f"v{version.version}")
        for inputs, outputs in log_batches(root, version.model, version.version, scan,
                                           since=since_at, batch_rows=batch_rows):
            check.update(inputs, outputs)
    skipped = {k: v for k, v in (("other versions", scan.other_versions),
                                 ("before --since", scan.outside_window)) if v}
    if check.rows < limits.min_rows:
        window = f" since {since_at.isoformat(timespec='seconds')}" if since_at else ""
        left = "".join(f", {n} row(s) left out ({why})" for why, n in skipped.items())
        raise DataError(
            f"{version.ref}: {check.rows} row(s) to compare in {source}{window}{left}; a drift "
            f"check needs at least {limits.min_rows} (monitoring.min_rows)",
            hint="widen the window (--since), wait for more traffic, or lower the minimum: "
            "--threshold min_rows=N")
    return check.report(version.model, version.version, source,
                        since_at.isoformat() if since_at else None, scan, skipped, notes)


def _read_data(data: str | Path | pd.DataFrame) -> tuple[pd.DataFrame, str]:
    if isinstance(data, pd.DataFrame):
        return data, "in-memory DataFrame"
    from modelyard.data.sources import read_file
    from modelyard.spec.models import ReadOptions

    return read_file(Path(data), ReadOptions()), str(data)


def _require_overlap(reference: Reference, frame: pd.DataFrame, source: str) -> None:
    expected = [c["name"] for c in reference.schema]
    if not set(expected) & set(map(str, frame.columns)):
        raise DataError(
            f"{source} has none of the model's input columns: expected {expected}, "
            f"received {list(map(str, frame.columns))[:20]}",
            hint="pass a file of the rows the model predicts on (the training columns)")


def _outputs(model: Any, schema: Schema, part: pd.DataFrame, notes: list[str]) -> Any:
    """The model's outputs for a batch file's rows; None (with a note) when it cannot predict."""
    from modelyard.serving.predict import predict_records

    if any(name not in part.columns for name in schema.names):
        return None
    try:
        return predict_records(model, part)
    except ModelyardError as err:
        if not notes:
            notes.append(f"predictions not compared: {err.message}")
        return None


class _Check:
    """One accumulator per profiled input and output column."""

    def __init__(self, reference: Reference, schema: Schema, limits: MonitoringSpec,
                 seed: int) -> None:
        self.reference, self.schema, self.limits = reference, schema, limits
        self.rows = 0
        self.seen_outputs: set[str] = set()
        self.inputs = {n: self._acc(p, seed + i) for i, (n, p) in
                       enumerate(reference.columns.items())}
        self.outputs = {n: self._acc(p, seed + 1000 + i) for i, (n, p) in
                        enumerate(reference.prediction.items())}
        self.present: set[str] = set()

    def _acc(self, profile: dict[str, Any], seed: int) -> Any:
        if profile["stat_kind"] == "numeric":
            return NumericAccumulator(profile, self.limits.sample_size, seed)
        return CategoryAccumulator()

    def update(self, inputs: pd.DataFrame, outputs: pd.DataFrame | None) -> None:
        self.rows += len(inputs)
        for name, acc in self.inputs.items():
            if name not in inputs.columns:
                continue
            self.present.add(name)
            col = self.schema.column(name) if name in self.schema.names else None
            kind = self.reference.columns[name]["kind"]
            values, _, _ = convert_column(inputs[name], kind, name=name,
                                          fmt=col.format if col else None, errors="coerce")
            _feed(acc, values, kind)
        for name, acc in self.outputs.items():
            if outputs is not None and name in outputs.columns:
                self.seen_outputs.add(name)
                _feed(acc, outputs[name], self.reference.prediction[name]["kind"])

    def report(self, model: str, version: int, source: str, since: str | None, scan: LogScan,
               skipped: dict[str, int], notes: list[str]) -> DriftReport:
        ref = self.reference
        columns = tuple(self._compare(n, ref.columns[n], self.inputs[n])
                        for n in ref.columns if n in self.present)
        prediction = tuple(self._compare(n, ref.prediction[n], self.outputs[n])
                           for n in ref.prediction if n in self.seen_outputs)
        expected = [c["name"] for c in ref.schema]
        changes = {
            "missing_columns": [n for n in expected if n not in self.present
                                and n not in ref.skipped],
            "new_columns": sorted(scan.input_columns - set(expected) - set(ref.skipped)
                                  - {self.schema.target}),
            "unseen_categories": {c.name: c.statistics["unseen"] for c in columns
                                  if c.statistics.get("unseen")},
        }
        if ref.prediction and not prediction:
            notes.append("no model outputs to compare: prediction drift not measured")
        ignored = set(self.limits.ignore)
        counted = [c for c in columns if c.name not in ignored]
        if ignored:
            left = ", ".join(sorted(ignored & {c.name for c in columns})) or "none present"
            notes.append(f"left out of the verdict (monitoring.ignore): {left}")
        share = sum(c.drifted for c in counted) / len(counted) if counted else 0.0
        pred = any(c.drifted for c in prediction)
        drifted = bool(counted) and share >= self.limits.drift_share or pred
        return DriftReport(model, version, source, since, self.rows, drifted, share, columns,
                           prediction, pred, changes, skipped, self.limits.model_dump(),
                           tuple(notes))

    def _compare(self, name: str, profile: dict[str, Any], acc: Any) -> ColumnDrift:
        numeric = profile["stat_kind"] == "numeric"
        values = numeric_drift(profile, acc) if numeric else categorical_drift(profile, acc)
        ref_null = profile["nulls"] / profile["rows"] if profile["rows"] else 0.0
        cur_null = acc.nulls / acc.rows if acc.rows else 0.0
        reasons = drift_reasons(profile["stat_kind"], values, cur_null - ref_null, self.limits)
        statistic = "psi" if numeric else "js"
        if numeric:
            labels = _bin_labels(profile["edges"])
            ref_c = np.asarray(profile["counts"], dtype="float64")
            cur_c = acc.counts.astype("float64")
        else:
            labels, ref_c, cur_c, _ = category_vectors(profile, acc)
        bins = {"labels": labels, "reference": _shares(ref_c), "current": _shares(cur_c)}
        return ColumnDrift(name, profile["kind"], statistic, values.get(statistic),
                           bool(reasons), tuple(reasons), values, (ref_null, cur_null),
                           acc.rows, bins)


def _feed(acc: Any, values: pd.Series, kind: str) -> None:
    if isinstance(acc, NumericAccumulator):
        acc.update(as_numbers(values, kind))
    else:
        acc.update(values)


def _shares(counts: np.ndarray) -> list[float]:
    total = counts.sum()
    return (counts / total).tolist() if total else [0.0] * len(counts)


def _bin_labels(edges: list[float]) -> list[str]:
    if not edges:
        return ["all"]
    inner = [f"({a:.4g}, {b:.4g}]" for a, b in zip(edges[:-1], edges[1:], strict=True)]
    return [f"<= {edges[0]:.4g}", *inner, f"> {edges[-1]:.4g}"]

"""The prediction-log writer on its own (batches, flush on close, drops counted, write failures
survived) and ``predict_records`` for classifiers and regressors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelyard.data.infer import infer_schema
from modelyard.errors import DataError, SchemaMismatch, ServingError
from modelyard.model import ModelBundle, encode_target, fit_model
from modelyard.serving.metrics import ServingMetrics
from modelyard.serving.predict import predict_records, to_json_rows
from modelyard.serving.predlog import LoggedBatch, PredictionLog, read_log

CHURN = Path(__file__).parents[2] / "data" / "telco_churn.csv"


def batch(rows: int, version: int = 1, model: str = "churn") -> LoggedBatch:
    inputs = pd.DataFrame({"x": np.arange(rows, dtype=float), "c": ["a"] * rows})
    outputs = pd.DataFrame({"prediction": [True] * rows, "proba_True": [0.75] * rows})
    return LoggedBatch(model, version, f"{model}@production", f"r{rows}", datetime.now(UTC),
                       inputs, outputs)  # fmt: skip


def index(root: Path, model: str = "churn") -> list[dict]:
    path = root / model / "index.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_batches_split_by_size_and_version_and_close_flushes(tmp_path):
    metrics = ServingMetrics()
    log = PredictionLog(tmp_path, batch_rows=4, flush_s=60, metrics=metrics).start()
    for item in (batch(3), batch(2), batch(1, version=2), batch(2)):
        assert log.append(item)
    log.close()
    entries = index(tmp_path)
    assert sorted((e["version"], e["rows"]) for e in entries) == [(1, 2), (1, 5), (2, 1)]
    frame = read_log(tmp_path, "churn")
    assert len(frame) == 8 and frame["input.x"].dtype == "float64"
    assert list(frame.columns[:5]) == ["timestamp", "request_id", "model", "version", "ref"]
    assert frame["output.proba_True"].eq(0.75).all()
    assert str(frame["timestamp"].dtype).endswith("UTC]")
    assert 'modelyard_prediction_log_rows_total{model="churn"} 8.0' in metrics.render().decode()
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_full_queue_drops_rows_and_counts_them(tmp_path):
    metrics = ServingMetrics()
    log = PredictionLog(tmp_path, batch_rows=10, flush_s=60, metrics=metrics, max_queued=1)
    assert log.append(batch(3))  # not started: nothing drains the queue
    assert not log.append(batch(4))
    assert "modelyard_prediction_log_dropped_rows_total 4.0" in metrics.render().decode()


def test_a_failing_disk_does_not_stop_the_writer(tmp_path):
    blocker = tmp_path / "predictions"
    blocker.write_text("a file where the log folder should be")
    metrics = ServingMetrics()
    log = PredictionLog(blocker, batch_rows=1, flush_s=60, metrics=metrics).start()
    log.append(batch(2))
    log.append(batch(3))
    log.close()
    assert "modelyard_prediction_log_dropped_rows_total 5.0" in metrics.render().decode()


def _bundle(target: str, learner: str) -> tuple[ModelBundle, pd.DataFrame]:
    raw = pd.read_csv(CHURN)
    frame, schema = infer_schema(raw, target=target)
    task = "regression" if schema.target_kind == "numeric" else "binary"
    y, labels = encode_target(frame[target], task)
    fitted = fit_model(frame[schema.names], y, schema=schema, task=task, learner=learner,
                       labels=labels)
    return fitted.bundle, raw


def test_predict_records_returns_outputs_on_the_input_index():
    bundle, raw = _bundle("Churn", "logistic")
    rows = raw.iloc[10:15].set_index(pd.Index(list("abcde")))
    out = predict_records(bundle, rows)
    assert list(out.columns) == bundle.output_columns() == ["prediction", "proba_False",
                                                           "proba_True"]  # fmt: skip
    assert list(out.index) == list("abcde")
    assert out["prediction"].tolist() == bundle.predict(rows).tolist()
    answer = to_json_rows(bundle, out)
    assert set(answer["probabilities"][0]) == {"False", "True"}
    assert all(type(p) is bool for p in answer["predictions"])


def test_predict_records_for_a_regressor_and_bad_inputs():
    bundle, raw = _bundle("MonthlyCharges", "linear")
    out = predict_records(bundle, raw.iloc[:4])
    assert list(out.columns) == ["prediction"] and out["prediction"].dtype == "float64"
    assert to_json_rows(bundle, out)["probabilities"] is None
    with pytest.raises(DataError, match="no rows"):
        predict_records(bundle, raw.iloc[:0])
    with pytest.raises(SchemaMismatch, match="tenure"):
        predict_records(bundle, raw.drop(columns=["tenure"]).iloc[:2])
    with pytest.raises(ServingError, match="model bundle or ensemble"):
        predict_records(object(), raw)  # type: ignore[arg-type]

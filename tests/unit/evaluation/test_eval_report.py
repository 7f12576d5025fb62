"""The report: built from real models, valid against its schema, rendered to one safe HTML page."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import numpy as np
import pandas as pd
import pytest
from jsonschema import Draft202012Validator
from sklearn import metrics as skm
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from modelyard.errors import DataError, SpecError
from modelyard.evaluation.importance import permutation_importance
from modelyard.evaluation.kpis import measure_latency
from modelyard.evaluation.report import (
    SCHEMA_PATH,
    ReportSettings,
    build_report,
    validate_report,
    write_report,
)
from modelyard.evaluation.report_html import render_html

HISTORY = [{"epoch": e, "train_loss": 1.0 / e, "val_loss": 1.1 / e + 0.01 * e,
            "val_accuracy": 0.6 + 0.02 * e, "lr": 0.01} for e in range(1, 8)]
BINARY_IDS = ["plot-learning-curves", "plot-roc", "plot-precision-recall", "plot-confusion",
              "plot-calibration", "plot-importance"]
MULTICLASS_IDS = ["plot-confusion", "plot-importance"]
REGRESSION_IDS = ["plot-residuals-scatter", "plot-residuals-histogram", "plot-importance"]


@pytest.fixture(scope="module")
def binary_report(data_dir):
    frame = pd.read_csv(data_dir / "telco_churn.csv").drop(columns="customerID")
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce").fillna(0.0)
    y = pd.Series((frame.pop("Churn") == "Yes").astype(int).to_numpy(), index=frame.index)
    frame = frame.rename(columns={"gender": "gender (see http://example.org)"})
    columns = pd.get_dummies(frame, dtype=float).columns

    def encode(rows: pd.DataFrame) -> pd.DataFrame:
        return pd.get_dummies(rows, dtype=float).reindex(columns=columns, fill_value=0.0)

    train, val, test = frame.index[:160], frame.index[160:220], frame.index[220:]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(encode(frame.loc[train]), y[train])
    proba = model.predict_proba(encode(frame.loc[test]))

    def predict(rows: pd.DataFrame) -> np.ndarray:
        return model.predict_proba(encode(rows))

    def auc(rows: pd.DataFrame) -> float:
        return skm.roc_auc_score(y.loc[rows.index], predict(rows)[:, 1])

    parts = {p: {"roc_auc": skm.roc_auc_score(y[idx], predict(frame.loc[idx])[:, 1])}
             for p, idx in (("train", train), ("validation", val))}
    report = build_report(
        "binary", model={"name": "churn <b>", "version": 3, "learner": "logistic",
                         "params": {"C": 1.0, "penalty": "l2"}},
        data={"fingerprint": "sha256:abc", "source": "telco_churn.csv",
              "rows": {"train": 160, "validation": 60, "test": len(test)}},
        y_train=y[train].to_numpy(), y_test=y[test].to_numpy(), y_pred=proba.argmax(axis=1),
        proba=proba, class_names=["No", "Yes"], metrics_by_part=parts, threshold=0.5,
        history=HISTORY, importance=permutation_importance(auc, frame.loc[test], n_repeats=2),
        latency=measure_latency(predict, frame.loc[test], n_single=20, batch_size=200, warmup=2),
        production={"version": 2, "metrics": {"roc_auc": 0.70, "accuracy": 0.75}},
        training_cpu_seconds=3.6, notes=["telco slice"], settings=ReportSettings(n_boot=300))
    return report, y[test].to_numpy(), proba


@pytest.fixture(scope="module")
def multiclass_report():
    data = load_iris(as_frame=True)
    X, y = data.data, data.target
    train, test = X.index[::2], X.index[1::2]
    model = LogisticRegression(max_iter=1000).fit(X.loc[train], y[train])
    proba = model.predict_proba(X.loc[test])

    def accuracy(rows: pd.DataFrame) -> float:
        return skm.accuracy_score(y.loc[rows.index], model.predict(rows))

    return build_report(
        "multiclass", model={"name": "iris", "version": None, "learner": "logistic", "params": {}},
        data={"fingerprint": None, "source": "sklearn iris", "rows": {"train": 75, "test": 75}},
        y_train=y[train].to_numpy(), y_test=y[test].to_numpy(), y_pred=proba.argmax(axis=1),
        proba=proba, class_names=list(data.target_names),
        metrics_by_part={"train": {"accuracy": 0.99}, "validation": {"accuracy": 0.80}},
        importance=permutation_importance(accuracy, X.loc[test], n_repeats=2),
        settings=ReportSettings(primary_metric="accuracy", n_boot=200))


@pytest.fixture(scope="module")
def regression_report(data_dir):
    frame = pd.read_csv(data_dir / "california_housing.csv")
    y = frame.pop("median_house_value")
    X = frame.select_dtypes("number").fillna(0.0)
    model = Ridge().fit(X.iloc[:350], y.iloc[:350])

    def r2(rows: pd.DataFrame) -> float:
        return skm.r2_score(y.loc[rows.index], model.predict(rows))

    y_test = y.iloc[350:].to_numpy(copy=True)
    y_test[:3] = 0.0  # zero targets: MAPE must say it ignored them
    return build_report(
        "regression", model={"name": "houses", "version": "7", "learner": "ridge",
                             "params": {"alpha": 1.0}},
        data={"fingerprint": "f", "source": None, "rows": {"train": 350, "test": len(y_test)}},
        y_train=y.iloc[:350].to_numpy(), y_test=y_test, y_pred=model.predict(X.iloc[350:]),
        metrics_by_part={"train": {"rmse": 60000.0}, "validation": {"rmse": 70000.0}},
        importance=permutation_importance(r2, X.iloc[350:], n_repeats=2),
        history=[{"iteration": i, "valid_l2": 1.0 / i} for i in range(1, 5)],
        settings=ReportSettings(n_boot=200, cpu_hour_price=0.1))


class _Balance(HTMLParser):
    """Fails on an end tag that closes nothing open; records tags and attributes."""

    VOID = {"meta", "br", "hr", "img", "input", "link"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.attrs += attrs
        self.ids += [v for k, v in attrs if k == "id" and v]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.attrs += attrs

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


def _check_html(report) -> tuple[_Balance, str]:
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>")
    for forbidden in ("http://", "https://", "<script", "<link", "<img", "@import", "url(http"):
        assert forbidden not in page.lower(), forbidden
    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.stack == []
    for name, value in parser.attrs:
        assert name != "src", (name, value)
        if name in ("href", "xlink:href") and value:
            assert value.startswith("#"), value  # only links inside the page
        if name == "style" and value:
            assert "url(" not in value or "url(#" in value
    assert "kpi-table" in parser.ids
    assert len(parser.ids) == len(set(parser.ids)), "ids must be unique across inline SVGs"
    return parser, page


def test_schema_is_a_valid_draft_2020_12_schema():
    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))


def test_binary_report_content(binary_report):
    report, y_test, proba = binary_report
    validate_report(report)
    test = report["metrics"]["test"]
    assert test["roc_auc"] == pytest.approx(skm.roc_auc_score(y_test, proba[:, 1]))
    for name, (low, high) in report["confidence_intervals"]["test"].items():
        assert low <= test[name] <= high, name
    assert set(report["baselines"]) == {"majority", "prior"}
    assert report["baselines"]["prior"]["roc_auc"] == pytest.approx(0.5)
    production = report["error_reduction"]["vs_production"]
    assert production["reductions"]["roc_auc"] == pytest.approx(
        100 * (0.3 - (1 - test["roc_auc"])) / 0.3)
    keys = [k["key"] for k in report["kpis"]]
    assert keys[:2] == ["accuracy", "f1"] and "cost_per_1000_predictions" in keys
    kpi = {k["key"]: k["value"] for k in report["kpis"]}
    assert kpi["training_cost"] == pytest.approx(3.6 * 0.05 / 3600)
    assert kpi["cost_per_1000_predictions"] > 0 and kpi["latency_p50_ms"] > 0
    assert report["overfitting"]["metric"] == "roc_auc"
    assert report["curves"]["confusion"]["labels"] == ["No", "Yes"]
    assert report["curves"]["residuals"] is None and report["mape"] is None
    json.dumps(report, allow_nan=False)


def test_regression_report_content(regression_report):
    report = regression_report
    validate_report(report)
    assert [k["key"] for k in report["kpis"]][:3] == ["rmse", "mae", "r2"]
    assert report["mape"]["n_zero_targets_ignored"] == 3
    assert set(report["baselines"]) == {"mean", "median"}
    assert report["error_reduction"]["vs_baselines"]["mean"]["rmse"] > 0
    assert report["costs"]["cpu_hour"] == 0.1  # exact: the configured price, passed through
    assert report["costs"]["per_1000_predictions"] is None
    assert report["curves"]["roc"] is None and report["curves"]["residuals"]["n"] == 160


@pytest.mark.parametrize("which, ids", [("binary_report", BINARY_IDS),
                                        ("multiclass_report", MULTICLASS_IDS),
                                        ("regression_report", REGRESSION_IDS)])
def test_html_has_every_plot_and_nothing_external(which, ids, request):
    report = request.getfixturevalue(which)
    report = report[0] if isinstance(report, tuple) else report
    parser, page = _check_html(report)
    for plot_id in ids:
        assert plot_id in parser.ids, plot_id
    for plot_id in ids:
        figure = re.search(rf'<figure class="plot" id="{plot_id}"><figcaption>([^<]+)'
                           r"</figcaption><svg", page)
        assert figure and figure.group(1).strip(), plot_id  # every plot has a title
    if which == "binary_report":
        assert "churn &lt;b&gt;" in page and "<b>" not in page  # text is escaped


def test_invalid_reports_fail_validation(multiclass_report):
    broken = json.loads(json.dumps(multiclass_report))
    del broken["kpis"]
    with pytest.raises(DataError, match="kpis"):
        validate_report(broken)
    wrong = json.loads(json.dumps(multiclass_report))
    wrong["metrics"]["test"]["accuracy"] = "high"
    with pytest.raises(DataError, match="/metrics/test/accuracy"):
        validate_report(wrong)
    extra = json.loads(json.dumps(multiclass_report))
    extra["model"]["task"] = "ranking"
    with pytest.raises(DataError):
        validate_report(extra)


def test_write_report_writes_both_files(multiclass_report, tmp_path):
    json_path, html_path = write_report(multiclass_report, tmp_path / "out")
    # exact: stored values read back (JSON keeps every float's digits)
    assert json.loads(json_path.read_text(encoding="utf-8")) == multiclass_report
    assert html_path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["report.html", "report.json"]
    bad = dict(multiclass_report, schema_version=2)
    with pytest.raises(DataError):
        write_report(bad, tmp_path / "bad")
    assert not (tmp_path / "bad" / "report.json").exists()


def test_build_report_rejects_bad_inputs():
    with pytest.raises(SpecError, match="binary, multiclass, regression"):
        build_report("ranking", model={}, data={}, y_train=[1], y_test=[1], y_pred=[1])
    with pytest.raises(DataError, match="test rows"):
        build_report("regression", model={}, data={}, y_train=[1.0], y_test=[], y_pred=[])
    with pytest.raises(SpecError, match="does not apply"):
        build_report("regression", model={}, data={}, y_train=[1.0], y_test=[1.0],
                     y_pred=[1.0], settings=ReportSettings(primary_metric="accuracy"))

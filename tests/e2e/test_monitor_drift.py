"""``modelyard monitor drift`` end to end on the Telco churn slice: a reference stored with every
trained version (or computed on demand for an old one), and drift of logged or given rows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pandas as pd
import pytest
from tests.serving_helpers import json_records, live_server, loopback_config

from modelyard.errors import DataError, SpecError
from modelyard.monitoring.drift import check_drift
from modelyard.monitoring.reference import RUN_KEY, reference_for
from modelyard.registry.registry import Registry
from modelyard.serving.app import create_app
from modelyard.serving.predict import predict_records
from modelyard.serving.predlog import LoggedBatch, PredictionLog
from modelyard.settings import Settings

DATA = Path(__file__).parents[1] / "data" / "telco_churn.csv"


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """A home with churn:1 trained by the real CLI on a copy of the Telco slice."""
    root = tmp_path_factory.mktemp("drift")
    shutil.copy(DATA, root / "churn.csv")
    proc = subprocess.run(
        [sys.executable, "-m", "modelyard", "--home", str(root / "home"), "train",
         str(root / "churn.csv"), "--target", "Churn", "--name", "churn", "--model",
         "logistic", "--json"], capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr
    return root


@pytest.fixture
def home(trained, tmp_path) -> Settings:
    """A copy of the trained home for one test (its own prediction log)."""
    shutil.copytree(trained / "home", tmp_path / "home")
    return Settings(home=tmp_path / "home")


def rows() -> pd.DataFrame:
    return pd.read_csv(DATA).drop(columns=["Churn"])


def log_rows(settings: Settings, frame: pd.DataFrame, *, version: int = 1, chunk: int = 20,
             root: Path | None = None, drop: tuple[str, ...] = ()) -> None:
    """Write ``frame`` to the prediction log as the server would, ``chunk`` rows a request."""
    with Registry.open(settings) as registry:
        model = registry.load("churn:1").model
    log = PredictionLog(root or settings.home / "predictions", batch_rows=64, flush_s=60).start()
    for start in range(0, len(frame), chunk):
        part = frame.iloc[start:start + chunk]
        outputs = predict_records(model, part)
        log.append(LoggedBatch("churn", version, "churn", f"r{start}",
                               datetime.now(UTC), part.drop(columns=list(drop)), outputs))
    log.close()


def shifted() -> pd.DataFrame:
    return rows()[lambda f: f.Contract == "Month-to-month"]


def test_training_stores_a_reference_and_old_versions_get_one_on_demand(home):
    with Registry.open(home) as registry:
        version = registry.store.resolve("churn")
        run = registry.store.get_run(version.run_id)
        stored = reference_for(registry, version).to_dict()
        assert run.data[RUN_KEY].startswith("sha256:")
        kinds = {c["name"]: c["kind"] for c in stored["schema"]}
        assert kinds["tenure"] == "numeric" and kinds["Contract"] == "categorical"
        assert kinds["Partner"] == "boolean" and "customerID" in stored["skipped"]
        assert set(stored["columns"]["Contract"]["categories"]) == {
            "Month-to-month", "One year", "Two year"}
        assert stored["columns"]["tenure"]["edges"] and stored["prediction"]["proba_Yes"]
        assert set(stored["prediction"]) == {"prediction", "proba_No", "proba_Yes"}
        assert stored["metrics"]["roc_auc"] > 0.5
        # an old version: no reference recorded with its run
        registry.store.set_run_data(version.run_id, **{RUN_KEY: None})
        again = reference_for(registry, version).to_dict()
        assert again == stored
        assert registry.store.get_run(version.run_id).data[RUN_KEY] == run.data[RUN_KEY]


def test_an_old_version_whose_source_is_gone_says_drift_needs_a_reference(home, cli):
    with Registry.open(home) as registry:
        version = registry.store.resolve("churn")
        registry.store.set_run_data(version.run_id, **{RUN_KEY: None})
        source = Path(registry.store.get_run(version.run_id).spec["data"]["source"]["path"])
    moved = source.with_suffix(".moved")
    source.rename(moved)
    try:
        result = cli("monitor", "drift", "churn", "--data", str(DATA))
    finally:
        moved.rename(source)
    assert result.code == 2
    assert "no reference profile" in result.err and "churn.csv" in result.err
    assert "drift is measured against" in result.err


def test_rows_like_the_training_rows_through_the_real_server_do_not_drift(home, cli):
    app = create_app(home, loopback_config(models=("churn",)))
    with live_server(app) as server, httpx.Client(base_url=server.url, timeout=30) as client:
        features = rows().drop(columns=["customerID"])  # as a client sends them: numbers
        features["TotalCharges"] = pd.to_numeric(features["TotalCharges"], errors="coerce")
        records = json_records(features)
        for start in range(0, len(records), 25):
            response = client.post("/v1/models/churn/predict", json=records[start:start + 25])
            assert response.status_code == 200, response.text
    result = cli("monitor", "drift", "churn", "--json")
    assert result.code == 0, result.err
    report = result.json()
    assert report["drifted"] is False and report["rows"] == len(records)
    assert not [c["name"] for c in report["columns"] if c["drifted"]]
    assert report["prediction_drifted"] is False
    assert report["schema_changes"]["missing_columns"] == []


def test_a_shifted_slice_drifts_on_the_shifted_columns(home, cli):
    log_rows(home, shifted())
    result = cli("monitor", "drift", "churn:1", "--json")
    assert result.code == 0, result.err
    report = result.json()
    drifted = {c["name"] for c in report["columns"] if c["drifted"]}
    assert {"Contract", "tenure"} <= drifted
    assert "gender" not in drifted
    assert report["drifted"] is True and report["prediction_drifted"] is True
    contract = next(c for c in report["columns"] if c["name"] == "Contract")
    assert set(contract["statistics"]) >= {"psi", "js", "chi2_pvalue", "unseen"}
    tenure = next(c for c in report["columns"] if c["name"] == "tenure")
    assert set(tenure["statistics"]) >= {"psi", "ks", "ks_pvalue", "wasserstein"}
    assert len(tenure["bins"]["labels"]) == len(tenure["bins"]["current"])
    table = cli("monitor", "drift", "churn")
    assert table.code == 0 and "verdict: DRIFT" in table.out


def test_ignored_columns_are_measured_but_left_out_of_the_verdict(home, cli):
    log_rows(home, shifted())
    with Registry.open(home) as registry:
        whole = check_drift(registry, "churn", settings=home)
        drifted = [c.name for c in whole.columns if c.drifted]
        left = check_drift(registry, "churn", settings=home, thresholds={"ignore": drifted})
    assert left.score == pytest.approx(0.0)
    assert left.drifted is whole.prediction_drifted  # a drifted prediction is drift on its own
    assert [c.name for c in left.columns if c.drifted] == drifted  # still measured and shown
    assert any("monitoring.ignore" in note for note in left.notes)
    table = cli("monitor", "drift", "churn", "--ignore", "Contract", "--wide")
    assert table.code == 0, table.err
    assert "yes (ignored)" in table.out and f"/{len(whole.columns) - 1} input" in table.out


def test_a_log_read_in_small_batches_gives_the_same_report(home):
    log_rows(home, shifted())
    with Registry.open(home) as registry:
        # a sample smaller than the rows, so the bounded sample is what KS reads
        limits = {"sample_size": 100}
        whole = check_drift(registry, "churn", settings=home, thresholds=limits).to_dict()
        small = check_drift(registry, "churn", settings=home, thresholds=limits,
                            batch_rows=7).to_dict()
    assert_same(small, whole)


def assert_same(got, want, where="report"):
    """Equal, floats within rounding (sums taken in other batches differ in the last bits)."""
    if isinstance(want, dict):
        assert sorted(got) == sorted(want), where
        for key in want:
            assert_same(got[key], want[key], f"{where}.{key}")
    elif isinstance(want, list | tuple):
        assert len(got) == len(want), where
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(want, float):
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12), where
    else:
        assert got == want, where


def test_a_data_file_and_the_html_report(home, cli, tmp_path):
    path = tmp_path / "shifted.csv"
    shifted().to_csv(path, index=False)
    html = tmp_path / "drift.html"
    result = cli("monitor", "drift", "churn", "--data", str(path), "--html", str(html),
                 "--json")
    assert result.code == 0, result.err
    assert result.json()["drifted"] is True and result.json()["prediction"]
    text = html.read_text(encoding="utf-8")
    assert "<svg" in text and "Contract" in text
    assert "<script src" not in text and "http://" not in text.replace(
        "http://www.w3.org/2000/svg", "")
    same = cli("monitor", "drift", "churn", "--data", str(DATA), "--json")
    assert same.code == 0 and same.json()["drifted"] is False


def test_bad_inputs_are_clear_errors_or_counted_skips(home, cli, tmp_path):
    no_log = cli("monitor", "drift", "churn")
    assert no_log.code == 2 and "no prediction log" in no_log.err
    log_rows(home, rows().iloc[:60])
    with Registry.open(home) as registry:
        def drift(**kw):
            return check_drift(registry, "churn", settings=home, **kw)

        with pytest.raises(DataError, match=r"60 row\(s\).*min_rows"):
            drift()
        assert drift(thresholds={"min_rows": 50}).rows == 60
        with pytest.raises(DataError, match=r"0 row\(s\).*before --since"):
            drift(since="2999-01-01T00:00")
        with pytest.raises(SpecError, match="unknown drift threshold"):
            drift(thresholds={"bogus": 1})
        # rows of another version, in its own folder and misplaced in this version's folder
        log_rows(home, rows().iloc[60:90], version=2)
        log_rows(home, rows().iloc[90:100], version=2, root=tmp_path / "elsewhere")
        for path in (tmp_path / "elsewhere" / "churn" / "v2").glob("*.parquet"):
            path.rename(home.home / "predictions" / "churn" / "v1" / path.name)
        counted = drift(thresholds={"min_rows": 50})
        assert counted.skipped["other versions"] == 40 and counted.rows == 60
        # a log without a column: compared without it, and said so
        shutil.rmtree(home.home / "predictions")
        log_rows(home, rows().iloc[100:220], drop=("tenure",))
        missing = drift()
        assert missing.schema_changes["missing_columns"] == ["tenure"]
        assert "tenure" not in {c.name for c in missing.columns}
        partial = drift(data=rows().drop(columns=["tenure"]))
        assert partial.schema_changes["missing_columns"] == ["tenure"]
    other = tmp_path / "other.csv"
    pd.DataFrame({"a": [1, 2], "b": [3, 4]}).to_csv(other, index=False)
    wrong = cli("monitor", "drift", "churn", "--data", str(other))
    assert wrong.code == 2 and "none of the model's input columns" in wrong.err

"""The registry through the CLI: runs, versions, aliases, comparison, reports; SQLite and
PostgreSQL stores."""

from __future__ import annotations

from pathlib import Path

import pytest


def _spec(tmp_path: Path, data_dir: Path, learner: str) -> Path:
    spec = tmp_path / f"churn-{learner}.yaml"
    spec.write_text(f"""
name: churn
data:
  source: {{path: {data_dir / "telco_churn.csv"}}}
  target: Churn
model: {learner}
evaluation: {{bootstrap: 100, importance: false, latency: false}}
seed: 1
""")
    return spec


@pytest.mark.timeout(600)  # about twenty CLI processes, each importing the whole stack
def test_runs_versions_aliases_and_reports(cli, tmp_path, data_dir):
    first = cli("train", _spec(tmp_path, data_dir, "logistic"), "--json")
    second = cli("train", _spec(tmp_path, data_dir, "random_forest"), "--json")
    assert first.code == 0 and second.code == 0, first.err + second.err
    assert (first.json()["version"], second.json()["version"]) == (1, 2)

    runs = cli("runs", "list", "--json").json()
    assert runs["total"] == 2 and {r["status"] for r in runs["items"]} == {"finished"}
    shown = cli("runs", "show", first.json()["run_id"], "--json").json()
    assert shown["params"]["learner"] == "logistic" and shown["data_fingerprint"]
    assert shown["library_versions"]["scikit-learn"]
    filtered = cli(
        "runs",
        "list",
        "--filter",
        "test_roc_auc > 0",
        "--order-by",
        "metric.test_roc_auc DESC",
        "--json",
    ).json()
    assert filtered["total"] == 2

    assert cli("models", "promote", "churn", "1", "--alias", "production").code == 0
    assert cli("models", "promote", "churn", "2", "--alias", "production").code == 0
    model = cli("models", "show", "churn", "--json").json()
    assert model["model"]["aliases"] == {"production": 2}
    assert [(a["from_version"], a["to_version"]) for a in model["audit_log"]] == [(None, 1), (1, 2)]

    diff = cli("models", "compare", "churn", "1", "2", "--json").json()
    assert diff["params"]["learner"] == {"a": "logistic", "b": "random_forest"}

    refused = cli("models", "delete", "churn", "2")
    assert refused.code == 2 and "production" in refused.err and "promote" in refused.err
    assert cli("models", "delete", "churn", "1").code == 0
    assert [v["version"] for v in cli("models", "show", "churn", "--json").json()["versions"]] == [
        2
    ]

    assert cli("models", "tag", "churn", "team=retention", "--version", "2").code == 0
    assert cli("models", "tag", "churn", "owner=ml").code == 0
    assert cli("models", "describe", "churn", "Monthly churn scores").code == 0
    model = cli("models", "show", "churn", "--json").json()
    assert model["model"]["tags"] == {"owner": "ml"}
    assert model["model"]["description"] == "Monthly churn scores"
    assert model["versions"][0]["tags"]["team"] == "retention"

    report = cli("report", second.json()["run_id"], "--json").json()
    html = Path(report["html"]).read_text()
    assert "<html" in html.lower() and "http://" not in html and "https://" not in html


def test_paging_and_unknown_names(cli, tmp_path, data_dir):
    spec = _spec(tmp_path, data_dir, "logistic")
    for _ in range(3):
        assert cli("train", spec, "--json").code == 0
    page = cli("runs", "list", "--limit", "2", "--offset", "2", "--json").json()
    assert page["total"] == 3 and len(page["items"]) == 1
    missing = cli("models", "show", "chrun")
    assert missing.code == 2 and "churn" in missing.err
    assert cli("runs", "show", "0" * 32).code == 2


@pytest.mark.postgres
def test_postgresql_store_through_db_flag(cli, tmp_path, data_dir, fresh_pg_url):
    refused = cli("--db", fresh_pg_url, "models", "list")
    assert refused.code == 2 and "modelyard db upgrade" in refused.err
    upgraded = cli("--db", fresh_pg_url, "db", "upgrade", "--json")
    assert upgraded.code == 0, upgraded.err
    trained = cli("--db", fresh_pg_url, "train", _spec(tmp_path, data_dir, "logistic"), "--json")
    assert trained.code == 0, trained.err
    listed = cli("--db", fresh_pg_url, "models", "list", "--json").json()
    assert [m["name"] for m in listed["items"]] == ["churn"]

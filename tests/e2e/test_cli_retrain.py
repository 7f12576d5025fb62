"""`modelyard retrain` through the real CLI on the Telco slice: a challenger is always registered
(its parent is the champion), the alias moves only when the challenger wins by the margin, the
decision and its evidence show in `models show`, the new_data trigger follows the file, a bad cron
expression is a clear error; SQLite and PostgreSQL stores."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.e2e.retrain_specs import churn_spec, telco_copy


@pytest.fixture
def telco(tmp_path, data_dir) -> Path:
    return telco_copy(tmp_path, data_dir)


def _train_and_promote(cli, spec: Path, *db: str) -> None:
    trained = cli(*db, "train", spec, "--json")
    assert trained.code == 0, trained.err
    assert cli(*db, "models", "promote", trained.json()["model_name"], "1").code == 0


@pytest.mark.timeout(300)
def test_a_challenger_short_of_the_margin_is_registered_but_not_promoted(cli, tmp_path, telco):
    _train_and_promote(cli, churn_spec(tmp_path, telco, "churn", "{margin: 0.5}"))
    done = cli("retrain", "churn", "--force", "--json")
    assert done.code == 0, done.err
    outcome = done.json()["outcome"]
    assert outcome["challenger"] == 2 and not outcome["promoted"]
    assert "not above the margin" in outcome["reason"]
    shown = cli("models", "show", "churn", "--json").json()
    assert shown["model"]["aliases"] == {"production": 1}
    v2 = next(v for v in shown["versions"] if v["version"] == 2)
    assert v2["parent_version"] == 1
    decision = shown["retraining"][0]
    evidence = decision["evidence"]
    assert (decision["champion_version"], decision["challenger_version"]) == (1, 2)
    assert decision["trigger"] == "force" and not decision["promoted"]
    assert evidence["metric"] == "roc_auc" and evidence["margin"] == pytest.approx(0.5)
    low, high = evidence["interval"]
    assert low <= evidence["difference"] <= high
    assert evidence["rows_used"]["test"] == evidence["rows"] > 0
    table = cli("models", "show", "churn")
    assert "retraining" in table.out and "kept" in table.out


@pytest.mark.timeout(300)
def test_a_negative_margin_promotes_the_challenger(cli, tmp_path, telco):
    _train_and_promote(cli, churn_spec(tmp_path, telco, "churn", "{margin: -1}"))
    done = cli("retrain", "churn", "--force", "--json")
    assert done.code == 0, done.err
    assert done.json()["outcome"]["promoted"]
    shown = cli("models", "show", "churn", "--json").json()
    assert shown["model"]["aliases"] == {"production": 2}
    assert shown["audit_log"][-1]["actor"].startswith("retrain:")


@pytest.mark.timeout(300)
def test_new_data_fires_when_the_file_changes_and_only_then(cli, tmp_path, telco):
    _train_and_promote(cli, churn_spec(tmp_path, telco, "churn",
                                  "{margin: 0.5, triggers: {new_data: true}}"))
    idle = cli("retrain", "churn", "--json")
    assert idle.code == 0, idle.err
    assert not idle.json()["retrained"]
    assert idle.json()["checks"][0] == {"trigger": "new_data", "fired": False,
                                        "detail": "the source has the rows v1 was trained on"}
    lines = telco.read_text().splitlines(keepends=True)
    telco.write_text("".join(lines[:-40]))  # the source loses its last 40 rows
    fired = cli("retrain", "churn", "--json")
    assert fired.code == 0, fired.err
    assert fired.json()["retrained"] and fired.json()["outcome"]["trigger"] == "new_data"
    again = cli("retrain", "churn", "--json").json()
    assert not again["retrained"]  # a retrain on these rows ran already
    assert "ran already" in again["checks"][0]["detail"]


def test_a_bad_cron_expression_is_a_clear_error(cli, tmp_path, telco):
    spec = churn_spec(tmp_path, telco, "churn", "{triggers: {schedule: '61 * * * *'}}")
    done = cli("train", spec)
    assert done.code == 2
    assert "'61 * * * *'" in done.err and "retrain.triggers.schedule" in done.err
    assert "five fields" in done.err


@pytest.mark.postgres
@pytest.mark.timeout(300)
def test_retrain_on_a_postgresql_store(cli, tmp_path, telco, fresh_pg_url):
    db = ("--db", fresh_pg_url)
    assert cli(*db, "db", "upgrade").code == 0
    _train_and_promote(cli, churn_spec(tmp_path, telco, "churn", "{margin: -1}"), *db)
    done = cli(*db, "retrain", "churn", "--force", "--json")
    assert done.code == 0, done.err
    shown = cli(*db, "models", "show", "churn", "--json").json()
    assert shown["model"]["aliases"] == {"production": 2}
    assert shown["retraining"][0]["promoted"]

"""search.deploy end to end on the committed telco slice, through `pipeline.train`: the default
registers one model per ensemble member refit on every row the search saw, 'bagged' keeps the
fold models, both variants are measured in the result and the report, and a bad value is a clear
spec error."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import SpecError
from modelyard.model import EnsembleBundle
from modelyard.pipeline import train
from modelyard.registry.registry import Registry
from modelyard.search.deploy import refit_seeds
from modelyard.settings import load_settings
from modelyard.spec import validate_spec

QUICK = {"importance": False, "latency": False, "bootstrap": 20}
FOLDS = 3


def _spec(data_dir, **search) -> dict:
    return {
        "data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
        "search": {
            "max_trials": 4,
            "folds": FOLDS,
            "parallel": 1,
            "learners": ["lightgbm", "logistic"],
            **search,
        },
        "evaluation": QUICK,
        "seed": 5,
    }


def _members(model) -> list:
    return list(model.members) if isinstance(model, EnsembleBundle) else [model]


def _weighted(result) -> int:
    return sum(1 for r in result.leaderboard.to_records() if (r.get("weight") or 0) > 0)


@pytest.fixture(scope="module")
def runs(tmp_path_factory, data_dir):
    """The same search registered twice: deploy left at its default, then 'bagged'."""
    settings = load_settings(tmp_path_factory.mktemp("home"))
    refit = train(validate_spec(_spec(data_dir)), settings)
    bagged = train(validate_spec(_spec(data_dir, deploy="bagged")), settings)
    return settings, refit, bagged


def _refit_models(result) -> int:
    """Models the refit of the weighted trials holds: one per member, or ``refit_seeds``."""
    rows = result.deployment.variant("refit").model.members[0].preprocessor.n_fit_rows_
    return sum(refit_seeds(r["learner"], r["params"], rows)
               for r in result.leaderboard.to_records() if (r.get("weight") or 0) > 0)


def test_the_default_registers_one_refit_model_per_member(runs):
    settings, result, _ = runs
    deployment = result.deployment
    assert deployment.deploy == "refit" and deployment.registered == "refit"
    n_members = _weighted(result)
    assert deployment.refit_members == n_members and deployment.bagged_members == 0
    members = _members(result.model)
    n_models = _refit_models(result)  # one fit per member, or several seeds: not one per fold
    assert n_members <= len(members) == n_models
    fitted_rows = {m.preprocessor.n_fit_rows_ for m in members}
    with Registry.open(settings) as registry:
        loaded = registry.load(f"{result.model_name}:{result.version}").model
    rows = json.loads(Path(result.report.json).read_text())["data"]["rows"]
    assert fitted_rows == {rows["train"] + rows["validation"]}, (fitted_rows, rows)
    assert len(_members(loaded)) == n_models
    refit, bagged = deployment.variant("refit"), deployment.variant("bagged")
    assert refit.registered and not bagged.registered
    assert refit.models == n_models and bagged.models == FOLDS * n_members
    # the refit has no out-of-fold rows: the bagged score is its estimate
    assert refit.score_estimated and refit.score == pytest.approx(bagged.score, rel=1e-12)
    for variant in (refit, bagged):
        assert variant.latency_rows >= 5 and 0 < variant.latency_p50_ms <= variant.latency_p99_ms
        assert variant.size_bytes > 0
    # (sizes are not compared: a refit averaging seeds can be the larger on a small table)


def test_refit_predictions_are_finite_and_the_test_score_sane(runs, data_dir):
    _, result, _ = runs
    test = result.metrics.to_dict()["test"]
    assert test["roc_auc"] > 0.75, test  # the bagged telco searches score about 0.83
    rows = pd.read_csv(data_dir / "telco_churn.csv").drop(columns=["Churn"]).head(40)
    proba = result.model.predict_proba(rows)
    assert np.isfinite(np.asarray(proba, dtype=float)).all()
    record = rows.iloc[0].to_dict()
    single = result.model.predict_row(record)
    assert single["prediction"] in set(result.model.classes)


def test_the_result_and_the_report_show_both_variants(runs):
    _, result, _ = runs
    plain = json.loads(json.dumps(result.to_dict()))
    assert [v["name"] for v in plain["deployment"]["variants"]] == ["refit", "bagged"]
    report = json.loads(Path(result.report.json).read_text())
    assert report["deployment"]["registered"] == "refit"
    assert report["deployment"]["variants"] == plain["deployment"]["variants"]
    assert report["model"]["params"]["search_deploy"] == "refit"
    html = Path(result.report.html).read_text()
    table = html.split('id="deployment-table"')[1].split("</table>")[0]
    assert table.count("<tr>") == 3 and "estimate: the bagged score" in table  # head + 2 rows
    assert any(" refit on all " in n for n in result.notes), result.notes


def test_deploy_bagged_keeps_the_fold_models(runs):
    _, refit, result = runs
    deployment = result.deployment
    assert deployment.deploy == "bagged" and deployment.registered == "bagged"
    assert [v.name for v in deployment.variants] == ["bagged"]
    n_members = _weighted(result)
    assert len(_members(result.model)) == FOLDS * n_members
    fold_rows = {m.preprocessor.n_fit_rows_ for m in _members(result.model)}
    refit_rows = {m.preprocessor.n_fit_rows_ for m in _members(refit.model)}
    assert max(fold_rows) < min(refit_rows)
    assert not any(" refit on all " in n for n in result.notes)


@pytest.mark.parametrize("bad", ["fast", "", "REFIT", 1])
def test_a_bad_deploy_value_is_a_clear_spec_error(data_dir, bad):
    with pytest.raises(SpecError) as caught:
        validate_spec(_spec(data_dir, deploy=bad))
    assert "search.deploy" in str(caught.value) and "'refit' or 'bagged'" in str(caught.value)

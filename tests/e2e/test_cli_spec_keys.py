"""Every key of the spec is reachable from the command line.

The README promises that a spec file is optional: each key can be set by its own flag where one
exists, and by ``--set KEY.PATH=VALUE`` always. This walks the spec model, so a key added later
without a way to set it from the CLI fails here until it is listed below (with a value to try).
``train --dry-run --json`` prints the validated spec without reading data, so each check is fast.
"""

from __future__ import annotations

import json
from typing import Any, get_args

import pytest
from pydantic import BaseModel

from modelyard.cli import main
from modelyard.spec import Spec

DATA = "tests/data/telco_churn.csv"

FORECAST = ("task=forecast", "forecast.time_column=tenure", "forecast.horizon=3")
# key -> (the value it should end up with, extra --set items its constraints need)
VALUES: dict[str, tuple[Any, tuple[str, ...]]] = {
    "name": ("churn-x", ()),
    "data.source.format": ("tsv", ()),
    "data.source.header": (False, ()),
    "data.source.columns": (["a", "b"], ()),
    "data.source.separator": (";", ()),
    "data.source.encoding": ("latin-1", ()),
    "data.source.missing_values": (["?", "NA"], ()),
    "data.source.skip_initial_space": (True, ()),
    "data.source.skip_rows": (2, ()),
    "data.source.quoting": ("none", ()),
    "data.source.comment": ("#", ()),
    "data.source.on_bad_lines": ("skip", ()),
    "data.source.path": ("other.csv", ()),
    "data.source.url": ("sqlite:///x.db", ("data.source.table=t", "data.source.path=null")),
    "data.source.table": ("customers", ("data.source.url=sqlite:///x.db",
                                        "data.source.path=null")),
    "data.source.query": ("select 1", ("data.source.format=duckdb",)),
    "data.target": ("tenure", ()),
    "data.drop": (["gender"], ()),
    "data.types": ({"SeniorCitizen": "categorical"}, ()),
    "data.target_map": ({"Yes": "churned"}, ()),
    "task": ("multiclass", ()),
    "forecast.time_column": ("tenure", ("task=forecast", "forecast.horizon=3")),
    "forecast.horizon": (3, ("task=forecast", "forecast.time_column=tenure")),
    "forecast.series_column": ("customerID", FORECAST),
    "forecast.frequency": ("D", FORECAST),
    "forecast.date_format": ("D%d/%m/%y", FORECAST),  # YAML reads a leading % as a directive
    "forecast.season_length": (7, FORECAST),
    "forecast.known_covariates": (["MonthlyCharges"], FORECAST),
    "forecast.static_covariates": (["gender"], FORECAST),
    "forecast.fill_gaps": ("zero", FORECAST),
    "forecast.backtest_windows": (2, FORECAST),
    "forecast.interval": (0.9, FORECAST),
    "forecast.metric": ("smape", FORECAST),
    "split.method": ("random", ()),
    "split.train": (0.6, ("split.validation=0.25",)),
    "split.validation": (0.2, ("split.train=0.65",)),
    "split.test": (0.2, ("split.train=0.65",)),
    "split.group_column": ("customerID", ()),
    "split.time_column": ("tenure", ()),
    "split.column": ("part", ()),
    "split.folds": (4, ()),
    "model.learner": ("xgboost", ()),
    "model.params": ({"n_estimators": 50, "max_depth": 4}, ()),
    "model.threshold": ("none", ()),
    "search.time_budget": (30.0, ("model=null",)),
    "search.metric": ("log_loss", ("model=null", "search.max_trials=3")),
    "search.learners": (["lightgbm", "logistic"], ("model=null", "search.max_trials=3")),
    "search.max_trials": (3, ("model=null",)),
    "search.folds": (3, ("model=null", "search.max_trials=3")),
    "search.parallel": (2, ("model=null", "search.max_trials=3")),
    "search.ensemble": (False, ("model=null", "search.max_trials=3")),
    "search.deploy": ("bagged", ("model=null", "search.max_trials=3")),
    "search.max_latency_ms": (5.0, ("model=null", "search.max_trials=3")),
    "evaluation.metric": ("f1", ()),
    "evaluation.bootstrap": (200, ()),
    "evaluation.overfit_threshold": (0.1, ()),
    "evaluation.importance": (False, ()),
    "evaluation.latency": (False, ()),
    "costs.cpu_hour": (0.12, ()),
    "costs.prediction_cpus": (2, ()),
    "predict.unseen_categories": ("error", ()),
    "monitoring.psi": (0.25, ()),
    "monitoring.ks_pvalue": (0.05, ()),
    "monitoring.ks_statistic": (0.2, ()),
    "monitoring.wasserstein": (0.5, ()),
    "monitoring.chi2_pvalue": (0.05, ()),
    "monitoring.js": (0.2, ()),
    "monitoring.null_rate": (0.2, ()),
    "monitoring.drift_share": (0.5, ()),
    "monitoring.ignore": (["tenure"], ()),
    "monitoring.min_rows": (50, ()),
    "monitoring.sample_size": (5000, ()),
    "retrain.alias": ("staging", ()),
    "retrain.margin": (0.02, ()),
    "retrain.test.method": ("paired_bootstrap", ()),
    "retrain.test.confidence": (0.9, ()),
    "retrain.test.resamples": (500, ()),
    "retrain.triggers.schedule": ("0 3 * * 1", ()),
    "retrain.triggers.new_data": (True, ()),
    "retrain.triggers.drift.since": ("14d", ()),
    "retrain.triggers.drift.metric": ("f1", ("retrain.triggers.drift.below=0.7",)),
    "retrain.triggers.drift.below": (0.7, ("retrain.triggers.drift.metric=f1",)),
    "retrain.triggers.drift.above": (50.0, ("retrain.triggers.drift.metric=rmse",)),
    "retrain.triggers.drift.window": ("12h", ()),
    "retrain.webhook": ("http://127.0.0.1:9/hook", ()),
    "retrain.lease_seconds": (120.0, ()),
    "seed": (7, ()),
}

# keys that also have a flag of their own: key -> the flag's arguments
FLAGS: dict[str, tuple[str, ...]] = {
    "name": ("--name", "churn-x"),
    "data.source.format": ("--format", "tsv"),
    "data.source.header": ("--no-header",),
    "data.source.columns": ("--columns", "a,b"),
    "data.source.separator": ("--sep", ";"),
    "data.source.encoding": ("--encoding", "latin-1"),
    "data.source.missing_values": ("--missing", "?", "--missing", "NA"),
    "data.source.skip_initial_space": ("--skip-initial-space",),
    "data.source.skip_rows": ("--skip-rows", "2"),
    "data.source.quoting": ("--quoting", "none"),
    "data.source.on_bad_lines": ("--on-bad-lines", "skip"),
    "data.target": ("--target", "tenure"),
    "data.drop": ("--drop", "gender"),
    "data.types": ("--type", "SeniorCitizen=categorical"),
    "data.target_map": ("--target-map", "Yes=churned"),
    "task": ("--task", "multiclass"),
    "split.method": ("--split", "random"),
    "split.group_column": ("--group-column", "customerID"),
    "split.time_column": ("--time-column", "tenure"),
    "split.column": ("--split-column", "part"),
    "split.folds": ("--folds", "4"),
    "model.learner": ("--model", "xgboost"),
    "model.params": ("--param", "n_estimators=50", "--param", "max_depth=4"),
    "search.time_budget": ("--time-budget", "30"),
    "search.metric": ("--metric", "log_loss", "--max-trials", "3"),
    "search.learners": ("--learners", "lightgbm,logistic", "--max-trials", "3"),
    "search.max_trials": ("--max-trials", "3"),
    "search.parallel": ("--parallel", "2", "--max-trials", "3"),
    "search.deploy": ("--deploy", "bagged", "--max-trials", "3"),
    "search.max_latency_ms": ("--max-latency-ms", "5", "--max-trials", "3"),
    "seed": ("--seed", "7"),
}


def spec_keys(model: type[BaseModel] = Spec, prefix: str = "") -> list[str]:
    """Every leaf key of the spec, as a dotted path."""
    keys = []
    for name, field in model.model_fields.items():
        nested = [a for a in (get_args(field.annotation) or (field.annotation,))
                  if isinstance(a, type) and issubclass(a, BaseModel)]
        keys += spec_keys(nested[0], f"{prefix}{name}.") if nested else [prefix + name]
    return keys


def _dry_run(capsys, *args: str) -> dict[str, Any]:
    code = main(["train", DATA, "--target", "Churn", *args, "--dry-run", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def _at(spec: dict[str, Any], key: str) -> Any:
    for part in key.split("."):
        spec = spec[part]
    return spec


def _same(got: Any, want: Any) -> bool:
    if isinstance(want, float):
        return got == pytest.approx(want)
    return got == want


def test_every_spec_key_has_a_value_to_try():
    assert sorted(VALUES) == sorted(spec_keys()), "list a new spec key in VALUES (and FLAGS)"


@pytest.mark.parametrize("key", spec_keys())
def test_set_reaches_every_key(capsys, key):
    want, needs = VALUES[key]
    text = json.dumps(want) if not isinstance(want, str) else want
    sets = [item for need in needs for item in ("--set", need)]
    spec = _dry_run(capsys, *sets, "--set", f"{key}={text}")
    assert _same(_at(spec, key), want), (key, _at(spec, key))


@pytest.mark.parametrize("key", sorted(FLAGS))
def test_dedicated_flags_reach_their_key(capsys, key):
    want, needs = VALUES[key]
    sets = [item for need in needs if not need.startswith("search.")
            for item in ("--set", need)]
    spec = _dry_run(capsys, *sets, *FLAGS[key])
    assert _same(_at(spec, key), want), (key, _at(spec, key))


def test_a_set_that_names_no_key_lists_the_valid_ones(capsys):
    code = main(["train", DATA, "--target", "Churn", "--set", "model.treshold=none", "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and "unknown key 'model.treshold'" in err and "threshold" in err


@pytest.mark.parametrize("bad", ["model.threshold", "=3", "model..threshold=f1"])
def test_a_malformed_set_says_how_to_write_it(capsys, bad):
    code = main(["train", DATA, "--target", "Churn", "--set", bad, "--dry-run"])
    err = capsys.readouterr().err
    assert code == 2 and "KEY.PATH=VALUE" in err

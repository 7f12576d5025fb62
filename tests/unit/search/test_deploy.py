"""search.deploy's refit on real slices: what a member's folds found is what its refit uses, a
refit the budget cannot afford leaves the member bagged (and says so), and the holdout path
honours the key."""

from __future__ import annotations

import numpy as np
import pytest

from modelyard.errors import SpecError
from modelyard.evaluation.metrics import get_metric
from modelyard.model import EnsembleBundle
from modelyard.search import deploy, search, trial
from modelyard.search.bagging import ValidationPlan, plan_validation
from modelyard.search.budget import Budget
from modelyard.search.deploy import (
    REFIT_SEEDS,
    SEED_STEP,
    SEEDED_ROWS,
    refit_member,
    refit_params,
    refit_seconds,
    refit_seeds,
)
from modelyard.search.final import finalize
from modelyard.search.trial import TrialData, TrialSpec, run_trial


def _data(table, folds=3, seed=2):
    plan = plan_validation(table.y, table.task, folds=folds, seed=seed)
    n_classes = None if table.labels is None else len(table.labels)
    return plan, TrialData(
        table.frame,
        table.y,
        table.schema,
        table.task,
        table.labels,
        plan.folds,
        "roc_auc" if table.task == "binary" else "rmse",
        seed,
        n_classes=n_classes,
    )


def test_a_network_refits_for_the_mean_of_its_folds_best_epochs(telco):
    plan, data = _data(telco)
    params = {"hidden_sizes": [16], "epochs": 40, "patience": 2, "lr": 0.01}
    result = run_trial(data, TrialSpec(0, "mlp", {}, params, "portfolio"), keep_models=True)
    best = [m.learner.best_epoch_ for m in result.models]
    assert all(isinstance(b, int) and 1 <= b <= 40 for b in best), best
    refit, taken = refit_params(result, result.models)
    assert refit["epochs"] == max(1, round(float(np.mean(best))))
    assert refit["patience"] is None and "best epoch" in taken
    models, note = refit_member(
        data, result, result.models, Budget(None), n_folds=3, fit_rows=plan.fit_rows
    )
    assert models is not None and len(models) == REFIT_SEEDS, note  # a network: seeds averaged
    for model in models:
        assert model.learner.epochs == refit["epochs"], note
        assert len(model.learner.history_) == refit["epochs"]  # no early stop: every epoch ran
    assert f"{REFIT_SEEDS} seeds averaged" in note


def test_a_booster_refits_for_the_mean_of_its_folds_rounds(housing):
    plan, data = _data(housing)
    result = run_trial(
        data, TrialSpec(0, "lightgbm", {}, {"n_estimators": 40}, "portfolio"), keep_models=True
    )
    rounds = [m.learner.best_iteration_ for m in result.models]
    for model, stopped in zip(result.models, (40, 25, 31), strict=True):
        model.learner.best_iteration_ = stopped  # as folds cut short by their time share
    refit, taken = refit_params(result, result.models)
    assert rounds == [40, 40, 40] and refit["n_estimators"] == 32 and "mean" in taken
    models, note = refit_member(
        data, result, result.models, Budget(None), n_folds=3, fit_rows=plan.fit_rows
    )
    assert len(models) == 1 and "seeds" not in note  # no sampling: one fit is the same as three
    model = models[0]
    assert model.learner.n_trees_ == 32 and model.preprocessor.n_fit_rows_ == len(housing.y)


def test_a_sampling_booster_refits_with_several_seeds_as_the_budget_affords(housing, monkeypatch):
    plan, data = _data(housing)
    params = {"n_estimators": 30, "subsample": 0.7, "subsample_freq": 1}
    result = run_trial(data, TrialSpec(0, "lightgbm", {}, params, "portfolio"), keep_models=True)
    assert refit_seeds("lightgbm", params, len(housing.y)) == REFIT_SEEDS
    assert refit_seeds("lightgbm", params, SEEDED_ROWS) == 1  # a large table: one fit
    assert refit_seeds("lightgbm", {"n_estimators": 30}, 100) == 1  # no sampling: one fit
    models, note = refit_member(
        data, result, result.models, Budget(None), n_folds=3, fit_rows=plan.fit_rows
    )
    assert len(models) == REFIT_SEEDS and f"{REFIT_SEEDS} seeds averaged" in note
    assert [m.learner.seed for m in models] == [data.seed + i * SEED_STEP for i in range(3)]
    rows = housing.frame.head(50)
    first, second = (m.learner.predict(m.preprocessor.transform(rows)) for m in models[:2])
    assert not np.allclose(first, second)  # the seeds made different models
    # a budget with time for two fits, each taking the estimated time on the budget's clock:
    # the third seed is not started, and the note says so
    clock = [0.0]
    budget = Budget(100.0, clock=lambda: clock[0])
    estimate = refit_seconds(result, 3, plan.fit_rows, len(housing.y))
    clock[0] = 100.0 - estimate * 2.5

    def timed_fit(*args, **kwargs):
        model = trial.fit_fold(*args, **kwargs)
        clock[0] += estimate
        return model

    monkeypatch.setattr(deploy, "fit_fold", timed_fit)
    fitted, note = refit_member(
        data, result, result.models, budget, n_folds=3, fit_rows=plan.fit_rows
    )
    assert fitted is not None and len(fitted) == 2
    assert f"the budget allowed 2 of {REFIT_SEEDS}" in note


def test_a_member_the_budget_cannot_refit_stays_bagged(housing, tmp_path):
    plan, data = _data(housing)
    specs = [("lightgbm", {"n_estimators": 60, "num_leaves": 15}), ("linear", {"alpha": 1.0})]
    results = [
        run_trial(data, TrialSpec(i, name, {}, params, "portfolio"), save_dir=tmp_path)
        for i, (name, params) in enumerate(specs)
    ]
    spent = Budget(1.0, clock=lambda: 0.0)
    spent.charge(5.0)  # nothing left: the saved fold models load, no refit fits
    final = finalize(
        results,
        data,
        plan,
        spent,
        metric=get_metric("rmse", "regression"),
        ensemble=True,
        deploy="refit",
    )
    deployment = final.deployment
    assert deployment.registered == "bagged" and deployment.refit_members == 0
    assert [v.name for v in deployment.variants] == ["bagged"]
    assert any("stays bagged" in n for n in final.notes), final.notes
    assert any("no member could be refit" in n for n in final.notes)
    members = final.model.members if isinstance(final.model, EnsembleBundle) else [final.model]
    assert len(members) == 3 * len(final.weights)


def test_the_holdout_path_refits_or_keeps_its_holdout_model(housing):
    _, data = _data(housing)
    n = len(housing.y)
    held = np.arange(n) % 4 == 0
    plan = ValidationPlan("holdout", ((np.flatnonzero(~held), np.flatnonzero(held)),))
    data = TrialData(data.frame, data.y, data.schema, "regression", None, plan.folds, "rmse", 2)
    result = run_trial(
        data, TrialSpec(0, "lightgbm", {}, {"n_estimators": 30}, "portfolio"), keep_models=True
    )
    rmse = get_metric("rmse", "regression")
    refit = finalize([result], data, plan, Budget(None), metric=rmse, ensemble=True)
    kept = finalize([result], data, plan, Budget(None), metric=rmse, ensemble=True, deploy="bagged")
    assert refit.deployment.registered == "refit" and refit.model.preprocessor.n_fit_rows_ == n
    assert kept.deployment.registered == "holdout"
    assert kept.model.preprocessor.n_fit_rows_ == int((~held).sum())
    assert kept.deployment.variants[0].score_estimated is False


def test_a_bad_deploy_value_is_refused_before_the_search_runs(telco):
    with pytest.raises(SpecError, match="search.deploy: expected one of refit, bagged"):
        search(
            telco.frame,
            telco.y,
            schema=telco.schema,
            task="binary",
            max_trials=1,
            labels=telco.labels,
            deploy="fast",
        )

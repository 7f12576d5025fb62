"""Validation plans (k-fold or holdout) and the final models of a candidate."""

from __future__ import annotations

import numpy as np
import pytest

from modelyard.errors import DataError, IntegrityError
from modelyard.evaluation.metrics import get_metric
from modelyard.search.bagging import (
    HOLDOUT_MAX_ROWS,
    KFOLD_MAX_ROWS,
    ValidationPlan,
    final_models,
    plan_validation,
)
from modelyard.search.budget import Budget
from modelyard.search.final import finalize
from modelyard.search.runner import keep_best_models
from modelyard.search.trial import TrialData, TrialSpec, drop_saved, run_trial


def test_kfold_holds_every_row_out_once_and_stratifies():
    y = np.array([0] * 80 + [1] * 20)
    plan = plan_validation(y, "binary", folds=None, seed=0)
    assert plan.kind == "kfold" and len(plan.folds) == 5
    held = np.concatenate([h for _, h in plan.folds])
    assert sorted(held) == list(range(100))
    assert all(y[h].sum() == 4 for _, h in plan.folds)  # 20 positives over 5 folds
    assert all(not set(f) & set(h) for f, h in plan.folds)
    assert plan.fit_rows == 80


def test_large_data_gets_a_holdout_unless_folds_are_asked_for():
    y = np.arange(KFOLD_MAX_ROWS + 10, dtype=float)
    plan = plan_validation(y, "regression", folds=None, seed=0)
    assert plan.kind == "holdout" and len(plan.folds) == 1 and plan.notes
    fit, held = plan.folds[0]
    assert len(held) == min(round(0.2 * len(y)), HOLDOUT_MAX_ROWS)
    assert len(fit) + len(held) == len(y)
    assert plan_validation(y, "regression", folds=3, seed=0).kind == "kfold"


def test_too_few_rows_for_the_folds_is_a_data_error():
    with pytest.raises(DataError, match="at least 10 rows"):
        plan_validation(np.arange(6, dtype=float), "regression", folds=5, seed=0)


def _data(table, plan):
    return TrialData(table.frame, table.y, table.schema, table.task, table.labels, plan.folds,
                     "rmse", seed=1)


def test_refitted_fold_models_equal_the_kept_ones(housing):
    plan = plan_validation(housing.y, "regression", folds=3, seed=1)
    data = _data(housing, plan)
    spec = TrialSpec(0, "lightgbm", {}, {"n_estimators": 30}, "portfolio")
    kept = run_trial(data, spec, keep_models=True)
    models, how = final_models(data, plan, kept.without_models(), Budget(None))
    assert how == "fold models, refitted" and len(models) == 3
    for old, new in zip(kept.models, models, strict=True):
        # exact: same computation twice (reproducibility): the same fold fitted again
        assert np.array_equal(old.predict(housing.frame), new.predict(housing.frame))


def test_fold_models_saved_by_a_worker_are_loaded_not_refitted(housing, tmp_path):
    plan = plan_validation(housing.y, "regression", folds=3, seed=1)
    data = _data(housing, plan)
    spec = TrialSpec(7, "lightgbm", {}, {"n_estimators": 30}, "portfolio")
    kept = run_trial(data, spec, keep_models=True)
    saved = run_trial(data, spec, save_dir=tmp_path)  # as a worker runs it: saved fold by fold
    assert saved.models is None and saved.saved and saved.save_seconds > 0
    # exact: same computation twice (reproducibility): saving the models changes no fit
    assert saved.saved_bytes > 0 and saved.score == kept.score
    models, how = final_models(data, plan, saved, Budget(None))
    assert how == "fold models, saved by the worker" and len(models) == 3
    for old, new in zip(kept.models, models, strict=True):
        # exact: same computation twice (reproducibility), the second from the saved models
        assert np.array_equal(old.predict(housing.frame), new.predict(housing.frame))
    model_file = next(p for p in (tmp_path / "trial-7" / "fold-0").rglob("*")
                      if p.is_file() and p.name != "manifest.json" and p.suffix != ".json")
    model_file.write_bytes(model_file.read_bytes() + b"x")  # a changed file fails its hash
    with pytest.raises(IntegrityError):
        final_models(data, plan, saved, Budget(None))
    drop_saved(saved)
    assert saved.saved is None and not (tmp_path / "trial-7").exists()


def test_saved_models_beyond_the_best_trials_or_the_disk_allowance_are_deleted(housing,
                                                                                tmp_path):
    plan = plan_validation(housing.y, "regression", folds=3, seed=1)
    data = _data(housing, plan)
    ranked = []  # taken as the ranking, best first
    for number, trees in enumerate((60, 40, 30, 20)):
        spec = TrialSpec(number, "lightgbm", {}, {"n_estimators": trees}, "portfolio")
        ranked.append(run_trial(data, spec, save_dir=tmp_path))
    sizes = [r.saved_bytes for r in ranked]
    assert all(size > 0 for size in sizes)
    # room for the best two on disk; the third would pass the allowance, the fourth is ranked out
    keep_best_models(ranked, keep=3, max_bytes=sizes[0] + sizes[1])
    assert [r.saved is not None for r in ranked] == [True, True, False, False]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial-0", "trial-1"]
    assert ranked[2].saved_bytes == 0
    models, how = final_models(data, plan, ranked[2], Budget(None))  # chosen anyway: refitted
    assert how == "fold models, refitted" and len(models) == 3
    keep_best_models(ranked[:1], keep=3, max_bytes=1)  # the best trial's are always kept
    assert ranked[0].saved is not None


def test_holdout_candidates_are_refitted_on_every_row_when_time_allows(housing):
    n = len(housing.y)
    rows = np.random.default_rng(0).permutation(n)
    plan = ValidationPlan("holdout", ((np.sort(rows[100:]), np.sort(rows[:100])),))
    data = _data(housing, plan)
    result = run_trial(data, TrialSpec(0, "linear", {}, {}, "portfolio"), keep_models=True)
    assert np.isnan(result.oof).sum() == n - 100  # only the held-out rows are scored
    rmse = get_metric("rmse", "regression")
    final = finalize([result], data, plan, Budget(None), metric=rmse, ensemble=True)
    assert final.model.preprocessor.n_fit_rows_ == n
    assert final.weights == pytest.approx({0: 1.0}, abs=1e-12)
    clock = _Clock()
    spent = Budget(1.0, clock=clock)
    clock.now = 5.0  # the budget is spent: no time to refit
    models, how = final_models(data, plan, result, spent)
    assert how.startswith("holdout model") and models[0].preprocessor.n_fit_rows_ == n - 100


class _Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now

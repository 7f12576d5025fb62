"""One trial: preprocessing fitted inside each fold, out-of-fold predictions, failures recorded."""

from __future__ import annotations

import numpy as np
import pytest
from search_plugins import AlwaysFails, RunsOutOfMemory, SlowToPredict

from modelyard.evaluation.metrics import get_metric
from modelyard.features import rows_digest
from modelyard.learners import base
from modelyard.search.bagging import plan_validation
from modelyard.search.pruning import FoldPruner, PruningHistory
from modelyard.search.scoring import score_predictions
from modelyard.search.trial import TrialData, TrialSpec, run_trial


def _data(table, folds=3, metric="roc_auc"):
    plan = plan_validation(table.y, table.task, folds=folds, seed=3)
    return TrialData(table.frame, table.y, table.schema, table.task, table.labels, plan.folds,
                     metric, seed=3, n_classes=len(table.labels) if table.labels else None)


def _spec(learner, **params):
    return TrialSpec(0, learner, dict(params), dict(params), "portfolio")


def test_a_trial_predicts_every_row_out_of_fold_with_preprocessing_fitted_per_fold(telco):
    data = _data(telco)
    result = run_trial(data, _spec("lightgbm", n_estimators=40), keep_models=True)
    assert result.status == "ok" and result.note is None
    assert result.oof.shape == (len(telco.y), 2) and not np.isnan(result.oof).any()
    auc = get_metric("roc_auc", "binary")
    assert result.score == pytest.approx(score_predictions(auc, "binary", telco.y, result.oof))
    assert len(result.fold_scores) == 3 and result.fit_seconds > 0
    assert result.predict_seconds_per_1k > 0
    for (fit_rows, held_rows), model in zip(data.folds, result.models, strict=True):
        pre = model.preprocessor
        assert pre.n_fit_rows_ == len(fit_rows)  # fitted on the fold's fit rows only
        assert pre.fit_rows_digest_ == rows_digest(telco.frame.index[fit_rows])
        assert not set(fit_rows) & set(held_rows)


def test_regression_out_of_fold_values(housing):
    result = run_trial(_data(housing, metric="rmse"), _spec("linear", alpha=1.0))
    assert result.status == "ok" and result.oof.shape == (len(housing.y),)
    assert 0 < result.score < housing.y.std()
    assert result.models is None  # not asked to keep them


def test_an_exception_in_fit_is_recorded_not_raised(telco, monkeypatch):
    monkeypatch.setitem(base._REGISTRY, AlwaysFails.name, AlwaysFails)
    result = run_trial(_data(telco), _spec("always_fails"))
    assert result.status == "failed" and result.oof is None and result.score is None
    assert "TrainingError: always_fails failed to train: this learner always fails" in result.note


def test_running_out_of_memory_is_recorded_with_a_note(telco, monkeypatch):
    monkeypatch.setitem(base._REGISTRY, RunsOutOfMemory.name, RunsOutOfMemory)
    result = run_trial(_data(telco), _spec("runs_out_of_memory"))
    assert result.status == "failed" and "out of memory" in result.note


def test_bad_hyperparameters_fail_the_trial_with_the_valid_names(telco):
    result = run_trial(_data(telco), _spec("logistic", not_a_param=1))
    assert result.status == "failed" and "not_a_param" in result.note


def test_a_clearly_losing_trial_is_pruned_after_its_warmup_folds(telco):
    data = _data(telco, folds=4)
    history = PruningHistory("maximize", tuple({0: 0.9, 1: 0.9, 2: 0.9, 3: 0.9} for _ in range(4)))
    result = run_trial(data, _spec("logistic", C=1e-3), pruning=history)
    assert result.status == "pruned" and result.oof is None
    assert len(result.fold_scores) == 2  # judged after the second fold, not the first
    assert not FoldPruner(PruningHistory("maximize", history.completed[:3])).active


def test_a_time_limit_stops_a_trial_it_cannot_finish(telco):
    result = run_trial(_data(telco), _spec("lightgbm", n_estimators=4000), time_limit=1e-3)
    assert result.status in ("timeout", "ok")
    if result.status == "ok":  # every fold stopped at its share of the limit
        assert "time budget" in result.note


def test_the_time_limit_covers_predicting_the_held_out_rows_not_only_fitting(housing,
                                                                            monkeypatch):
    """A learner that fills its fold budget and predicts as long as it fitted: with the fold
    budget on the fit alone, the first fold took the whole limit and the trial timed out."""
    monkeypatch.setitem(base._REGISTRY, SlowToPredict.name, SlowToPredict)
    data = _data(housing, folds=2, metric="rmse")
    result = run_trial(data, _spec("slow_to_predict"), time_limit=2.0)
    assert result.status == "ok", result.note  # a trial past its limit ends as 'timeout'


def test_fold_models_are_saved_as_they_are_scored_and_removed_when_the_trial_fails(telco,
                                                                                   tmp_path):
    data = _data(telco, folds=4)
    saved = run_trial(data, TrialSpec(3, "logistic", {}, {"C": 1.0}, "portfolio"),
                      keep_models=True, save_dir=tmp_path)
    assert saved.status == "ok" and saved.models is None
    assert sorted(p.name for p in (tmp_path / "trial-3").iterdir()) == [
        "fold-0", "fold-1", "fold-2", "fold-3"]
    history = PruningHistory("maximize", tuple({0: 0.9, 1: 0.9, 2: 0.9, 3: 0.9} for _ in range(4)))
    pruned = run_trial(data, TrialSpec(4, "logistic", {}, {"C": 1e-3}, "portfolio"),
                       pruning=history, save_dir=tmp_path)
    assert pruned.status == "pruned" and pruned.saved is None
    assert not (tmp_path / "trial-4").exists()  # its first folds were saved, then deleted


def test_a_model_that_cannot_be_saved_costs_the_saved_models_not_the_trial(telco, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the models folder should be")
    result = run_trial(_data(telco), _spec("logistic", C=1.0), save_dir=blocked)
    assert result.status == "ok" and result.score is not None and result.saved is None
    assert "fold models not saved" in result.note


_THREADS_SCRIPT = """
import sys
import numpy as np
import pandas as pd
from search_plugins import SEEN_THREADS, ReportsThreads
from modelyard.data.infer import infer_schema
from modelyard.learners import base
from modelyard.search.bagging import plan_validation
from modelyard.search.trial import TrialData, TrialSpec, run_trial

assert "torch" not in sys.modules
base.register(ReportsThreads)
rng = np.random.default_rng(0)
raw = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "y": rng.normal(size=60)})
frame, schema = infer_schema(raw, target="y")
y = raw["y"].to_numpy()
plan = plan_validation(y, "regression", folds=2, seed=0)
data = TrialData(frame[schema.names], y, schema, "regression", None, plan.folds, "rmse", 0)
result = run_trial(data, TrialSpec(0, "reports_threads", {}, {}, "portfolio"))
assert result.status == "ok", result.note
print(SEEN_THREADS["torch"], SEEN_THREADS["pools"])
"""


def test_a_trial_caps_native_threads_even_when_its_learner_loads_pytorch_itself():
    """Pools left at one thread per core in every worker oversubscribe the CPU (3x slower MLPs).

    A fresh interpreter whose thread pools would start with 3 threads; the learner imports PyTorch
    only inside ``fit``, as the MLP does; the trial runs with one thread.
    """
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {**os.environ, "OMP_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "3",
           "MKL_NUM_THREADS": "3", "PYTHONPATH": str(Path(__file__).parent)}
    done = subprocess.run([sys.executable, "-c", _THREADS_SCRIPT], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["1", "1"], done.stdout

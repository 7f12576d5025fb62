"""`modelyard.train` end to end: from a DataFrame and from a path, a small search, typed
metrics, predictions in the original labels, registering and loading back, and bad inputs."""

from __future__ import annotations

import pandas as pd
import pytest

import modelyard as my
from modelyard.errors import Conflict, DataError, SpecError
from modelyard.registry.registry import Registry
from modelyard.settings import load_settings

QUICK = {"evaluation": {"importance": False, "latency": False, "bootstrap": 20}}


@pytest.fixture
def churn(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "telco_churn.csv")


def test_train_from_a_frame_predicts_and_registers(tmp_path, churn):
    home = tmp_path / "home"
    result = my.train(churn, target="Churn", model="logistic", spec=QUICK, home=home)
    assert result.version == 1 and result.model_name == "frame-Churn"
    assert result.metrics["test"].roc_auc == pytest.approx(result.metrics["test"]["roc_auc"])
    rows = churn.drop(columns=["Churn"]).head(8)
    assert set(result.model.predict(rows)) <= {"Yes", "No"}
    proba = result.model.predict_proba(rows)
    assert proba.shape == (8, 2) and proba.sum(axis=1) == pytest.approx([1.0] * 8)
    with Registry.open(load_settings(home)) as registry:
        run = registry.store.get_run(result.run_id)
        assert run.status == "finished" and "in-memory DataFrame" in run.data["source"]
    assert list(churn.columns)[-1] == "Churn" and len(churn) == 317  # the caller's frame kept

    assert result.register("churn", alias="production") == "churn:1"
    loaded = my.load("churn@production", home=str(home))
    assert list(loaded.predict(rows)) == list(result.model.predict(rows))
    with Registry.open(load_settings(home)) as registry:
        assert registry.store.get_version("frame-Churn", 1).run_id == result.run_id
        audit = registry.store.audit_log("churn")
        assert [(a.alias, a.to_version) for a in audit] == [("production", 1)]


def test_a_search_from_a_path_without_registering(tmp_path, data_dir, churn):
    home = tmp_path / "home"
    result = my.train(data_dir / "telco_churn.csv", target="Churn", max_trials=3,
                      learners=["logistic", "lightgbm"], register=False, spec=QUICK, home=home)
    assert result.version is None
    with Registry.open(load_settings(home)) as registry:
        assert registry.store.get_run(result.run_id).status == "finished"
        assert registry.store.list_models().total == 0
    board = result.leaderboard()
    assert list(board.columns[:4]) == ["trial", "learner", "status", "score"]
    scores = list(board.query("status == 'ok'")["score"])
    assert len(scores) >= 2 and scores == sorted(scores, reverse=True)  # roc_auc: best first
    assert board.attrs["metric"] == result.leaderboard.metric
    assert result.register() == "telco_churn-Churn:1"
    assert result.register() == "telco_churn-Churn:1"  # registered already: nothing new
    assert set(my.load("telco_churn-Churn", home=str(home)).predict(churn.head(4))) <= {
        "Yes", "No"}


def test_a_timed_search_from_the_spec_source(tmp_path, data_dir):
    spec = {"data": {"source": {"path": str(data_dir / "telco_churn.csv")}, "target": "Churn"},
            "search": {"folds": 2}, **QUICK}
    result = my.train(spec=spec, time_budget=4, learners=["logistic"], name="churn",
                      home=tmp_path / "home")
    assert result.model_name == "churn" and result.version == 1
    assert result.leaderboard.searched and len(result.leaderboard) >= 1


def test_a_frame_run_cannot_be_resumed(tmp_path, churn):
    from modelyard.pipeline import train

    home = tmp_path / "home"
    result = my.train(churn, target="Churn", model="logistic", spec=QUICK, home=home)
    with pytest.raises(SpecError, match="in-memory DataFrame") as err:
        train(None, load_settings(home), resume=result.run_id)
    assert "to_parquet" in err.value.hint


def test_resume_from_python_takes_the_runs_own_spec(tmp_path, data_dir):
    home = tmp_path / "home"
    path = data_dir / "telco_churn.csv"
    done = my.train(path, target="Churn", model="logistic", spec=QUICK, home=home)
    with pytest.raises(SpecError, match="data, target cannot change it"):
        my.train(path, target="Churn", resume=done.run_id, home=home)
    # the same refusal as `modelyard train --resume` of a finished run: the run is not reopened
    with pytest.raises(Conflict, match="finished") as err:
        my.train(resume=done.run_id[:12], home=home)
    assert err.value.hint


def test_a_model_over_the_specs_learner_drops_its_params_and_says_so(tmp_path, churn):
    spec = {"model": {"learner": "lightgbm", "params": {"n_estimators": 5}}, **QUICK}
    result = my.train(churn, target="Churn", model="logistic", spec=spec, register=False,
                      home=tmp_path / "home")
    assert result.learner == "logistic"
    assert result.notes[0] == ("model logistic replaces the spec's learner lightgbm: its params "
                               "(n_estimators) were left out")


@pytest.mark.parametrize(("kwargs", "error", "match"), [
    ({"target": "Churm"}, DataError, "target column 'Churm' not found"),
    ({"target": "Churn", "model": "no_such_learner"}, SpecError, "no_such_learner"),
    ({"target": "Churn", "time_budget": 0}, SpecError, "time_budget"),
    ({"target": "Churn", "time_budget": -5}, SpecError, "time_budget"),
    ({"target": "Churn", "model": "logistic", "time_budget": 5}, SpecError, "not both"),
    ({"target": "Churn", "spec": {"data": {"source": {"path": "x.csv"}}}}, SpecError,
     "both data and the spec's data.source"),
])
def test_bad_inputs_are_clear_errors(tmp_path, churn, kwargs, error, match):
    with pytest.raises(error, match=match):
        my.train(churn, home=tmp_path / "home", **kwargs)


def test_bad_data_is_a_clear_error(tmp_path, churn):
    home = tmp_path / "home"
    with pytest.raises(SpecError, match="nothing to train on"):
        my.train(target="Churn", home=home)
    with pytest.raises(DataError, match="the DataFrame is empty"):
        my.train(churn.iloc[0:0], target="Churn", home=home)
    with pytest.raises(SpecError, match="must be a pandas DataFrame or a file path"):
        my.train(churn.to_dict(), target="Churn", home=home)
    with pytest.raises(DataError, match="did you mean 'Churn'"):
        my.train(churn, target="churn", home=home)

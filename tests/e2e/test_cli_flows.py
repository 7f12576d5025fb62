"""The CLI as a user drives it: profile, split and train on real data slices."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
ADULT_COLUMNS = (
    "age,workclass,fnlwgt,education,education_num,marital_status,occupation,"
    "relationship,race,sex,capital_gain,capital_loss,hours_per_week,native_country,"
    "income"
)


def test_profile_json_on_adult_without_header(cli, data_dir):
    result = cli(
        "data",
        "profile",
        data_dir / "adult" / "adult-train.csv",
        "--no-header",
        "--columns",
        ADULT_COLUMNS,
        "--skip-initial-space",
        "--missing",
        "?",
        "--target",
        "income",
        "--json",
    )
    assert result.code == 0, result.err
    report = result.json()
    columns = {c["name"]: c for c in report["columns"]}
    assert columns["workclass"]["kind"] == "categorical"
    assert columns["workclass"]["n_missing"] > 0  # '?' became missing
    assert columns["age"]["kind"] == "numeric"
    assert report["task"] == "binary"
    assert report["fingerprint"].startswith("sha256:")


def test_profile_table_on_telco(cli, data_dir):
    result = cli("data", "profile", data_dir / "telco_churn.csv", "--target", "Churn")
    assert result.code == 0, result.err
    assert "TotalCharges" in result.out and "customerID" in result.out
    assert "class balance" in result.out


def test_split_json_is_stratified_and_reproducible(cli, data_dir):
    args = ("data", "split", data_dir / "telco_churn.csv", "--target", "Churn", "--json")
    first, second = cli(*args), cli(*args)
    assert first.code == 0, first.err
    assert first.json() == second.json()  # exact: same computation twice (reproducibility)
    summary = first.json()
    assert summary["method"] == "stratified"
    assert (
        sum(summary["sizes"].values())
        == len((data_dir / "telco_churn.csv").read_text().splitlines()) - 1
    )


def test_split_follows_shipped_train_and_test_files(cli, tmp_path, data_dir):
    spec = tmp_path / "adult.yaml"
    spec.write_text(f"""
data:
  source:
    path: {{train: {data_dir / "adult/adult-train.csv"}, test: {data_dir / "adult/adult-test.csv"}}}
    header: false
    columns: [{ADULT_COLUMNS.replace(",", ", ")}]
    skip_initial_space: true
    missing_values: ['?']
  target: income
  target_map: {{'>50K.': '>50K', '<=50K.': '<=50K'}}
""")
    result = cli("data", "split", spec, "--json")
    assert result.code == 0, result.err
    summary = result.json()
    assert summary["method"] == "column"
    test_rows = len((data_dir / "adult/adult-test.csv").read_text().splitlines())
    assert summary["sizes"]["test"] == test_rows
    assert summary["task"] == "binary"  # the label map merged '>50K.' into '>50K'


def test_train_logistic_from_flags_and_reload(cli, tmp_path, data_dir):
    result = cli(
        "train", data_dir / "telco_churn.csv", "--target", "Churn", "--model", "logistic", "--json"
    )
    assert result.code == 0, result.err
    out = result.json()
    assert out["task"] == "binary"
    assert set(out["metrics"]) == {"train", "validation", "test"}
    assert out["metrics"]["test"]["roc_auc"] > 0.6
    assert 0.0 < out["threshold"] < 1.0
    record = cli("runs", "show", out["run_id"], "--json").json()
    assert record["status"] == "finished"
    assert record["data_fingerprint"].startswith("sha256:")

    from modelyard.model import ModelBundle

    bundle = ModelBundle.load(out["model_dir"])
    frame = pd.read_csv(data_dir / "telco_churn.csv").head(20)
    predictions = bundle.predict_frame(frame.drop(columns=["Churn"]))
    assert set(predictions["prediction"]) <= {"Yes", "No"}
    assert {"proba_Yes", "proba_No"} <= set(predictions.columns)


def test_train_a_house_price_model_on_the_log_scale_from_flags(cli, data_dir):
    result = cli("train", data_dir / "house_prices_ames.csv", "--target", "SalePrice",
                 "--model", "lightgbm", "--param", "target_transform=log",
                 "--param", "n_estimators=80", "--json")
    assert result.code == 0, result.err
    out = result.json()
    assert out["task"] == "regression"
    assert 10_000 < out["metrics"]["test"]["rmse"] < 80_000  # dollars, not log-dollars

    from modelyard.model import ModelBundle

    bundle = ModelBundle.load(out["model_dir"])
    assert bundle.learner.target_transform == "log"
    frame = pd.read_csv(data_dir / "house_prices_ames.csv")
    prices = bundle.predict(frame.drop(columns=["SalePrice"]))
    assert frame["SalePrice"].min() <= prices.min() and prices.max() <= frame["SalePrice"].max()


def test_iris_example_spec(cli):
    result = cli("train", ROOT / "examples/iris/iris.yaml", "--json")
    assert result.code == 0, result.err
    out = result.json()
    assert out["task"] == "multiclass"
    assert out["metrics"]["test"]["accuracy"] > 0.85


def test_learners_json_lists_every_family(cli):
    result = cli("learners", "--json")
    assert result.code == 0, result.err
    page = result.json()  # a page, like every listing
    assert page["total"] == len(page["items"]) and page["offset"] == 0
    names = {row["name"]: row["tasks"] for row in page["items"]}
    assert {
        "logistic",
        "linear",
        "random_forest",
        "extra_trees",
        "lightgbm",
        "xgboost",
        "catboost",
        "mlp",
    } <= set(names)
    assert "regression" in names["linear"] and "binary" in names["logistic"]
    searched = {row["name"]: row["searched_by_default"] for row in page["items"]}
    assert searched["lightgbm"] and not searched["catboost"]  # CatBoost only when named
    assert all("``" not in row["description"] for row in page["items"])  # plain text
    second = cli("learners", "--json", "--limit", "2", "--offset", "2").json()
    assert [r["name"] for r in second["items"]] == [r["name"] for r in page["items"]][2:4]
    wrong = cli("learners", "--task", "foo")
    assert wrong.code == 2 and "binary, multiclass, regression" in wrong.err


def test_every_command_has_help(cli):
    for args in (
        ("--help",),
        ("data", "--help"),
        ("data", "profile", "--help"),
        ("data", "split", "--help"),
        ("train", "--help"),
        ("learners", "--help"),
    ):
        result = cli(*args)
        assert result.code == 0, (args, result.err)
        assert "Usage" in result.out

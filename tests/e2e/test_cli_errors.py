"""Every bad input of the foundation issue through the real CLI: exit 2, a message, a hint,
no traceback unless --debug."""

from __future__ import annotations

import pytest


def _assert_user_error(result, *fragments: str) -> None:
    assert result.code == 2, (result.code, result.out, result.err)
    assert "error:" in result.err and "hint:" in result.err, result.err
    assert "Traceback" not in result.err, result.err
    for fragment in fragments:
        assert fragment.lower() in result.err.lower(), (fragment, result.err)


def test_missing_file(cli, tmp_path):
    _assert_user_error(cli("data", "profile", tmp_path / "nope.csv"), "not found")


def test_missing_file_traceback_only_with_debug(cli, tmp_path):
    result = cli("--debug", "data", "profile", tmp_path / "nope.csv")
    assert result.code == 2
    assert "Traceback" in result.err


def test_wrongly_guessed_format(cli, tmp_path, data_dir):
    fake = tmp_path / "table.csv"
    fake.write_bytes((data_dir / "m4_hourly.parquet").read_bytes())
    _assert_user_error(cli("data", "profile", fake), "format")


def test_unknown_extension_lists_formats(cli, tmp_path):
    odd = tmp_path / "table.xyz"
    odd.write_text("a,b\n1,2\n")
    _assert_user_error(cli("data", "profile", odd), "parquet")


def test_target_not_found_suggests_closest(cli, data_dir):
    result = cli("data", "profile", data_dir / "telco_churn.csv", "--target", "churn")
    _assert_user_error(result, "target", "'Churn'")


def test_target_all_missing(cli, tmp_path, data_dir):
    lines = (data_dir / "telco_churn.csv").read_text().splitlines()
    header = lines[0].split(",")
    blank = [",".join(line.split(",")[:-1] + [""]) for line in lines[1:]]
    path = tmp_path / "blank_target.csv"
    path.write_text("\n".join([",".join(header)] + blank) + "\n")
    _assert_user_error(cli("data", "split", path, "--target", "Churn"), "missing in all")


def test_one_class_only(cli, tmp_path, data_dir):
    lines = (data_dir / "telco_churn.csv").read_text().splitlines()
    only_no = [lines[0]] + [line for line in lines[1:] if line.endswith(",No")]
    path = tmp_path / "one_class.csv"
    path.write_text("\n".join(only_no) + "\n")
    _assert_user_error(cli("train", path, "--target", "Churn", "--model", "logistic"), "one class")


def test_too_few_rows_for_split(cli, tmp_path, data_dir):
    lines = (data_dir / "telco_churn.csv").read_text().splitlines()
    path = tmp_path / "tiny.csv"
    path.write_text("\n".join(lines[:3]) + "\n")
    _assert_user_error(
        cli("data", "split", path, "--target", "MonthlyCharges", "--task", "regression"), "rows"
    )


def test_duplicate_column_names(cli, tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("a,b,a,y\n" + "".join(f"{i},{i * 2},{i * 3},{i % 2}\n" for i in range(40)))
    _assert_user_error(cli("data", "profile", path), "duplicate", "'a'")


def test_unknown_spec_key_lists_valid_keys(cli, tmp_path, data_dir):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        f"data:\n  source: {{path: {data_dir / 'telco_churn.csv'}}}\n"
        "  target: Churn\nsplitt: {method: random}\n"
    )
    _assert_user_error(cli("train", spec), "splitt", "split")


def test_bad_ratio_flag(cli, data_dir):
    result = cli(
        "data", "split", data_dir / "telco_churn.csv", "--target", "Churn", "--ratios", "0.5,0.5"
    )
    _assert_user_error(result, "ratios")


@pytest.mark.parametrize("name", ["lgbm", "randomforest"])
def test_unknown_learner_lists_registered(cli, data_dir, name):
    result = cli("train", data_dir / "telco_churn.csv", "--target", "Churn", "--model", name)
    _assert_user_error(result, "unknown learner", "lightgbm")


def test_unknown_hyperparameter(cli, data_dir):
    result = cli(
        "train",
        data_dir / "telco_churn.csv",
        "--target",
        "Churn",
        "--model",
        "logistic",
        "--param",
        "depth=3",
    )
    _assert_user_error(result, "depth", "valid")


def test_unknown_run_to_resume(cli):
    _assert_user_error(cli("train", "--resume", "20990101-000000-abcdef"), "no run")

"""`modelyard train ... --deploy`: the search's deployment variants on the terminal."""

from __future__ import annotations

SEARCH = ("--max-trials", "3", "--folds", "3", "--learners", "lightgbm,logistic", "--parallel", "1")


def test_train_shows_the_registered_variant_and_the_other(cli, data_dir):
    refit = cli("train", data_dir / "telco_churn.csv", "--target", "Churn", *SEARCH)
    assert refit.code == 0, refit.err
    assert "registered: refit," in refit.out and "(the bagged estimate)" in refit.out
    assert "not registered: bagged," in refit.out

    bagged = cli(
        "train", data_dir / "telco_churn.csv", "--target", "Churn", *SEARCH, "--deploy", "bagged"
    )
    assert bagged.code == 0, bagged.err
    assert "registered: bagged," in bagged.out and "registered: refit" not in bagged.out


def test_a_bad_deploy_flag_names_the_choices(cli, data_dir):
    bad = cli(
        "train", data_dir / "telco_churn.csv", "--target", "Churn", *SEARCH, "--deploy", "fast"
    )
    assert bad.code == 2 and "'refit' or 'bagged'" in bad.err, bad.err

"""Splitters on the committed data slices: parts, folds, the sealed test part, fallbacks, errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from modelyard.data.split import Split, make_split
from modelyard.errors import DataError, SpecError
from modelyard.spec.models import SplitSpec


# -- the slices --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def telco(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "telco_churn.csv")


@pytest.fixture(scope="module")
def cmapss(data_dir) -> pd.DataFrame:
    frame = pd.read_csv(data_dir / "cmapss_train.txt", sep=r"\s+", header=None)
    return frame.rename(columns={0: "unit", 1: "cycle"})


@pytest.fixture(scope="module")
def adult(data_dir) -> tuple[pd.DataFrame, int]:
    """Train and test files concatenated, the file of each row in ``part``; also the train count."""
    read = dict(header=None, skipinitialspace=True, na_values="?")
    train = pd.read_csv(data_dir / "adult" / "adult-train.csv", **read).assign(part="train")
    test = pd.read_csv(data_dir / "adult" / "adult-test.csv", **read).assign(part="test")
    frame = pd.concat([train, test], ignore_index=True).rename(columns={14: "income"})
    frame["income"] = frame["income"].str.rstrip(".")
    return frame, len(train)


@pytest.fixture(scope="module")
def credit(data_dir) -> pd.DataFrame:
    frame = pd.read_csv(data_dir / "credit_g.csv", header=None)
    return frame.rename(columns={4: "amount", 20: "risk"})


def _all_parts(split: Split) -> list[np.ndarray]:
    return [split.train, split.validation, split.open_test("test check")]


def _assert_partition(split: Split, n: int) -> None:
    parts = _all_parts(split)
    every = np.concatenate(parts)
    assert every.size == n, "parts must cover every row exactly once"
    assert np.array_equal(np.sort(every), np.arange(n))
    for part in parts:
        assert part.dtype == np.int64 and np.all(np.diff(part) > 0), "positions sorted, unique"


# -- stratified, seeds, folds ------------------------------------------------------------------
def test_telco_stratified_keeps_churn_share_in_every_part(telco):
    split = make_split(telco, SplitSpec(), target="Churn", task="binary", seed=7)
    assert split.method == "stratified"
    _assert_partition(split, len(telco))
    churn = telco["Churn"].eq("Yes").to_numpy()
    for part in _all_parts(split):
        assert abs(churn[part].mean() - churn.mean()) <= 0.01
    sizes = split.to_dict()["sizes"]
    assert abs(sizes["validation"] - 0.15 * len(telco)) <= 1
    assert abs(sizes["test"] - 0.15 * len(telco)) <= 1


def test_same_seed_same_split_other_seed_differs(telco):
    spec = SplitSpec(method="stratified")
    first = make_split(telco, spec, target="Churn", task="binary", seed=3)
    again = make_split(telco, spec, target="Churn", task="binary", seed=3)
    other = make_split(telco, spec, target="Churn", task="binary", seed=4)
    assert first == again
    assert first.to_dict()["sha256"] == again.to_dict()["sha256"]
    assert not np.array_equal(first.train, other.train)
    assert first.to_dict()["sha256"]["test"] != other.to_dict()["sha256"]["test"]


def test_five_folds_partition_the_training_part(telco):
    split = make_split(telco, SplitSpec(folds=5), target="Churn", task="binary", seed=1)
    assert len(split.folds) == 5
    held = np.sort(np.concatenate([h for _, h in split.folds]))
    assert np.array_equal(held, split.train)
    outside = np.concatenate([split.validation, split.open_test("fold check")])
    churn = telco["Churn"].eq("Yes").to_numpy()
    for fit, held_out in split.folds:
        assert np.intersect1d(fit, held_out).size == 0
        assert np.array_equal(np.union1d(fit, held_out), split.train)
        assert np.intersect1d(np.union1d(fit, held_out), outside).size == 0
        assert abs(churn[held_out].mean() - churn[split.train].mean()) < 0.05  # stratified


# -- the sealed test part and the records ------------------------------------------------------
def test_test_rows_are_sealed_until_opened_with_a_reason(telco):
    split = make_split(telco, SplitSpec(), target="Churn", task="binary", seed=0)
    with pytest.raises(DataError, match="reserved for the final evaluation") as info:
        _ = split.test
    assert "open_test" in info.value.hint
    assert split.n_test == 47 and split.test_opened_for == ()
    with pytest.raises(DataError, match="reason"):
        split.open_test("  ")
    positions = split.open_test("final evaluation")
    assert positions.size == split.n_test
    assert np.array_equal(split.test, positions)
    assert split.test_opened_for == ("final evaluation",)
    with pytest.raises(ValueError):
        split.train[0] = 1  # positions are read-only


def test_to_dict_summarises_and_positions_round_trip(telco):
    split = make_split(telco, SplitSpec(folds=3), target="Churn", task="binary", seed=5)
    summary = split.to_dict()
    text = json.dumps(summary)
    assert summary["method"] == "stratified" and summary["seed"] == 5 and summary["folds"] == 3
    assert set(summary["sha256"]) == {"train", "validation", "test"}
    assert sum(summary["sizes"].values()) == len(telco)
    assert str(split.validation[:5].tolist())[1:-1] not in text  # no positions in the summary
    stored = json.loads(json.dumps(split.positions_dict()))
    rebuilt = Split.from_positions(stored, n_rows=len(telco))
    assert rebuilt == split and rebuilt.to_dict()["sha256"] == summary["sha256"]
    with pytest.raises(DataError, match="reserved"):
        _ = rebuilt.test  # a rebuilt split starts sealed
    with pytest.raises(DataError, match="row position"):
        Split.from_positions(stored, n_rows=100)
    with pytest.raises(DataError, match="lack"):
        Split.from_positions({"train": [0, 1]})
    with pytest.raises(DataError, match="share"):
        Split.from_positions({"train": [0, 1], "validation": [1], "test": [2]})
    with pytest.raises(DataError, match="folds do not partition"):
        Split.from_positions({"train": [0, 1], "validation": [], "test": [2],
                              "folds": [{"fit": [0], "held_out": [0]}]})


# -- group and time on C-MAPSS -----------------------------------------------------------------
def test_cmapss_group_split_keeps_each_unit_in_one_part(cmapss):
    split = make_split(cmapss, SplitSpec(method="group", group_column="unit", folds=4),
                       target=None, task="regression", seed=2)
    assert split.method == "group"
    _assert_partition(split, len(cmapss))
    units = [set(cmapss["unit"].to_numpy()[p]) for p in _all_parts(split)]
    assert not (units[0] & units[1]) and not (units[0] & units[2]) and not (units[1] & units[2])
    assert abs(split.n_test - 0.15 * len(cmapss)) <= 5
    for fit, held in split.folds:
        assert not set(cmapss["unit"].to_numpy()[fit]) & set(cmapss["unit"].to_numpy()[held])
    other = make_split(cmapss, SplitSpec(method="group", group_column="unit"),
                       target=None, task="regression", seed=9)
    assert not np.array_equal(other.train, split.train)


def test_group_column_of_a_headerless_file_is_found_by_its_number(data_dir):
    frame = pd.read_csv(data_dir / "cmapss_train.txt", sep=r"\s+", header=None)
    split = make_split(frame, SplitSpec(method="group", group_column="0"),
                       target=None, task="regression", seed=0)
    parts = [set(frame[0].to_numpy()[p]) for p in _all_parts(split)]
    assert not (parts[0] & parts[2])


def test_cmapss_time_split_orders_parts_and_never_splits_a_cycle(cmapss):
    split = make_split(cmapss, SplitSpec(method="time", time_column="cycle"),
                       target=None, task="regression", seed=0)
    _assert_partition(split, len(cmapss))
    cycle = cmapss["cycle"].to_numpy()
    train, val, test = _all_parts(split)
    assert cycle[train].max() < cycle[val].min() <= cycle[val].max() < cycle[test].min()
    assert abs(test.size - 0.15 * len(cmapss)) <= 10


def test_time_split_on_datetimes_and_date_strings(data_dir):
    frame = pd.read_parquet(data_dir / "m4_hourly.parquet")
    spec = SplitSpec(method="time", time_column="timestamp", train=0.6, validation=0.2, test=0.2)
    split = make_split(frame, spec, target="value", task="regression", seed=0)
    stamps = frame["timestamp"]
    train, val, test = _all_parts(split)
    assert stamps.iloc[train].max() < stamps.iloc[val].min()
    assert stamps.iloc[val].max() < stamps.iloc[test].min()
    as_text = frame.assign(timestamp=stamps.dt.strftime("%Y-%m-%d %H:%M:%S"))
    again = make_split(as_text, spec, target="value", task="regression", seed=0)
    assert np.array_equal(again.train, split.train)
    with pytest.raises(DataError, match="numeric or datetime"):
        make_split(frame, SplitSpec(method="time", time_column="series_id"),
                   target="value", task="regression", seed=0)
    few = frame.assign(day=stamps.dt.day.clip(upper=2))  # two distinct days, three parts
    with pytest.raises(DataError, match="2 distinct value"):
        make_split(few, SplitSpec(method="time", time_column="day"),
                   target="value", task="regression", seed=0)


# -- column method on adult --------------------------------------------------------------------
def test_adult_column_split_uses_the_test_file_and_carves_validation(adult):
    frame, n_train_file = adult
    split = make_split(frame, SplitSpec(method="column", column="part"),
                       target="income", task="binary", seed=0)
    assert split.method == "column"
    _assert_partition(split, len(frame))
    assert np.array_equal(split.open_test("check"), np.arange(n_train_file, len(frame)))
    assert split.validation.max() < n_train_file
    assert abs(split.validation.size - n_train_file * 0.15 / 0.85) <= 1
    rich = frame["income"].eq(">50K").to_numpy()
    assert abs(rich[split.validation].mean() - rich[:n_train_file].mean()) <= 0.01
    assert any("carved" in note for note in split.notes)
    auto = make_split(frame, SplitSpec(column="part"), target="income", task="binary", seed=0)
    assert auto == split


def test_column_labels_are_case_insensitive_with_aliases(adult):
    frame, n_train_file = adult
    labels = np.array(["Train"] * len(frame), dtype=object)
    labels[:40], labels[40:60] = "VAL", "Dev"
    labels[n_train_file:] = " TEST "
    split = make_split(frame.assign(part=labels), SplitSpec(method="column", column="part"),
                       target="income", task="binary", seed=0)
    assert np.array_equal(split.validation, np.arange(60))
    assert not any("carved" in note for note in split.notes)


def test_column_errors_name_found_and_accepted_labels(adult):
    frame, _ = adult
    bad = frame.assign(part=frame["part"].replace({"test": "holdout"}))
    with pytest.raises(DataError, match="holdout") as info:
        make_split(bad, SplitSpec(method="column", column="part"), target="income",
                   task="binary", seed=0)
    assert "validation" in info.value.hint and "dev" in info.value.hint
    no_test = frame.assign(part="train")
    with pytest.raises(DataError, match="no row 'test'") as info:
        make_split(no_test, SplitSpec(method="column", column="part"), target="income",
                   task="binary", seed=0)
    assert "concatenate" in info.value.hint
    gaps = frame.assign(part=frame["part"].where(frame.index % 50 != 0))
    with pytest.raises(DataError, match="missing value"):
        make_split(gaps, SplitSpec(method="column", column="part"), target="income",
                   task="binary", seed=0)


# -- credit-g: classification and regression ----------------------------------------------------
def test_credit_g_auto_is_stratified_for_classes_and_random_for_regression(credit):
    classes = make_split(credit, SplitSpec(), target="risk", task="binary", seed=0)
    assert classes.method == "stratified"
    bad = credit["risk"].eq(2).to_numpy()
    for part in _all_parts(classes):
        assert abs(bad[part].mean() - bad.mean()) <= 0.01
    amounts = make_split(credit, SplitSpec(folds=3), target="amount", task="regression", seed=0)
    assert amounts.method == "random" and len(amounts.folds) == 3
    _assert_partition(amounts, len(credit))
    with pytest.raises(DataError, match="classification task"):
        make_split(credit, SplitSpec(method="stratified"), target="amount",
                   task="regression", seed=0)
    with pytest.raises(DataError, match="needs a target"):
        make_split(credit, SplitSpec(method="stratified"), target=None, task="binary", seed=0)


def test_zero_ratios_leave_parts_empty(credit):
    spec = SplitSpec(method="random", train=0.8, validation=0.0, test=0.2)
    split = make_split(credit, spec, target="risk", task="binary", seed=0)
    assert split.validation.size == 0 and split.n_test == round(0.2 * len(credit))


# -- fallbacks --------------------------------------------------------------------------------
def test_a_single_row_class_falls_back_to_a_random_split_with_a_note(telco):
    frame = telco.copy()
    frame.loc[5, "Churn"] = "Maybe"
    split = make_split(frame, SplitSpec(), target="Churn", task="binary", seed=0)
    assert split.method == "random"
    assert any("'Maybe'" in n and "single row" in n for n in split.notes)
    assert any("random" in n for n in split.notes)


def test_a_class_rarer_than_folds_falls_back_to_kfold(telco):
    frame = telco.copy()
    frame.loc[[1, 2, 3, 4], "Churn"] = "Maybe"
    split = make_split(frame, SplitSpec(folds=10), target="Churn", task="multiclass", seed=0)
    assert split.method == "stratified"
    assert any("10-fold" in n and "'Maybe'" in n for n in split.notes)
    held = np.sort(np.concatenate([h for _, h in split.folds]))
    assert np.array_equal(held, split.train)


def test_unused_settings_are_noted(credit):
    split = make_split(credit, SplitSpec(time_column="amount"), target="risk", task="binary",
                       seed=0)
    assert any("time_column" in n for n in split.notes)


# -- errors -----------------------------------------------------------------------------------
def test_too_few_rows_say_how_many_are_needed(credit):
    with pytest.raises(DataError, match="3 row") as info:
        make_split(credit.head(3), SplitSpec(), target="amount", task="regression", seed=0)
    assert "at least 4 rows" in info.value.hint
    spec = SplitSpec(train=0.9, validation=0.09, test=0.01)
    with pytest.raises(DataError, match="test part") as info:
        make_split(credit.head(20), spec, target="amount", task="regression", seed=0)
    assert "at least 50 rows" in info.value.hint


def test_missing_targets_are_counted(telco):
    frame = telco.assign(Churn=telco["Churn"].where(telco.index % 100 != 0))
    with pytest.raises(DataError, match="4 missing") as info:
        make_split(frame, SplitSpec(), target="Churn", task="binary", seed=0)
    assert "drop" in info.value.hint


def test_unknown_columns_suggest_the_closest(cmapss, telco):
    with pytest.raises(DataError, match="not a column") as info:
        make_split(cmapss, SplitSpec(method="group", group_column="units"), target=None,
                   task="regression", seed=0)
    assert "'unit'" in info.value.hint
    with pytest.raises(DataError, match="not a column") as info:
        make_split(cmapss, SplitSpec(method="time", time_column="cycles"), target=None,
                   task="regression", seed=0)
    assert "'cycle'" in info.value.hint
    with pytest.raises(DataError, match="not a column"):
        make_split(telco, SplitSpec(), target="churn_flag", task="binary", seed=0)


def test_group_errors(cmapss):
    gaps = cmapss.assign(unit=cmapss["unit"].where(cmapss.index % 30 != 0))
    with pytest.raises(DataError, match="missing value"):
        make_split(gaps, SplitSpec(method="group", group_column="unit"), target=None,
                   task="regression", seed=0)
    two = cmapss.assign(unit=cmapss["unit"] % 2)
    with pytest.raises(DataError, match="at least 3 distinct groups"):
        make_split(two, SplitSpec(method="group", group_column="unit"), target=None,
                   task="regression", seed=0)
    five = cmapss.assign(unit=cmapss["unit"] % 5)
    with pytest.raises(DataError, match="group folds"):
        make_split(five, SplitSpec(method="group", group_column="unit", folds=5), target=None,
                   task="regression", seed=0)


def test_bad_task_seed_and_fold_count(credit):
    with pytest.raises(SpecError, match="unknown task"):
        make_split(credit, SplitSpec(), target="risk", task="classification", seed=0)
    with pytest.raises(SpecError, match="seed"):
        make_split(credit, SplitSpec(), target="risk", task="binary", seed=-1)
    with pytest.raises(DataError, match="training rows"):
        make_split(credit.head(10), SplitSpec(folds=9), target="amount", task="regression",
                   seed=0)


# -- properties -------------------------------------------------------------------------------
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(3, 400),
    val_pct=st.integers(0, 45),
    test_pct=st.integers(0, 45),
    seed=st.integers(0, 2**31),
    n_classes=st.integers(2, 4),
    method=st.sampled_from(["random", "stratified"]),
)
def test_parts_are_disjoint_cover_all_rows_and_follow_the_ratios(
    n, val_pct, test_pct, seed, n_classes, method
):
    train_pct = 100 - val_pct - test_pct
    ratios = (train_pct / 100, val_pct / 100, test_pct / 100)
    assume(val_pct + test_pct > 0 and n * ratios[0] >= 2)
    assume(all(n * r >= 1 for r in ratios[1:] if r > 0))
    labels = np.random.default_rng(seed).integers(0, n_classes, size=n)
    frame = pd.DataFrame({"y": labels})
    spec = SplitSpec(method=method, train=ratios[0], validation=ratios[1], test=ratios[2])
    split = make_split(frame, spec, target="y", task="multiclass", seed=seed)
    _assert_partition(split, n)
    sizes = [p.size for p in _all_parts(split)]
    slack = 1 if split.method == "random" else 2  # stratified may move a held-out row to train
    assert abs(sizes[0] - n * ratios[0]) <= slack
    assert all(abs(s - n * r) <= 1 for s, r in zip(sizes[1:], ratios[1:], strict=True))
    assert all(s == 0 for s, r in zip(sizes, ratios, strict=True) if r == 0)

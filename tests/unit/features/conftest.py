"""Fixtures for the preprocessing tests: the committed data slices, read as a user would, and a
small schema builder (schemas are built by hand so these tests do not depend on inference)."""

from __future__ import annotations

import csv
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest

from modelyard.data.schema import Column, Schema

ADULT_COLUMNS = [
    "age",
    "workclass",
    "fnlwgt",
    "education",
    "education_num",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "capital_gain",
    "capital_loss",
    "hours_per_week",
    "native_country",
    "income",
]


def _kind_of(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series.dtype):
        return "boolean"
    if pd.api.types.is_numeric_dtype(series.dtype):
        return "numeric"
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return "datetime"
    return "categorical"


def build_schema(
    frame: pd.DataFrame,
    kinds: dict[str, str] | None = None,
    target: str | None = None,
    drop: tuple[str, ...] = (),
    target_kind: str | None = None,
) -> Schema:
    """A Schema over every column but ``target`` and ``drop``; kinds from ``kinds`` or the dtype."""
    kinds = kinds or {}
    columns = tuple(
        Column(
            name=name,
            kind=kinds.get(name, _kind_of(frame[name])),
            dtype=str(frame[name].dtype),
            n_missing=int(frame[name].isna().sum()),
            n_unique=int(frame[name].nunique()),
        )
        for name in frame.columns
        if name != target and name not in drop
    )
    return Schema(columns=columns, target=target, target_kind=target_kind, n_rows=len(frame))


@pytest.fixture
def make_schema() -> Callable[..., Schema]:
    return build_schema


@pytest.fixture
def telco(data_dir) -> pd.DataFrame:
    frame = pd.read_csv(data_dir / "telco_churn.csv")
    frame["TotalCharges"] = pd.to_numeric(frame["TotalCharges"], errors="coerce")
    return frame


@pytest.fixture
def telco_schema(telco) -> Schema:
    kinds = {
        "SeniorCitizen": "boolean",
        "Partner": "boolean",
        "Dependents": "boolean",
        "PhoneService": "boolean",
        "PaperlessBilling": "boolean",
    }
    return build_schema(telco, kinds, target="Churn", drop=("customerID",), target_kind="boolean")


@pytest.fixture
def adult(data_dir) -> pd.DataFrame:
    return pd.read_csv(
        data_dir / "adult" / "adult-train.csv",
        header=None,
        names=ADULT_COLUMNS,
        skipinitialspace=True,
        na_values="?",
    )


@pytest.fixture
def ames(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "house_prices_ames.csv")


@pytest.fixture
def retail(data_dir) -> pd.DataFrame:
    parts = [
        pd.read_csv(data_dir / "online_retail" / f"{country}.csv", encoding="utf-8-sig")
        for country in ("france", "germany")
    ]
    return pd.concat(parts, ignore_index=True)


@pytest.fixture
def sst2(data_dir) -> pd.DataFrame:
    return pd.read_csv(data_dir / "sst2_dev.tsv", sep="\t", quoting=csv.QUOTE_NONE)


def split(frame: pd.DataFrame, n_train: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A seeded, disjoint train/holdout split that keeps the original index labels."""
    order = np.random.default_rng(seed).permutation(len(frame))
    return frame.iloc[np.sort(order[:n_train])], frame.iloc[np.sort(order[n_train:])]


@pytest.fixture
def splitter() -> Callable[..., tuple[pd.DataFrame, pd.DataFrame]]:
    return split

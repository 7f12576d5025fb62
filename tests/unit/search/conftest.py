"""Fixtures of the search tests: the committed telco and california housing slices, typed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from modelyard.data.infer import infer_schema
from modelyard.data.schema import Schema

DATA = Path(__file__).parents[2] / "data"


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame  # feature columns only
    y: np.ndarray  # class codes or floats
    schema: Schema
    task: str
    classes: list[Any] | None


def load_table(name: str, target: str, task: str) -> Table:
    frame, schema = infer_schema(pd.read_csv(DATA / name), target=target)
    if task == "regression":
        return Table(frame[schema.names], frame[target].to_numpy(float), schema, task, None)
    classes = sorted(frame[target].astype(str).unique())
    codes = frame[target].astype(str).map({c: i for i, c in enumerate(classes)}).to_numpy()
    return Table(frame[schema.names], codes.astype(np.int64), schema, task, classes)


@pytest.fixture(scope="session")
def telco() -> Table:
    return load_table("telco_churn.csv", "Churn", "binary")


@pytest.fixture(scope="session")
def housing() -> Table:
    return load_table("california_housing.csv", "median_house_value", "regression")

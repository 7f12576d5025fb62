"""Fixtures of the search tests: the committed telco and california housing slices, typed."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from modelyard.data.infer import infer_schema
from modelyard.data.schema import Schema
from modelyard.model import Labels, encode_target

DATA = Path(__file__).parents[2] / "data"


@dataclass(frozen=True)
class Table:
    frame: pd.DataFrame  # feature columns only
    y: np.ndarray  # class codes or floats
    schema: Schema
    task: str
    labels: Labels | None  # the classes by code (None for regression)


def load_table(name: str, target: str, task: str) -> Table:
    frame, schema = infer_schema(pd.read_csv(DATA / name), target=target)
    y, labels = encode_target(frame[target], task)
    return Table(frame[schema.names], y, schema, task, labels)


@pytest.fixture(scope="session")
def telco() -> Table:
    return load_table("telco_churn.csv", "Churn", "binary")


@pytest.fixture(scope="session")
def housing() -> Table:
    return load_table("california_housing.csv", "median_house_value", "regression")

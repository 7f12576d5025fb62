"""The drift check counts category labels on the raw values (one str() per distinct value, not
one Python call per row): the counts must be those of labelling every row with as_labels."""

from __future__ import annotations

import functools
from collections import Counter

import numpy as np
import pandas as pd
import pytest

from modelyard.data.convert import convert_column
from modelyard.monitoring.profile import as_labels, label_counts
from modelyard.monitoring.stats import CategoryAccumulator

TELCO = "tests/data/telco_churn.csv"


def _per_row(series: pd.Series) -> tuple[int, Counter]:
    labels = as_labels(series)
    return int(labels.isna().sum()), Counter(labels.dropna().tolist())


@functools.cache
def _columns() -> dict[str, pd.Series]:
    telco = pd.read_csv(TELCO)
    out = {}
    for name, kind in (("Contract", "categorical"), ("PaymentMethod", "categorical"),
                       ("Partner", "boolean"), ("SeniorCitizen", "categorical"),
                       ("TotalCharges", "categorical")):
        out[f"{name} as {kind}"] = convert_column(telco[name], kind, name=name,
                                                  errors="coerce")[0]
        out[f"{name} raw"] = telco[name]
    n = len(telco)
    out["float labels with NaN"] = pd.Series(np.where(np.arange(n) % 7 == 0, np.nan,
                                                      np.arange(n) % 3 + 0.5))
    out["numpy bool"] = telco["Partner"] == "Yes"
    out["pandas categorical, an unused category"] = pd.Series(pd.Categorical(
        telco["Contract"], categories=[*telco["Contract"].unique(), "never"]))
    out["object: 1, True, '1', None"] = pd.Series([1, True, "1", None, 1.0, "x"] * 50,
                                                  dtype=object)
    return out


@pytest.mark.parametrize("name", list(_columns()))
def test_label_counts_equal_labelling_every_row(name: str) -> None:
    series = _columns()[name]
    nulls, counts = label_counts(series)
    assert (nulls, Counter(counts)) == _per_row(series)


def test_accumulator_counts_batch_by_batch_as_labelled_rows() -> None:
    series = _columns()["PaymentMethod as categorical"]
    acc = CategoryAccumulator()
    for start in range(0, len(series), 97):
        acc.update(series.iloc[start:start + 97])
    nulls, expected = _per_row(series)
    assert (acc.rows, acc.nulls, acc.counts) == (len(series), nulls, expected)

"""Column profiles: what a reference keeps of one column, as plain JSON-able dicts.

Every profile says its ``kind`` and counts its rows and missing values. A ``numeric`` profile
holds quantile bin edges (interior edges only: the outer bins are open-ended) with a count per
bin, min/max/mean/std and a sketch of ``SKETCH_POINTS`` quantiles that stands in for the values in
the KS and Wasserstein statistics. A ``categorical`` profile holds the counts of the most frequent
categories and an ``other`` bucket. Text is profiled by its length (a numeric profile of the
character count, plus token-count statistics); datetimes as epoch seconds.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

N_BINS = 10  # quantile bins of a number column (fewer when values repeat)
SKETCH_POINTS = 200  # quantiles kept for KS / Wasserstein
MAX_CATEGORIES = 50  # categories kept by name; the rest count as 'other'
PROFILED_KINDS = ("numeric", "categorical", "boolean", "datetime", "text")


def as_numbers(series: pd.Series, kind: str) -> np.ndarray:
    """The values of a numeric, datetime (epoch seconds) or text (character count) column as
    float64, missing values as NaN."""
    if kind == "datetime":
        stamps = pd.to_datetime(series, errors="coerce", utc=True)
        out = (stamps - pd.Timestamp(0, tz="UTC")).dt.total_seconds()
        return out.to_numpy(dtype="float64", na_value=np.nan)
    if kind == "text":
        text = series.astype("string")
        return text.str.len().to_numpy(dtype="float64", na_value=np.nan)
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def as_labels(series: pd.Series) -> pd.Series:
    """Category values as text (booleans and numbers too), missing values left missing."""
    mask = series.isna()
    text = series.astype(object).where(~mask, None)
    return text.map(lambda v: None if v is None else str(v))


def label_counts(series: pd.Series) -> tuple[int, dict[str, int]]:
    """Missing values and the count of each label as ``as_labels`` writes it, counted on the raw
    values and the distinct values turned into text, instead of a Python call per row. Object
    columns go through ``as_labels`` (mixed values such as ``1`` and ``True`` compare equal, but
    are two labels)."""
    missing = series.isna()
    if series.dtype == object:
        counts = as_labels(series).dropna().value_counts()
    else:
        counts = series[~missing].value_counts()
    out: dict[str, int] = {}
    for value, count in counts.items():
        if count:  # a categorical dtype lists its unused categories with count 0
            out[str(value)] = out.get(str(value), 0) + int(count)
    return int(missing.sum()), out


def numeric_profile(values: np.ndarray) -> dict[str, Any]:
    """The numeric profile of ``values`` (float64, NaN for missing)."""
    present = values[~np.isnan(values)]
    out: dict[str, Any] = {"rows": int(values.size), "nulls": int(values.size - present.size)}
    if present.size == 0:
        return {**out, "edges": [], "counts": [], "sketch": [], "min": None, "max": None,
                "mean": None, "std": None}
    inner = np.quantile(present, np.arange(1, N_BINS) / N_BINS, method="inverted_cdf")
    edges = np.unique(inner)
    levels = (np.arange(SKETCH_POINTS) + 0.5) / SKETCH_POINTS
    return {
        **out,
        "edges": edges.tolist(),
        "counts": bin_counts(present, edges).tolist(),
        "sketch": np.quantile(present, levels, method="inverted_cdf").tolist(),
        "min": float(present.min()),
        "max": float(present.max()),
        "mean": float(present.mean()),
        "std": float(present.std()),
    }


def bin_counts(values: np.ndarray, edges: np.ndarray | list[float]) -> np.ndarray:
    """Counts of ``values`` (no NaN) in the bins ``(-inf, e0], (e0, e1], ..., (ek, inf)``."""
    index = np.searchsorted(np.asarray(edges, dtype="float64"), values, side="left")
    return np.bincount(index, minlength=len(edges) + 1)


def categorical_profile(series: pd.Series) -> dict[str, Any]:
    """The categorical profile: counts of the top ``MAX_CATEGORIES`` values and the rest."""
    labels = as_labels(series)
    counts = labels.dropna().value_counts()
    top = counts.iloc[:MAX_CATEGORIES]
    return {
        "rows": int(len(labels)),
        "nulls": int(labels.isna().sum()),
        "categories": {str(k): int(v) for k, v in top.items()},
        "other": int(counts.iloc[MAX_CATEGORIES:].sum()),
        "distinct": int(counts.size),
    }


def column_profile(series: pd.Series, kind: str) -> dict[str, Any]:
    """The profile of one input column of ``kind`` (a schema kind)."""
    if kind in ("categorical", "boolean"):
        return {"kind": kind, "stat_kind": "categorical", **categorical_profile(series)}
    profile = {"kind": kind, "stat_kind": "numeric", **numeric_profile(as_numbers(series, kind))}
    if kind == "text":
        tokens = series.astype("string").str.split().str.len()
        tokens = tokens.to_numpy(dtype="float64", na_value=np.nan)
        tokens = tokens[~np.isnan(tokens)]
        profile["measure"] = "characters"
        profile["tokens"] = {"mean": float(tokens.mean()) if tokens.size else None,
                             "std": float(tokens.std()) if tokens.size else None,
                             "max": float(tokens.max()) if tokens.size else None}
    if kind == "datetime":
        profile["measure"] = "epoch seconds"
    return profile


def output_profile(series: pd.Series, categorical: bool) -> dict[str, Any]:
    """The profile of one model output: a predicted label, a value or a probability."""
    if categorical:
        return {"kind": "categorical", "stat_kind": "categorical", **categorical_profile(series)}
    return {"kind": "numeric", "stat_kind": "numeric",
            **numeric_profile(as_numbers(series, "numeric"))}

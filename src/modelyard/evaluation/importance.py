"""Permutation importance on raw input rows: how much the score drops when one column is shuffled.

The model is a black box here: ``score_fn(frame) -> float`` predicts on raw rows and scores the
predictions (the pipeline passes a closure over the model bundle's ``predict`` and the true
labels). Shuffling a raw column breaks its link to the target while keeping its distribution, so
the drop in score is what the model relies on that column for, through whatever preprocessing
follows.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import DataError, SpecError


def _call(score_fn: Callable[[pd.DataFrame], float], frame: pd.DataFrame, what: str) -> float:
    value = float(score_fn(frame))
    if not math.isfinite(value):
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(f"score_fn returned {value} on {what}",
                        hint="score_fn must return a finite score for any rows it is given")
    return value


def permutation_importance(score_fn: Callable[[pd.DataFrame], float], frame: pd.DataFrame, *,
                           n_repeats: int = 5, seed: int = 0, max_rows: int = 2000,
                           greater_is_better: bool = True) -> list[dict[str, Any]]:
    """Importance of each column of ``frame``, most important first.

    For each column and each of ``n_repeats`` repeats the column is permuted (from
    ``numpy.random.default_rng([seed, column position])``, so results do not depend on the other
    columns) and the rows are scored again; ``importance = baseline score - permuted score`` for a
    greater-is-better score, the opposite for a loss, so a positive importance always means the
    model needs the column.

    When ``frame`` has more than ``max_rows`` rows a seeded subsample of them is scored. The rows
    keep their original index, so ``score_fn`` must pick its true labels by ``frame.index``.

    Returns ``[{"feature", "importance_mean", "importance_std"}]`` sorted by ``importance_mean``
    descending (ties keep column order).
    """
    if isinstance(n_repeats, bool) or not isinstance(n_repeats, int) or n_repeats < 1:
        raise SpecError(f"n_repeats must be a positive integer; got {n_repeats!r}", hint="e.g. 5")
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 2:
        raise SpecError(f"max_rows must be an integer >= 2; got {max_rows!r}", hint="e.g. 2000")
    if not isinstance(frame, pd.DataFrame) or len(frame) < 2 or frame.shape[1] == 0:
        raise DataError(
            "permutation importance needs a DataFrame with at least 2 rows and 1 column; got "
            f"{type(frame).__name__} of shape {getattr(frame, 'shape', None)}",
            hint="pass the raw feature columns of the rows to explain (e.g. the test rows)",
        )
    if not frame.columns.is_unique:
        raise DataError("permutation importance needs unique column names; duplicated: "
                        + ", ".join(map(str, frame.columns[frame.columns.duplicated()])),
                        hint="rename the duplicated columns")
    if len(frame) > max_rows:
        keep = np.sort(np.random.default_rng(seed).choice(len(frame), max_rows, replace=False))
        frame = frame.iloc[keep]
    work = frame.copy()
    sign = 1.0 if greater_is_better else -1.0
    baseline = _call(score_fn, work, "the unpermuted rows")
    results = []
    for position, column in enumerate(frame.columns):
        rng = np.random.default_rng([seed, position])
        original = frame[column]
        drops = np.empty(n_repeats)
        for repeat in range(n_repeats):
            shuffled = original.to_numpy()[rng.permutation(len(frame))]
            work[column] = pd.Series(shuffled, index=frame.index, dtype=original.dtype)
            permuted = _call(score_fn, work, f"rows with '{column}' permuted")
            drops[repeat] = sign * (baseline - permuted)
        work[column] = original
        results.append({
            "feature": str(column),
            "importance_mean": float(drops.mean()),
            "importance_std": float(drops.std(ddof=1)) if n_repeats > 1 else 0.0,
        })
    results.sort(key=lambda r: -r["importance_mean"])  # stable: ties keep column order
    return results

"""Target encoding arithmetic: smoothed per-category target means, in-fold and out-of-fold.

A category's encoding is its mean target pulled toward the prior (the mean over all rows used)::

    encoding(c) = (sum of targets in c + SMOOTHING * prior) / (count of c + SMOOTHING)

so a category seen a few times sits near the prior and a frequent one near its own mean. An unseen
category gets the prior exactly. The target is a matrix ``Y`` (rows x k): the value itself for
regression (k = 1), the indicator of the positive class (the larger label) for binary (k = 1), one
indicator column per class for multiclass (k = number of classes).

Leakage: encodings that training rows see must not use their own target. ``out_of_fold`` splits the
rows into ``N_FOLDS`` folds with a seeded permutation and encodes each fold with the table (and the
prior) computed on the other folds only. Serving uses the table fitted on all training rows.

Categories arrive as integer codes ``0..n_slots-1`` (the caller reserves a slot for "missing");
``-1`` means unseen and maps to the prior.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import DataError, SpecError, did_you_mean

TASKS = ("binary", "multiclass", "regression")
SMOOTHING = 10.0  # weight of the prior, in rows: a category needs ~10 rows to move halfway
N_FOLDS = 5


def infer_task(y: np.ndarray) -> str:
    """The task a target implies, by the rule the learners use: float -> regression."""
    if np.issubdtype(y.dtype, np.floating):
        return "regression"
    return "binary" if len(pd.unique(y)) <= 2 else "multiclass"


def target_matrix(y: Any, task: str | None, n_rows: int) -> tuple[np.ndarray, list[str], str]:
    """``(Y, labels, task)``: the target as a float matrix, one label per column, and the task.

    ``labels`` is ``['']`` for a single column (regression, binary) and the class labels as strings
    for multiclass. Raises ``DataError`` for a missing target, a length mismatch or missing values.
    """
    if y is None:
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            "target encoding needs the target, but no y was given and the frame has no target "
            "column",
            hint="pass y=... to fit/fit_transform, or use high_cardinality='frequency'",
        )
    arr = np.asarray(y.to_numpy() if isinstance(y, (pd.Series, pd.Index)) else y)
    if arr.ndim != 1 or len(arr) != n_rows:
        raise DataError(
            f"target has shape {arr.shape}, expected a 1-d array of {n_rows} values (one per row)",
            hint="pass the target of exactly the rows given to fit",
        )
    if pd.isna(arr).any():
        raise DataError(
            f"target has {int(pd.isna(arr).sum())} missing value(s); target encoding needs "
            "every row's",
            hint="drop rows without a target before fitting",
        )
    task = task or infer_task(arr)
    if task not in TASKS:
        raise SpecError(f"unknown task '{task}'", hint=did_you_mean(str(task), TASKS))
    if task == "regression":
        try:
            return arr.astype(np.float64)[:, None], [""], task
        except (TypeError, ValueError) as err:
            raise DataError(
                f"regression target is not numeric (dtype {arr.dtype})",
                hint="convert the target to numbers, or pass task='binary'/'multiclass'",
            ) from err
    classes = np.unique(arr.astype(object) if arr.dtype.kind in "OUT" else arr)
    if task == "binary":
        if len(classes) > 2:
            raise DataError(
                f"task is binary but the target has {len(classes)} classes",
                hint="pass task='multiclass'",
            )
        return (arr == classes[-1]).astype(np.float64)[:, None], [""], task
    return (arr[:, None] == classes[None, :]).astype(np.float64), [str(c) for c in classes], task


def smoothed_means(
    codes: np.ndarray, Y: np.ndarray, n_slots: int, prior: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """``(table, prior)``: the smoothed mean of ``Y`` per code (n_slots x k) and the prior (k,)."""
    if prior is None:
        prior = Y.mean(axis=0) if len(Y) else np.zeros(Y.shape[1])
    counts = np.bincount(codes, minlength=n_slots).astype(np.float64)
    sums = np.column_stack(
        [np.bincount(codes, weights=Y[:, j], minlength=n_slots) for j in range(Y.shape[1])]
    )
    table = (sums + SMOOTHING * prior[None, :]) / (counts[:, None] + SMOOTHING)
    return table, prior


def encode(codes: np.ndarray, table: np.ndarray, prior: np.ndarray) -> np.ndarray:
    """Rows x k encodings: the table row of each code, the prior where the code is -1."""
    out = table[np.where(codes >= 0, codes, 0)]
    out[codes < 0] = prior
    return out


def out_of_fold(codes: np.ndarray, Y: np.ndarray, n_slots: int, seed: int) -> np.ndarray:
    """Encode every row with statistics from the other folds only (seeded K-fold)."""
    n = len(codes)
    n_folds = min(N_FOLDS, n)
    if n_folds < 2:
        raise DataError(
            f"out-of-fold target encoding needs at least 2 training rows, got {n}",
            hint="use high_cardinality='frequency' for tiny tables",
        )
    order = np.random.default_rng(seed).permutation(n)
    out = np.empty((n, Y.shape[1]), dtype=np.float64)
    for fold in np.array_split(order, n_folds):
        others = np.ones(n, dtype=bool)
        others[fold] = False
        table, prior = smoothed_means(codes[others], Y[others], n_slots)
        out[fold] = encode(codes[fold], table, prior)
    return out

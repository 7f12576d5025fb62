"""The data of bench/drift.py: bank_marketing widened to 100 columns and resampled, with a known
set of shifted columns.

Column ``i`` (0..99) is a copy of bank_marketing feature ``FEATURES[i % 16]`` named
``<feature>_<copy>`` with ``copy = i // 16`` (so 6 copies of every feature, and a seventh of the
first four). Rows are drawn with replacement from the 45,211 real rows (a seeded draw per table);
copy 0 keeps the drawn rows as they are (the real columns, and the target, row by row); every
other copy draws its own rows, so copies are not duplicates of each other, and a number copy
adds Gaussian noise of 5 % of the column's standard deviation (its values become floats).

The current table then shifts some copies (``PLAN``; the reference table is never shifted):

- copies 1, 3, 4 and 6 drift: numbers move by +0.5 standard deviations (copy 1), get 30 % of
  their rows replaced by values from the reference's top decile (copy 3), move by -0.5 standard
  deviations (copy 4 and 6); categories get 40 % of their rows set to the reference's rarest
  category (copy 1), 40 % set to its second most frequent (copy 3), 50 % set to the rarest
  (copy 4) or the second (copy 6). 52 of 100 columns.
- copy 5 moves a little: 2 % of the rows replaced by values from the reference's top decile, or
  set to its rarest category. Neither tool should call that drift (16 columns).
- copies 0 and 2 are fresh draws from the same rows (32 columns).

A first design moved copy 5's numbers by +0.03 standard deviations instead. On the columns whose
values sit mostly on one value (pdays -1, previous 0, campaign 1; with the noise, a narrow spike)
that moves the spike by more than its own width: modelyard's KS and PSI called it drift and
Evidently's Wasserstein distance, divided by the whole column's standard deviation (which the
long tail makes large), did not. Both read the data correctly by their own definitions; the
small shift is now one that is small by every measure.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TARGET = "deposit"
COLUMNS = 100
# copy -> (shift of a number column, shift of a category column); absent: not shifted
PLAN: dict[int, tuple[tuple[str, float], tuple[str, float]]] = {
    1: (("shift", 0.5), ("rarest", 0.4)),
    3: (("top_decile", 0.3), ("second", 0.4)),
    4: (("shift", -0.5), ("rarest", 0.5)),
    5: (("top_decile", 0.02), ("rarest", 0.02)),
    6: (("shift", -0.5), ("second", 0.5)),
}
DRIFTED_COPIES = (1, 3, 4, 6)


def source_frame(path: str) -> pd.DataFrame:
    return pd.read_csv(path)


def features_of(source: pd.DataFrame) -> list[str]:
    return [c for c in source.columns if c != TARGET]


def column_names(source: pd.DataFrame, n_columns: int = COLUMNS) -> list[tuple[str, str, int]]:
    """(column name, source feature, copy) of each of the ``n_columns`` columns."""
    features = features_of(source)
    return [(f"{features[i % len(features)]}_{i // len(features)}", features[i % len(features)],
             i // len(features)) for i in range(n_columns)]


def widened(source: pd.DataFrame, rows: int, seed: int, n_columns: int = COLUMNS,
            *, shift: bool, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """``rows`` rows of the ``n_columns`` columns (plus the target, drawn with copy 0), shifted
    per ``PLAN`` when ``shift`` (then ``reference``, the unshifted reference table, gives the
    standard deviations, deciles and category frequencies the shifts use)."""
    rng = np.random.default_rng(seed)
    out: dict[str, np.ndarray] = {}
    base = rng.integers(0, len(source), rows)
    for name, feature, copy in column_names(source, n_columns):
        values = source[feature].to_numpy()
        drawn = values[base if copy == 0 else rng.integers(0, len(source), rows)]
        numeric = pd.api.types.is_numeric_dtype(source[feature])
        if numeric and copy > 0:
            drawn = drawn.astype("float64") + rng.normal(0, 0.05 * values.std(), rows)
        if shift and copy in PLAN:
            drawn = _shifted(drawn, reference[name], PLAN[copy][0 if numeric else 1], rng)
        out[name] = drawn
    out[TARGET] = source[TARGET].to_numpy()[base]
    return pd.DataFrame(out)


def _shifted(values: np.ndarray, reference: pd.Series, how: tuple[str, float],
             rng: np.random.Generator) -> np.ndarray:
    kind, amount = how
    values = values.copy()
    if kind == "shift":
        return values.astype("float64") + amount * float(reference.std())
    picked = rng.random(len(values)) < amount
    if kind == "top_decile":
        top = reference[reference >= reference.quantile(0.9)].to_numpy()
        values = values.astype("float64")
        values[picked] = top[rng.integers(0, len(top), int(picked.sum()))]
        return values
    frequencies = reference.value_counts()
    label = frequencies.index[-1] if kind == "rarest" else frequencies.index[1]
    values[picked] = label
    return values


def expected_drift(name: str) -> bool:
    """Whether the plan shifted column ``name`` enough to call it drift."""
    return int(name.rsplit("_", 1)[1]) in DRIFTED_COPIES

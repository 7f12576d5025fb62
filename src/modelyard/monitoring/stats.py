"""Streaming accumulators for the current rows of one column, and the drift statistics that
compare them with the column's reference profile.

An accumulator takes the rows batch by batch and keeps a bounded state: counts on the
reference's bins (or per category), missing values, and for numbers a seeded uniform sample of
at most ``sample_size`` values (each value draws a random key; the ``sample_size`` smallest keys
are kept), so the result does not depend on how the rows were cut into batches.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from modelyard.monitoring.profile import bin_counts, label_counts

EPS = 1e-4  # share given to an empty bin in PSI, so a bin that empties does not divide by zero
MAX_TRACKED = 1000  # distinct current categories counted by name; more count as 'other'
OTHER, UNSEEN = "(other)", "(unseen)"


class NumericAccumulator:
    """Counts on the reference's bins, missing values and a bounded sample of one column."""

    def __init__(self, profile: dict[str, Any], sample_size: int, seed: int) -> None:
        self.edges = np.asarray(profile["edges"], dtype="float64")
        self.counts = np.zeros(len(self.edges) + 1, dtype="int64")
        self.rows = self.nulls = 0
        self.total = 0.0
        self.sample_size = sample_size
        self.sample = np.empty(0)
        self._keys = np.empty(0)
        self._rng = np.random.default_rng(seed)

    def update(self, values: np.ndarray) -> None:
        missing = ~np.isfinite(values)
        present = values[~missing]
        self.rows += values.size
        self.nulls += int(missing.sum())
        self.total += float(present.sum())
        self.counts += bin_counts(present, self.edges)
        keys = np.concatenate([self._keys, self._rng.random(present.size)])
        kept = np.concatenate([self.sample, present])
        if keys.size > self.sample_size:
            index = np.argpartition(keys, self.sample_size - 1)[: self.sample_size]
            keys, kept = keys[index], kept[index]
        self._keys, self.sample = keys, kept


class CategoryAccumulator:
    """Counts per category (the first ``MAX_TRACKED`` distinct values by name) and nulls."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.overflow = 0
        self.rows = self.nulls = 0

    def update(self, values: Any) -> None:
        """Count a batch of values (labels as ``profile.as_labels`` writes them)."""
        nulls, counts = label_counts(values)
        self.rows += len(values)
        self.nulls += nulls
        for key, count in counts.items():
            if key in self.counts or len(self.counts) < MAX_TRACKED:
                self.counts[key] += count
            else:
                self.overflow += count


def psi(reference: np.ndarray, current: np.ndarray) -> float:
    """Population stability index of two count vectors over the same bins."""
    p = np.clip(reference / max(reference.sum(), 1), EPS, None)
    q = np.clip(current / max(current.sum(), 1), EPS, None)
    return float(np.sum((q - p) * np.log(q / p)))


def numeric_drift(profile: dict[str, Any], acc: NumericAccumulator) -> dict[str, Any]:
    """PSI on the reference bins; KS (statistic, p-value) and Wasserstein (in reference standard
    deviations) between the reference's quantile sketch and the current sample."""
    ref_counts = np.asarray(profile["counts"], dtype="float64")
    out: dict[str, Any] = {"psi": psi(ref_counts, acc.counts.astype("float64"))}
    sketch = np.asarray(profile["sketch"], dtype="float64")
    n_ref, n_cur = profile["rows"] - profile["nulls"], acc.rows - acc.nulls
    if sketch.size and acc.sample.size:
        d = float(sps.ks_2samp(sketch, acc.sample).statistic)
        # the p-value of the full sizes (the sketch and the sample stand in for the rows)
        en = n_ref * n_cur / (n_ref + n_cur)
        root = np.sqrt(en)
        out["ks"] = d
        out["ks_pvalue"] = float(sps.kstwobign.sf((root + 0.12 + 0.11 / root) * d))
        spread = profile["std"] or (profile["max"] - profile["min"]) or 1.0
        out["wasserstein"] = float(sps.wasserstein_distance(sketch, acc.sample) / spread)
    out["mean"] = acc.total / n_cur if n_cur else None
    return out


def category_vectors(profile: dict[str, Any],
                     acc: CategoryAccumulator) -> tuple[list[str], np.ndarray, np.ndarray, dict]:
    """Labels and the reference's and current counts over the reference's categories, 'other'
    and 'unseen' (values the reference never held; only knowable when it kept every category),
    with the unseen values' counts."""
    names = list(profile["categories"])
    known = set(names)
    ref = [profile["categories"][n] for n in names]
    cur = [acc.counts.get(n, 0) for n in names]
    outside = {k: v for k, v in acc.counts.items() if k not in known}
    if profile["other"]:  # the reference kept only its top categories: the rest may be old
        unseen: dict[str, int] = {}
        other = sum(outside.values()) + acc.overflow
    else:
        unseen, other = outside, 0
    labels = [*names, OTHER, UNSEEN]
    ref_v = np.asarray([*ref, profile["other"], 0], dtype="float64")
    cur_v = np.asarray([*cur, other, sum(unseen.values()) + (0 if profile["other"]
                                                              else acc.overflow)],
                       dtype="float64")
    return labels, ref_v, cur_v, unseen


def categorical_drift(profile: dict[str, Any], acc: CategoryAccumulator) -> dict[str, Any]:
    """Chi-square p-value, Jensen-Shannon distance (base 2) and PSI over the categories."""
    _, ref, cur, unseen = category_vectors(profile, acc)
    out: dict[str, Any] = {"psi": psi(ref, cur), "unseen": int(sum(unseen.values()))}
    if ref.sum() and cur.sum():
        out["js"] = float(jensenshannon(ref / ref.sum(), cur / cur.sum(), base=2))
        keep = (ref + cur) > 0
        if keep.sum() > 1:
            table = np.vstack([ref[keep], cur[keep]])
            out["chi2_pvalue"] = float(sps.chi2_contingency(table, correction=False).pvalue)
        else:
            out["chi2_pvalue"] = 1.0
    return out


def drift_reasons(stat_kind: str, values: dict[str, Any], null_change: float,
                  limits: Any) -> list[str]:
    """Why a column drifted under the thresholds ``limits`` (a MonitoringSpec); empty: it did
    not."""
    reasons = []
    if values.get("psi", 0.0) >= limits.psi:
        reasons.append(f"psi {values['psi']:.3g} >= {limits.psi:g}")
    if stat_kind == "numeric":
        if values.get("ks_pvalue", 1.0) < limits.ks_pvalue \
                and values.get("ks", 0.0) >= limits.ks_statistic:
            reasons.append(f"ks {values['ks']:.3g} (p {values['ks_pvalue']:.2g})")
        if limits.wasserstein is not None and values.get("wasserstein", 0.0) >= limits.wasserstein:
            reasons.append(f"wasserstein {values['wasserstein']:.3g} >= {limits.wasserstein:g}")
    else:
        if values.get("js", 0.0) >= limits.js:
            reasons.append(f"js {values['js']:.3g} >= {limits.js:g}")
        if values.get("chi2_pvalue", 1.0) < limits.chi2_pvalue \
                and values.get("psi", 0.0) >= limits.psi / 2:
            reasons.append(f"chi2 p {values['chi2_pvalue']:.2g}")
    if abs(null_change) >= limits.null_rate:
        reasons.append(f"null rate {null_change:+.2f}")
    return reasons

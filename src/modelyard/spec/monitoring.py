"""The ``monitoring:`` section of the spec: when ``modelyard monitor drift`` calls a column drifted.

Plain values only (layer 0). The statistics themselves live in ``modelyard.monitoring``; the
version's stored spec gives these thresholds, and ``monitor drift --threshold KEY=VALUE`` may
override one for a single check.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MonitoringSpec(BaseModel):
    """Thresholds of the drift check, and how much of the log it keeps in memory."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    psi: float = Field(
        0.2, gt=0, description="Population stability index at or above which a column drifted "
        "(numbers on the reference's quantile bins, categories on their frequencies).")
    ks_pvalue: float = Field(
        0.01, gt=0, lt=1, description="Kolmogorov-Smirnov p-value below which a number column "
        "drifted, when its KS statistic also reaches ks_statistic.")
    ks_statistic: float = Field(
        0.1, ge=0, le=1, description="The smallest KS statistic (largest gap between the two "
        "cumulative distributions) that counts: large windows make tiny shifts significant.")
    wasserstein: float | None = Field(
        None, gt=0, description="Wasserstein distance, in reference standard deviations, at or "
        "above which a number column drifted (none: reported, not used).")
    chi2_pvalue: float = Field(
        0.01, gt=0, lt=1, description="Chi-square p-value below which a category column "
        "drifted, when its PSI also reaches half of psi.")
    js: float = Field(
        0.1, gt=0, le=1, description="Jensen-Shannon distance (base 2) at or above which a "
        "category column drifted.")
    null_rate: float = Field(
        0.1, gt=0, le=1, description="Change of a column's share of missing values at or above "
        "which it drifted.")
    drift_share: float = Field(
        0.3, gt=0, le=1, description="Share of compared input columns that must drift for the "
        "verdict 'drift' (a drifted prediction is drift on its own).")
    ignore: list[str] = Field(
        default_factory=list, description="Input columns measured and reported but left out of "
        "the verdict: a timestamp, a counter or a month that drifts by construction.")
    min_rows: int = Field(
        100, ge=1, description="Fewer rows in the window than this is an error: too few to say.")
    sample_size: int = Field(
        20_000, ge=100, description="Values kept per number column (a seeded uniform sample) "
        "for KS and Wasserstein; binned counts use every row.")

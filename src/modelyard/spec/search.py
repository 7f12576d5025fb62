"""The ``search:`` section of the spec: find the best model under a time budget.

Only plain values live here (layer 0); the search itself (``modelyard.search``) checks the names it
receives against its registries at run time: an unknown learner or metric is a ``SpecError`` that
lists the valid ones.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The metric a search optimises when the spec names none, per task.
DEFAULT_SEARCH_METRIC = {"binary": "roc_auc", "multiclass": "accuracy", "regression": "rmse"}


class SearchSpec(BaseModel):
    """Search for the best learner, hyperparameters and ensemble within a budget.

    At least one of ``time_budget`` and ``max_trials`` bounds the search. With ``max_trials`` and no
    ``time_budget`` the search is reproducible: the same seed gives the same trials, scores and
    predictions.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    time_budget: float | None = Field(
        None,
        gt=0,
        description="Wall-clock seconds for the whole search, final refit and ensemble included.",
    )
    metric: str | None = Field(
        None,
        description="Metric to optimise (default: roc_auc for binary, accuracy for "
        "multiclass, rmse for regression).",
    )
    learners: list[str] | None = Field(
        None, description="Learners to try (default: every learner that serves the task)."
    )
    max_trials: int | None = Field(None, ge=1, description="Stop after this many trials.")
    folds: int | None = Field(
        None,
        ge=2,
        description="k-fold bagging with this many folds (default: 5 folds below "
        "50,000 rows, a holdout split above).",
    )
    parallel: int | Literal["auto"] = Field(
        "auto",
        description="Trials run at once, in local worker processes. 'auto': one per CPU core "
        "this process may use (at most 8, as many as the free memory holds) when the search has a "
        "time budget, one at a time when "
        "max_trials alone bounds it (so its leaderboard is the same on every machine).",
    )
    ensemble: bool = Field(True, description="Build a greedy ensemble of the best candidates.")
    deploy: Literal["refit", "bagged"] = Field(
        "refit",
        description="What the search registers. 'refit': each ensemble member fitted once more "
        "on every row the search saw, with the boosting rounds (or epochs) its folds found: one "
        "model per member (under 10,000 rows, three seeds averaged for a member whose fit is "
        "random), fast to serve; its score estimate is the bagged out-of-fold score. "
        "'bagged': the models validation scored (k fold models per member under k-fold).",
    )

    max_latency_ms: float | None = Field(
        None,
        gt=0,
        description="Single-row latency limit in milliseconds: the search measures each "
        "candidate's p99 on real rows (one fold model's predict_row: what one deployed member "
        "costs, times the folds under deploy 'bagged' or the seeds a refit averages) and the "
        "ensemble it picks answers within it (its members' costs added up); the report says "
        "what the limit cost in score.",
    )

    @field_validator("parallel", mode="before")
    @classmethod
    def _parallel_auto_or_positive(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value)
        if value == "auto" or (isinstance(value, int) and not isinstance(value, bool)
                               and value >= 1):
            return value
        raise ValueError(f"parallel must be 'auto' or an integer >= 1; got {value!r}")

    @field_validator("learners")
    @classmethod
    def _learners_listed(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("learners must name at least one learner (or be left out for all)")
        doubled = sorted({name for name in value if value.count(name) > 1})
        if doubled:
            raise ValueError(f"learners lists {doubled} more than once; name each learner once")
        return value

    @model_validator(mode="after")
    def _bounded(self) -> SearchSpec:
        if self.time_budget is None and self.max_trials is None:
            raise ValueError(
                "a search needs a bound: set time_budget (seconds, e.g. 120) or max_trials "
                "(e.g. 20), or both"
            )
        return self

    def metric_for(self, task: str) -> str:
        """The metric to optimise for ``task``: the one set here, else the task's default."""
        return self.metric or DEFAULT_SEARCH_METRIC[task]

"""The ``retrain:`` section of a spec: when to retrain a deployed model, and when the new model
(the challenger) may replace the one the alias points at (the champion).

    retrain:
      alias: production
      margin: 0.01              # the challenger must beat the champion by this much
      test: {confidence: 0.95}  # paired bootstrap over the same fresh test rows
      triggers:
        schedule: "0 3 * * 1"   # cron: Mondays 03:00 UTC
        new_data: true          # the source's fingerprint differs from the champion's data
        drift: {metric: f1, below: 0.7}   # or `drift: true` for the drift verdict
      webhook: https://hooks.example.com/modelyard
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from modelyard.names import NAME_RULE, is_name


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PairedTest(_Strict):
    """How sure the comparison must be: a paired bootstrap of the difference on the same rows."""

    method: Literal["paired_bootstrap"] = "paired_bootstrap"
    confidence: Annotated[float, Field(gt=0, lt=1)] = Field(
        0.95, description="Two-sided level of the interval of the difference."
    )
    resamples: Annotated[int, Field(ge=100, le=100_000)] = 1000


class DriftTrigger(_Strict):
    """Fire on the drift verdict (no metric), or when a live metric crosses a threshold on its
    worse side: `below` for a score (f1, roc_auc, r2), `above` for an error (rmse, mae)."""

    since: str = Field("7d", description="The prediction-log window the drift check reads.")
    metric: str | None = Field(None, description="A live metric, e.g. f1 (needs `below` or "
                               "`above`).")
    below: float | None = Field(None, description="Fire when the latest window's metric is under "
                                "(a metric where greater is better).")
    above: float | None = Field(None, description="Fire when the latest window's metric is over "
                                "(an error such as rmse).")
    window: str = Field("1d", description="The live-performance window.")

    @field_validator("since", "window")
    @classmethod
    def _duration(cls, value: str, info) -> str:
        from modelyard.durations import GRAMMAR, parse_duration
        from modelyard.errors import SpecError

        try:
            parse_duration(value, info.field_name)
        except SpecError:
            raise ValueError(f"expected {GRAMMAR}, e.g. 7d, 12h or 1.5d") from None
        return value

    @model_validator(mode="after")
    def _metric_and_threshold(self):
        thresholds = (self.below is not None) + (self.above is not None)
        if (self.metric is None) != (thresholds == 0) or thresholds > 1:
            raise ValueError("give 'metric' and one of 'below' (a score: {metric: f1, below: "
                             "0.7}) or 'above' (an error: {metric: rmse, above: 50}), or none of "
                             "them for the drift verdict")
        return self


class Triggers(_Strict):
    """What makes `modelyard retrain` (without --force) and `modelyard watch` retrain."""

    schedule: str | None = Field(None, description="A cron expression (UTC), e.g. '0 3 * * 1'.")
    new_data: bool = Field(False, description="Retrain when the source's rows changed.")
    drift: DriftTrigger | None = Field(None, description="true, or {metric: f1, below: 0.7}.")

    @field_validator("schedule")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from croniter import croniter

        if not isinstance(value, str) or not croniter.is_valid(value):
            raise ValueError(
                f"the cron expression {value!r} does not parse: expected five fields "
                "'minute hour day-of-month month day-of-week', e.g. '0 3 * * 1' (Mondays 03:00)"
            )
        return value

    @field_validator("drift", mode="before")
    @classmethod
    def _drift_flag(cls, value):
        if value is True:
            return {}
        if value is False:
            return None
        return value

    @property
    def names(self) -> list[str]:
        """The triggers that are set, in checking order."""
        return [n for n, on in (("schedule", self.schedule is not None),
                                ("new_data", self.new_data), ("drift", self.drift is not None))
                if on]


class RetrainSpec(_Strict):
    """When to retrain, and what a challenger must show to take the alias."""

    alias: str = Field("production", description="The alias the retrain guards and moves.")
    margin: float = Field(
        0.0, description="How much better on the primary metric (in its direction) the "
        "challenger must be; negative accepts a slightly worse one."
    )
    test: PairedTest = Field(default_factory=PairedTest)
    triggers: Triggers = Field(default_factory=Triggers)
    webhook: str | None = Field(None, description="URL that receives each retrain event (POST).")
    lease_seconds: Annotated[float, Field(gt=0)] = Field(
        600, description="A watcher's hold on a model while it retrains, renewed as it runs."
    )

    @field_validator("alias")
    @classmethod
    def _alias_rule(cls, value: str) -> str:
        if not is_name(value):
            raise ValueError(f"an alias is {NAME_RULE}, e.g. production")
        return value

    @field_validator("webhook")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not is_webhook_url(value):
            raise ValueError(f"the webhook {value!r} is not an http:// or https:// URL with a "
                             "host, e.g. https://hooks.example.com/modelyard")
        return value


def is_webhook_url(value: object) -> bool:
    """Whether ``value`` is an http(s) URL with a host (what the webhook POSTs can reach)."""
    from urllib.parse import urlsplit

    if not isinstance(value, str) or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a malformed port or IPv6 address
        return False

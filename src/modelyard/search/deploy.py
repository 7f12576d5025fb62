"""Deployment variants of a search's ensemble: the validated (bagged) models, or a refit.

Under k-fold bagging each ensemble member's final model is the average of its k fold models:
sound for the out-of-fold score, slow to serve (k models per member, each with its own
preprocessing). ``deploy: refit`` (the default) fits each member once more on every row the
search saw, with what its folds found (``refit_params``): the mean of their boosting rounds, or a
network's early-stopped epochs (with early stopping then off), and for a member whose fit is
random on the same rows, several fits with their own seeds averaged (``refit_seeds``). The refit
has no out-of-fold predictions of its own: its score estimate is the bagged out-of-fold score, as
AutoGluon's ``refit_full`` does. A refit that the budget cannot afford, or that the budget cut
short, is not used: the member stays bagged and a note says so.

Both variants are described (``Variant``): models, score, single-row latency measured with
``predict_row`` on real rows (median and p99, ``model.latency.measure_row_latency``) and saved
size in bytes. Under ``search.max_latency_ms`` the deployment also says what the limit chose and
what it cost (``LatencyLimit``).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import SpecError
from modelyard.model import ModelBundle
from modelyard.model.base import FittedModel
from modelyard.model.latency import measure_row_latency
from modelyard.search.budget import Budget
from modelyard.search.trial import TrialData, TrialResult, fit_fold

DEPLOY_CHOICES = ("refit", "bagged")
REFIT_SEEDS = 3  # fits averaged in the refit of a member whose fit is random (refit_seeds)
SEEDED_ALWAYS = ("catboost", "mlp")
SEEDED_WHEN_SAMPLING = ("lightgbm", "xgboost")
SEED_STEP = 7919  # the i-th extra fit's seed: the search's seed + i * SEED_STEP
SEEDED_ROWS = 10_000  # refits on this many rows or more fit once (refit_seeds)


@dataclass(frozen=True)
class Variant:
    """One way to deploy the ensemble, as measured at the end of the search.

    ``name``: 'refit', 'bagged' or 'holdout'; ``models``: fitted models it predicts with;
    ``score``: the search metric out of fold (or on the holdout rows); ``score_estimated``: True
    when that score is another variant's, taken as this one's estimate (a refit has no
    out-of-fold rows); latencies in ms over ``latency_rows`` single rows; ``size_bytes`` saved.
    """

    name: str
    models: int
    score: float
    score_estimated: bool
    latency_p50_ms: float
    latency_p99_ms: float
    latency_rows: int
    size_bytes: int
    registered: bool
    model: FittedModel = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "models": self.models,
            "score": self.score,
            "score_estimated": self.score_estimated,
            "latency_p50_ms": round(self.latency_p50_ms, 4),
            "latency_p99_ms": round(self.latency_p99_ms, 4),
            "latency_rows": self.latency_rows,
            "size_bytes": self.size_bytes,
            "registered": self.registered,
        }


@dataclass(frozen=True)
class LatencyLimit:
    """What ``search.max_latency_ms`` did: the limit, the chosen ensemble's estimated single-row
    p99 (its members' p99s added up, each as deployed), its out-of-fold score, the score the
    selection reached without the limit, and the candidates too slow on their own."""

    max_latency_ms: float
    estimated_ms: float
    score: float
    unconstrained_score: float
    greater_is_better: bool
    too_slow: int

    @property
    def cost(self) -> float:
        """Score given up for the limit, in the metric's units (0 when it cost nothing)."""
        sign = 1.0 if self.greater_is_better else -1.0
        return max(0.0, sign * (self.unconstrained_score - self.score))

    def to_dict(self) -> dict[str, Any]:
        return {
            "max_latency_ms": self.max_latency_ms,
            "estimated_ms": round(self.estimated_ms, 4),
            "score": self.score,
            "unconstrained_score": self.unconstrained_score,
            "cost": self.cost,
            "too_slow": self.too_slow,
        }


@dataclass(frozen=True)
class Deployment:
    """What ``search.deploy`` asked for, the variant registered, and every variant built."""

    deploy: str
    registered: str
    variants: tuple[Variant, ...]
    refit_members: int  # members refitted on every row (0 under 'bagged')
    bagged_members: int  # members left as their validated models
    latency_limit: LatencyLimit | None = None  # search.max_latency_ms, when given

    def variant(self, name: str) -> Variant | None:
        return next((v for v in self.variants if v.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deploy": self.deploy,
            "registered": self.registered,
            "refit_members": self.refit_members,
            "bagged_members": self.bagged_members,
            "variants": [v.to_dict() for v in self.variants],
            "latency_limit": self.latency_limit.to_dict() if self.latency_limit else None,
        }


def check_deploy(deploy: object) -> str:
    """``deploy`` when it is one of ``DEPLOY_CHOICES``, else a ``SpecError``."""
    if deploy not in DEPLOY_CHOICES:
        # hint: python-api: the spec checks it before a search starts
        raise SpecError(
            f"search.deploy: expected one of {', '.join(DEPLOY_CHOICES)}, received {deploy!r}",
            hint="deploy='refit' (one model per member) or 'bagged'",
        )
    return str(deploy)


def refit_params(result: TrialResult, fold_models: list[ModelBundle]) -> tuple[dict, str]:
    """The member's hyperparameters for one fit on every row, and what was taken from its folds.

    Boosters (their learners record ``best_iteration_``): ``n_estimators`` = the mean of the
    folds' rounds (fewer than asked when a fold stopped early). Networks (``best_epoch_``):
    ``epochs`` = the mean of the folds' best epochs, with early stopping off. Others: as searched.
    """
    params = dict(result.spec.params)
    learners = [m.learner for m in fold_models]
    rounds = [getattr(lr, "best_iteration_", None) for lr in learners]
    if rounds and all(isinstance(r, int | np.integer) and r > 0 for r in rounds):
        params["n_estimators"] = max(1, int(round(float(np.mean(rounds)))))
        return params, f"n_estimators={params['n_estimators']} (the folds' mean)"
    epochs = [getattr(lr, "best_epoch_", None) for lr in learners]
    if epochs and all(isinstance(e, int | np.integer) and e > 0 for e in epochs):
        params["epochs"] = max(1, int(round(float(np.mean(epochs)))))
        params["patience"] = None
        return params, f"epochs={params['epochs']} (the folds' mean best epoch)"
    return params, "the searched hyperparameters"


def refit_seeds(learner: str, params: dict[str, Any], n_rows: int) -> int:
    """How many fits, each with its own seed, a member's refit on ``n_rows`` rows averages.

    ``REFIT_SEEDS`` for a member whose fit draws at random on the same rows, on a table of fewer
    than ``SEEDED_ROWS`` rows: a booster that samples rows or columns (``subsample`` or
    ``colsample_bytree`` below 1; CatBoost always) or a network (initial weights, batch order).
    Its k fold models averaged out that randomness; one refit would not, and on a small table
    that costs score. On a larger table one fit varies less, and three would triple the
    member's latency (california_housing: 0.9 -> 3.8 ms per row for +0.39% -> +0.22% RMSE).
    Forests already average hundreds of trees and linear models are deterministic: one fit.
    """
    if n_rows >= SEEDED_ROWS:
        return 1
    if learner in SEEDED_ALWAYS:
        return REFIT_SEEDS
    if learner in SEEDED_WHEN_SAMPLING and any(
            float(params.get(key, 1.0)) < 1.0 for key in ("subsample", "colsample_bytree")):
        return REFIT_SEEDS
    return 1


def refit_seconds(result: TrialResult, n_folds: int, fit_rows: int, n_rows: int) -> float:
    """Estimated seconds for one fit on ``n_rows``: a fold's fit scaled by its rows."""
    return result.fit_seconds / max(n_folds, 1) * n_rows / max(fit_rows, 1)


def refit_member(
    data: TrialData,
    result: TrialResult,
    fold_models: list[ModelBundle],
    budget: Budget,
    *,
    n_folds: int,
    fit_rows: int,
) -> tuple[list[ModelBundle] | None, str]:
    """``result`` fitted on every row of ``data`` (``refit_seeds`` times, each with its own
    seed, as far as the budget affords: the first fit has the search's seed), or None when the
    budget cannot afford one fit or cut it short; and a note saying which."""
    n = len(data.frame)
    label = f"trial {result.spec.number} ({result.spec.learner})"
    estimate = refit_seconds(result, n_folds, fit_rows, n)
    if not budget.can_afford(estimate):
        return None, (
            f"{label} stays bagged: its refit needs ~{estimate:.1f} s, the budget has "
            f"{budget.remaining():.1f} s"
        )
    params, taken = refit_params(result, fold_models)
    wanted = refit_seeds(result.spec.learner, params, n)
    models: list[ModelBundle] = []
    started = time.perf_counter()
    for i in range(wanted):
        if i and not budget.can_afford(estimate):
            break
        share = Budget(max(budget.remaining(), 1e-3)) if budget.limited else None
        model = fit_fold(data, result.spec.learner, params, np.arange(n), share,
                         seed=data.seed + i * SEED_STEP)
        if getattr(model.learner, "stop_reason_", None) == "budget":
            break
        models.append(model)
    seconds = time.perf_counter() - started
    if not models:
        return None, (f"{label} stays bagged: the budget cut its refit short after {seconds:.1f} s")
    seeds = "" if wanted == 1 else (
        f", {len(models)} seeds averaged" + ("" if len(models) == wanted else
                                             f" (the budget allowed {len(models)} of {wanted})"))
    return models, f"{label} refit on all {n:,} rows in {seconds:.2f} s with {taken}{seeds}"


def saved_bytes(model: FittedModel) -> int:
    """Bytes the model takes saved (every file of its directory)."""
    with tempfile.TemporaryDirectory(prefix="modelyard-size-") as tmp:
        model.save(Path(tmp) / "model")
        return sum(f.stat().st_size for f in Path(tmp).rglob("*") if f.is_file())


def describe(
    name: str,
    model: FittedModel,
    models: int,
    score: float,
    *,
    estimated: bool,
    registered: bool,
    frame: pd.DataFrame,
    seed: int,
) -> Variant:
    """A ``Variant``, its latency and size measured now."""
    p50, p99, timed = measure_row_latency(model, frame, seed=seed)
    return Variant(
        name,
        models,
        float(score),
        estimated,
        p50,
        p99,
        timed,
        saved_bytes(model),
        registered,
        model,
    )

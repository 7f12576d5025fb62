"""How trials are validated, and what the final models of a candidate are.

Small and medium data (fewer than ``KFOLD_MAX_ROWS`` rows, or whenever ``folds`` is given): k-fold
bagging. Every row is held out once, so every row has an out-of-fold prediction, and the final
model of a candidate is the average of its k fold models (each with its own preprocessing).
Large data: one holdout split. Only the held-out rows are scored, and the final model is the
candidate refitted on all rows when the budget allows it (else the holdout model itself).

Folds are stratified for classification (``data.folds.make_folds``), seeded, and computed on the
rows the search was given: nothing else ever enters them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import train_test_split

from modelyard.data.folds import make_folds
from modelyard.errors import DataError
from modelyard.model import ModelBundle
from modelyard.search.budget import Budget
from modelyard.search.trial import Fold, TrialData, TrialResult, fit_fold, load_models

KFOLD_MAX_ROWS = 50_000  # from this many rows on, a holdout split replaces k-fold
DEFAULT_FOLDS = 5
HOLDOUT_FRACTION = 0.2
HOLDOUT_MAX_ROWS = 25_000  # a larger holdout adds little precision and costs fitting rows


@dataclass(frozen=True)
class ValidationPlan:
    """``kind`` is 'kfold' or 'holdout'; ``folds`` are (fit, held-out) row positions."""

    kind: str
    folds: tuple[Fold, ...]
    notes: tuple[str, ...] = ()

    @property
    def scored_rows(self) -> np.ndarray:
        """Rows with an out-of-fold prediction, sorted."""
        return np.sort(np.concatenate([held for _, held in self.folds]))

    @property
    def fit_rows(self) -> int:
        """Rows each fold fits on (the largest fold)."""
        return max(len(fit) for fit, _ in self.folds)


def plan_validation(y: np.ndarray, task: str, *, folds: int | None, seed: int,
                    classes: list | None = None) -> ValidationPlan:
    """k-fold below ``KFOLD_MAX_ROWS`` rows or when ``folds`` is set, else one holdout split."""
    n = len(y)
    stratify = np.asarray(y) if task in ("binary", "multiclass") else None
    if folds is not None or n < KFOLD_MAX_ROWS:
        k = folds or DEFAULT_FOLDS
        if n < 2 * k:
            raise DataError(
                f"{k}-fold validation needs at least {2 * k} rows; the search got {n}",
                hint="add rows, or set search.folds lower (at least 2)",
            )
        made, notes = make_folds(np.arange(n), k, seed=seed, classes=stratify,
                                 class_names=classes)
        return ValidationPlan("kfold", tuple(made), tuple(notes))
    held = min(int(round(HOLDOUT_FRACTION * n)), HOLDOUT_MAX_ROWS)
    try:
        fit, out = train_test_split(np.arange(n), test_size=held, random_state=seed,
                                    stratify=stratify)
    except ValueError:  # a class too rare to stratify
        fit, out = train_test_split(np.arange(n), test_size=held, random_state=seed)
    note = f"holdout validation on {held} of {n} rows (k-fold below {KFOLD_MAX_ROWS} rows)"
    return ValidationPlan("holdout", ((np.sort(fit), np.sort(out)),), (note,))


def refit_seconds(plan: ValidationPlan, result: TrialResult, n_rows: int) -> float:
    """Estimated seconds to rebuild the final models of ``result`` (0 when they are kept)."""
    if plan.kind == "holdout":
        return result.fit_seconds * n_rows / max(plan.fit_rows, 1)
    if result.models:
        return 0.0
    return result.save_seconds if result.saved else result.fit_seconds


def final_models(data: TrialData, plan: ValidationPlan, result: TrialResult,
                 budget: Budget, *, refit: bool = True) -> tuple[list[ModelBundle], str]:
    """The final models of a candidate, and how they were made.

    k-fold: the fold models (kept from the trial, loaded from where a worker saved them, or fitted
    again on the same folds: the same seed gives the same models); a refit on every row is
    ``search.deploy``'s, made after this (``deploy.refit_member``). Holdout: with ``refit`` a
    refit on every row when the budget allows it, else (or without ``refit``: deploy 'bagged')
    the holdout model.
    """
    spec = result.spec
    if plan.kind == "holdout":
        every_row = np.arange(len(data.frame))
        if refit and budget.can_afford(refit_seconds(plan, result, len(data.frame))):
            return [fit_fold(data, spec.learner, spec.params, every_row, _share(budget))], "refit"
        why = "no time to refit on every row" if refit else "deploy: bagged"
        if result.models or result.saved:
            return _kept(result), f"holdout model ({why})"
        fit_rows = plan.folds[0][0]
        return [fit_fold(data, spec.learner, spec.params, fit_rows, _share(budget))], "holdout"
    if result.models:
        return list(result.models), "fold models"
    if result.saved:
        return load_models(result), "fold models, saved by the worker"
    models = [fit_fold(data, spec.learner, spec.params, fit, _share(budget, len(plan.folds) - i))
              for i, (fit, _) in enumerate(plan.folds)]
    return models, "fold models, refitted"


def _kept(result: TrialResult) -> list[ModelBundle]:
    return list(result.models) if result.models else load_models(result)


def _share(budget: Budget, parts: int = 1) -> Budget | None:
    """A budget for one fit: an equal share of what is left (None when unlimited)."""
    if not budget.limited:
        return None
    return Budget(max(budget.remaining(), 1e-3) / parts)

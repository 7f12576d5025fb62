"""The final step of a search: pick the ensemble, build its models, score it out of fold.

The candidates are the best ``MAX_CANDIDATES`` complete trials. Ensemble selection
(``ensemble.py``) weighs them on their out-of-fold predictions; each member then gets its final
models (``bagging.final_models``: the fold models, or a refit), most weighted member first. A member
whose models no longer fit in the budget is left out and the weights of the others renormalised;
the first member is always built (its fits stop early when the budget is spent).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from modelyard.errors import TrainingError
from modelyard.evaluation.metrics import Metric
from modelyard.evaluation.threshold import tune_threshold
from modelyard.learners.bundle import ModelBundle
from modelyard.learners.ensemble import EnsembleBundle
from modelyard.search.bagging import ValidationPlan, final_models, refit_seconds
from modelyard.search.budget import Budget
from modelyard.search.ensemble import blend, select_ensemble
from modelyard.search.scoring import score_predictions, utility
from modelyard.search.trial import TrialData, TrialResult

MAX_CANDIDATES = 15


@dataclass
class Final:
    """The model, each trial's weight in it, its out-of-fold score, and what happened."""

    model: ModelBundle | EnsembleBundle
    weights: dict[int, float]  # trial number -> weight
    oof_score: float
    best: TrialResult
    notes: list[str] = field(default_factory=list)


def finalize(results: list[TrialResult], data: TrialData, plan: ValidationPlan, budget: Budget,
             *, metric: Metric, ensemble: bool, threshold_metric: str | None = None) -> Final:
    """Select, build and score the final model from the trials' ``results``."""
    ok = sorted((r for r in results if r.status == "ok"),
                key=lambda r: (-utility(metric, r.score), r.spec.number))
    if not ok:
        failures = sorted({r.note for r in results if r.note})[:5]
        raise TrainingError(
            f"no trial of the search finished ({len(results)} started): "
            + ("; ".join(failures) or "the budget allowed none"),
            hint="give the search more time (time_budget) or trials, or other learners",
        )
    rows = plan.scored_rows
    candidates = ok[:MAX_CANDIDATES]
    if ensemble and len(candidates) > 1:
        weights = select_ensemble([c.oof[rows] for c in candidates], data.y[rows], metric=metric,
                                  task=data.task).weights
    else:
        weights = np.eye(len(candidates))[0]
    order = sorted(np.flatnonzero(weights > 0), key=lambda i: (-weights[i], i))
    members, notes = [], []
    for rank, index in enumerate(order):
        candidate, weight = candidates[index], weights[index]
        cost = 0.0 if candidate.models else refit_seconds(plan, candidate, len(data.frame))
        if rank > 0 and not budget.can_afford(cost):
            notes.append(f"trial {candidate.spec.number} ({candidate.spec.learner}) left out of "
                         f"the ensemble: its models need ~{cost:.1f} s, the budget has "
                         f"{budget.remaining():.1f} s")
            continue
        models, how = final_models(data, plan, candidate, budget)
        notes.append(f"trial {candidate.spec.number} ({candidate.spec.learner}, weight "
                     f"{weight:.3f}): {how}")
        members.append((candidate, float(weight), models))
    total = sum(weight for _, weight, _ in members)
    trial_weights = {c.spec.number: w / total for c, w, _ in members}
    blended = blend([c.oof[rows] for c, _, _ in members], list(trial_weights.values()))
    oof_score = score_predictions(metric, data.task, data.y[rows], blended)
    model = _assemble(data, members, total)
    if threshold_metric and data.task == "binary":
        model.threshold, _ = tune_threshold(data.y[rows], blended[:, 1], metric=threshold_metric)
        notes.append(f"decision threshold {model.threshold:.4f} tuned for {threshold_metric} "
                     "on the out-of-fold predictions")
    return Final(model, trial_weights, oof_score, ok[0], notes)


def _assemble(data: TrialData, members: list, total: float) -> ModelBundle | EnsembleBundle:
    """One bundle when a single model is left, else an ensemble of every fold model."""
    bundles, weights = [], []
    for _, weight, models in members:
        for model in models:
            bundles.append(model)
            weights.append(weight / total / len(models))
    if len(bundles) == 1:
        return bundles[0]
    return EnsembleBundle(data.schema, data.task, bundles, weights, data.classes)

"""The final step of a search: pick the ensemble, build its models, score it out of fold.

The candidates are the best ``MAX_CANDIDATES`` complete trials, plus the best
``PER_LEARNER_CANDIDATES`` of every learner that did not place that many among them: a long search
fills its top ranks with near-copies of one learner, whose average adds little, while a weaker
learner of another family often mends their errors. Ensemble selection
(``ensemble.py``) weighs them on their out-of-fold predictions; each member then gets its final
models (``bagging.final_models``), most weighted member first. Models at hand (kept in memory, or
saved by a worker and loaded) are always used. A candidate whose refit alone would not fit in what
the budget has left after the selection (whose cost is timed, not guessed) is left out before
selecting; a member that would have to be fitted again when the budget no longer allows it is
left out, and the selection runs again without it, so the ensemble is the best one among the
candidates that can be built, never a renormalised remainder. The first member is always built
(its fits stop early when the budget is spent).

``deploy`` ('refit' or 'bagged', ``search.deploy``) then says what the final model is made of
(``deploy.py``): under k-fold, 'refit' fits each member once more on every row with what its
folds found, most weighted member first, out of what the budget has left (its reserve, released
for this step), and at least the share the search held back for the refits (``refit_seconds``,
counted from the first refit); a member the budget cannot refit stays bagged. Both variants
are measured and described in ``Final.deployment``. With a holdout split 'refit' is the refit on
every row above (when the budget allows it) and 'bagged' keeps the holdout model that validation
scored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from modelyard.errors import TrainingError
from modelyard.evaluation.metrics import Metric
from modelyard.evaluation.threshold import tune_threshold
from modelyard.model import EnsembleBundle, ModelBundle
from modelyard.search.bagging import ValidationPlan, final_models
from modelyard.search.budget import Budget
from modelyard.search.deploy import (
    Deployment,
    LatencyLimit,
    check_deploy,
    describe,
    refit_member,
    refit_seeds,
)
from modelyard.search.ensemble import (
    blend,
    score_seconds,
    select_ensemble,
    selection_seconds,
)
from modelyard.search.scoring import score_predictions, utility
from modelyard.search.trial import TrialData, TrialResult

MAX_CANDIDATES = 15
PER_LEARNER_CANDIDATES = 2


@dataclass
class Final:
    """The model, each trial's weight in it, its out-of-fold score, and what happened."""

    model: ModelBundle | EnsembleBundle
    weights: dict[int, float]  # trial number -> weight
    oof_score: float
    best: TrialResult
    notes: list[str] = field(default_factory=list)
    deployment: Deployment | None = None


def finalize(results: list[TrialResult], data: TrialData, plan: ValidationPlan, budget: Budget,
             *, metric: Metric, ensemble: bool, threshold_metric: str | None = None,
             deploy: str = "refit", refit_seconds: float = 0.0,
             max_latency_ms: float | None = None) -> Final:
    """Select, build and score the final model from the trials' ``results``; ``deploy``:
    'refit' or 'bagged' (see the module doc); ``refit_seconds``: what the refits may spend at
    least, from when they start, whatever the budget has left then (the share held back for
    them); ``max_latency_ms``: the single-row p99 limit of the model chosen (``_fast_enough``)."""
    check_deploy(deploy)
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
    pool, limit = ensemble_candidates(ok), None
    if max_latency_ms is not None:
        pool, limit = _fast_enough(ok, pool, data, rows, metric, ensemble, deploy, plan,
                                   max_latency_ms)
    candidates, notes = _buildable(pool, data, plan, budget, metric, ensemble)
    while True:
        costs = None if limit is None else np.array(
            [member_ms(c, deploy, plan) for c in candidates])
        weights = _select(candidates, data, rows, metric, ensemble, costs, max_latency_ms)
        order = sorted(np.flatnonzero(weights > 0), key=lambda i: (-weights[i], i))
        unaffordable = _unaffordable([candidates[i] for i in order], budget)
        if not unaffordable:
            break
        for candidate, cost in unaffordable:
            notes.append(f"trial {candidate.spec.number} ({candidate.spec.learner}) left out of "
                         f"the ensemble: its models need ~{cost:.1f} s, the budget has "
                         f"{budget.remaining():.1f} s")
        left_out = {id(c) for c, _ in unaffordable}
        candidates = [c for c in candidates if id(c) not in left_out]
    members = []
    for index in order:
        candidate, weight = candidates[index], weights[index]
        models, how = final_models(data, plan, candidate, budget, refit=deploy == "refit")
        notes.append(f"trial {candidate.spec.number} ({candidate.spec.learner}, weight "
                     f"{weight:.3f}): {how}")
        members.append((candidate, float(weight), models, how))
    total = sum(weight for _, weight, _, _ in members)
    trial_weights = {c.spec.number: w / total for c, w, _, _ in members}
    blended = blend([c.oof[rows] for c, _, _, _ in members], list(trial_weights.values()))
    oof_score = score_predictions(metric, data.task, data.y[rows], blended)
    validated = _assemble(data, [(c, w, m) for c, w, m, _ in members], total)
    deployed, refitted = validated, 0
    if deploy == "refit" and plan.kind == "kfold":
        built = []
        refit_budget = budget.share(at_least=refit_seconds) if budget.limited else budget
        for candidate, weight, models, _ in members:
            refit, note = refit_member(data, candidate, models, refit_budget,
                                       n_folds=len(plan.folds), fit_rows=plan.fit_rows)
            notes.append(note)
            built.append((candidate, weight, models if refit is None else refit))
            refitted += refit is not None
        if refitted:
            deployed = _assemble(data, built, total)
    elif plan.kind == "holdout":
        refitted = sum(how == "refit" for _, _, _, how in members)
    if threshold_metric and data.task == "binary":
        threshold, _ = tune_threshold(data.y[rows], blended[:, 1], metric=threshold_metric)
        validated.threshold = deployed.threshold = threshold
        notes.append(f"decision threshold {threshold:.4f} tuned for {threshold_metric} "
                     "on the out-of-fold predictions")
    deployment = _deployment(deploy, plan.kind, validated, deployed, oof_score, data,
                             refitted, len(members))
    if limit is not None:
        limit = replace(limit, score=float(oof_score), estimated_ms=sum(
            member_ms(c, deploy, plan) for c, _, _, _ in members))
        deployment = replace(deployment, latency_limit=limit)
        notes.append(_limit_note(limit, metric, deployment))
    if deploy == "refit" and plan.kind == "kfold" and not refitted:
        notes.append("deploy: refit, but no member could be refit in the budget: the bagged "
                     "models are registered")
    return Final(deployed, trial_weights, oof_score, ok[0], notes, deployment)


def _deployment(deploy: str, kind: str, validated, deployed, oof_score: float,
                data: TrialData, refitted: int, n_members: int) -> Deployment:
    """Both variants, measured: under k-fold the bagged models and, when any member was refit,
    the refit (registered, its score the bagged out-of-fold estimate); with a holdout split the
    registered model alone (the refit's score is the holdout model's estimate)."""
    def count(model) -> int:
        return len(model.members) if isinstance(model, EnsembleBundle) else 1

    validated_name = "bagged" if kind == "kfold" else "holdout"
    if kind == "holdout":
        name = "refit" if refitted else "holdout"
        variants = (describe(name, deployed, count(deployed), oof_score, estimated=bool(refitted),
                             registered=True, frame=data.frame, seed=data.seed),)
        return Deployment(deploy, name, variants, refitted, n_members - refitted)
    variants = []
    if deployed is not validated:
        variants.append(describe("refit", deployed, count(deployed), oof_score, estimated=True,
                                 registered=True, frame=data.frame, seed=data.seed))
    variants.append(describe(validated_name, validated, count(validated), oof_score,
                             estimated=False, registered=deployed is validated,
                             frame=data.frame, seed=data.seed))
    name = "refit" if deployed is not validated else validated_name
    return Deployment(deploy, name, tuple(variants), refitted, n_members - refitted)


def ensemble_candidates(ranked: list[TrialResult], top: int = MAX_CANDIDATES,
                        per_learner: int = PER_LEARNER_CANDIDATES) -> list[TrialResult]:
    """The ``top`` best of ``ranked`` (best first) and each learner's best ``per_learner``, in
    ranking order."""
    counts: dict[str, int] = {}
    out = []
    for rank, result in enumerate(ranked):
        learner = result.spec.learner
        if rank < top or counts.get(learner, 0) < per_learner:
            out.append(result)
            counts[learner] = counts.get(learner, 0) + 1
    return out


def _buildable(candidates: list[TrialResult], data: TrialData, plan: ValidationPlan,
               budget: Budget, metric: Metric,
               ensemble: bool) -> tuple[list[TrialResult], list[str]]:
    """The candidates that can still be built once the selection has run: the best one always;
    the others when their models are at hand or their refit fits in what the selection leaves.

    Leaving the hopeless ones out first saves running the selection twice, which on many rows
    with a ranking metric costs seconds each time.
    """
    if not budget.limited or not ensemble or len(candidates) < 2:
        return candidates, []
    rows = plan.scored_rows
    selecting = selection_seconds(len(candidates), score_seconds(
        candidates[0].oof[rows], data.y[rows], metric=metric, task=data.task))
    spare = budget.remaining() - selecting
    kept, notes = candidates[:1], []
    for candidate in candidates[1:]:
        cost = _refit_cost(candidate)
        if cost == 0 or cost <= spare:  # models at hand cost nothing to build
            kept.append(candidate)
        else:
            notes.append(f"trial {candidate.spec.number} ({candidate.spec.learner}) left out of "
                         f"the ensemble: its models need ~{cost:.1f} s, the budget has "
                         f"{max(spare, 0.0):.1f} s after the selection")
    return kept, notes


def _refit_cost(candidate: TrialResult) -> float:
    """Seconds to build ``candidate``'s final models: 0 when they are at hand, else what its
    fits took (k-fold: the same folds again; holdout: at least the holdout model)."""
    return 0.0 if candidate.models or candidate.saved else candidate.fit_seconds


def _select(candidates: list[TrialResult], data: TrialData, rows: np.ndarray, metric: Metric,
            ensemble: bool, costs: np.ndarray | None = None,
            limit: float | None = None) -> np.ndarray:
    """Each candidate's weight: ensemble selection (within ``limit`` of summed ``costs``), or
    everything on the best one."""
    if ensemble and len(candidates) > 1:
        return select_ensemble([c.oof[rows] for c in candidates], data.y[rows], metric=metric,
                               task=data.task, costs=costs, limit=limit).weights
    return np.eye(len(candidates))[0]


def member_ms(candidate: TrialResult, deploy: str, plan: ValidationPlan) -> float:
    """A candidate's single-row p99 as it would be deployed: one fold model's, times the folds
    when its fold models are deployed (``deploy: bagged``), times the fits its refit averages
    (``refit_seeds``) under ``deploy: refit``."""
    p99 = candidate.latency_p99_ms
    if p99 is None:
        return math.inf
    if plan.kind != "kfold":
        return p99
    if deploy == "bagged":
        return p99 * len(plan.folds)
    rows = sum(len(held) for _, held in plan.folds)  # k-fold: every row is held out once
    return p99 * refit_seeds(candidate.spec.learner, candidate.spec.params, rows)


def _fast_enough(ok: list[TrialResult], pool: list[TrialResult], data: TrialData,
                 rows: np.ndarray, metric: Metric, ensemble: bool, deploy: str,
                 plan: ValidationPlan,
                 limit_ms: float) -> tuple[list[TrialResult], LatencyLimit]:
    """The candidates for a model that answers one row within ``limit_ms``: the trials fast
    enough on their own, ranked as ``ensemble_candidates`` ranks them; and the limit's record,
    with the score the selection reaches on ``pool`` without it (score and estimate are filled
    once the ensemble is built). A ``TrainingError`` when no trial is fast enough."""
    fast = [r for r in ok if member_ms(r, deploy, plan) <= limit_ms]
    if not fast:
        quickest = min(ok, key=lambda r: member_ms(r, deploy, plan))
        own = quickest.latency_p99_ms
        times = member_ms(quickest, deploy, plan) / own if own else 1.0
        if deploy == "bagged" and plan.kind == "kfold":
            bagged = f", times {len(plan.folds)} folds as deployed bagged"
        elif times > 1:
            bagged = f", times the {times:.0f} seeds its refit averages"
        else:
            bagged = ""
        raise TrainingError(
            f"no trial answers one row within search.max_latency_ms={limit_ms:g}: the fastest, "
            f"trial {quickest.spec.number} ({quickest.spec.learner}), takes "
            f"{member_ms(quickest, deploy, plan):.3g} ms p99{bagged}",
            hint="raise search.max_latency_ms (--max-latency-ms), search faster learners "
            "(learners: [logistic, lightgbm]), or deploy: refit",
        )
    free = _select(pool, data, rows, metric, ensemble)
    free_score = score_predictions(metric, data.task, data.y[rows],
                                   blend([c.oof[rows] for c in pool], free))
    record = LatencyLimit(limit_ms, math.nan, math.nan, float(free_score),
                          metric.greater_is_better, len(ok) - len(fast))
    return ensemble_candidates(fast), record


def _limit_note(limit: LatencyLimit, metric: Metric, deployment: Deployment) -> str:
    """What the latency limit chose and cost, and the registered variant's measured p99."""
    measured = next(v for v in deployment.variants if v.registered).latency_p99_ms
    cost = (f"it cost {limit.cost:.4g} {metric.name} out of fold ({limit.score:.4f} against "
            f"{limit.unconstrained_score:.4f} without it)" if limit.cost > 0
            else "it cost nothing in score")
    over = ""
    if measured > limit.max_latency_ms:
        over = ("; the registered model measured above the limit: single-row timings vary with "
                "the machine's load, so leave the limit some headroom")
    return (f"max_latency_ms {limit.max_latency_ms:g}: {limit.too_slow} trial(s) too slow on "
            f"their own left out; the ensemble's members add up to {limit.estimated_ms:.3g} ms "
            f"p99 (measured on the registered model: {measured:.3g} ms); {cost}{over}")


def _unaffordable(members: list[TrialResult],
                  budget: Budget) -> list[tuple[TrialResult, float]]:
    """Members after the first whose models must be fitted again and no longer fit the budget.

    Models at hand cost only a load and are never counted; the others are charged in order, as the
    final step will fit them (the k fold models, or with a holdout at least the holdout model).
    """
    out, planned = [], 0.0
    for rank, member in enumerate(members):
        if member.models or member.saved:
            continue
        cost = _refit_cost(member)
        if rank > 0 and not budget.can_afford(planned + cost):
            out.append((member, cost))
        else:
            planned += cost
    return out


def _assemble(data: TrialData, members: list, total: float) -> ModelBundle | EnsembleBundle:
    """One bundle when a single model is left, else an ensemble of every fold model."""
    bundles, weights = [], []
    for _, weight, models in members:
        for model in models:
            bundles.append(model)
            weights.append(weight / total / len(models))
    if len(bundles) == 1:
        return bundles[0]
    return EnsembleBundle(data.schema, data.task, bundles, weights, data.labels)

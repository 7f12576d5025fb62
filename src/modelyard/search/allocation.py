"""Which learner to tune next: the one with the highest expected improvement per second.

Each learner's next trial is modelled as a draw from a normal distribution centred on the learner's
best score so far, with the spread of its scores shrinking as ``1 / sqrt(trials)`` (returns
diminish). The expected improvement of that draw over the best score of *any* learner has the usual
closed form ``sigma * (z * Phi(z) + phi(z))`` with ``z = (mu - best) / sigma``; dividing by the
learner's estimated trial seconds gives improvement per second. All scores are utilities (larger
is better, ``scoring.utility``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

MIN_SPREAD = 1e-9  # keeps z finite when every score so far is equal


def expected_improvement(mu: float, sigma: float, best: float) -> float:
    """E[max(0, X - best)] for X ~ Normal(mu, sigma)."""
    sigma = max(sigma, MIN_SPREAD)
    z = (mu - best) / sigma
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    cdf = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    return sigma * (z * cdf + pdf)


def _spread(values: Sequence[float]) -> float | None:
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def improvement_per_second(
    utilities: Mapping[str, Sequence[float]], seconds: Mapping[str, float]
) -> dict[str, float]:
    """Expected improvement per second for every learner in ``seconds``.

    ``utilities[learner]`` lists the finite utilities of its completed trials. A learner without
    any gets ``inf`` (try it before tuning others). A learner with one score borrows the spread of
    all scores seen (or a small share of the best's magnitude when that is all there is).
    """
    finite = [u for values in utilities.values() for u in values if math.isfinite(u)]
    if not finite:
        return {name: math.inf for name in seconds}
    best = max(finite)
    pooled = _spread(finite) or max(abs(best) * 1e-3, MIN_SPREAD)
    out: dict[str, float] = {}
    for name, cost in seconds.items():
        own = [u for u in utilities.get(name, ()) if math.isfinite(u)]
        if not own:
            out[name] = math.inf
            continue
        sigma = (_spread(own) or pooled) / math.sqrt(len(own))
        out[name] = expected_improvement(max(own), sigma, best) / max(cost, 1e-3)
    return out


def rank_learners(scores: Mapping[str, float]) -> list[str]:
    """Learners by score, highest first; ties by name, so the order is reproducible."""
    return sorted(scores, key=lambda name: (-scores[name], name))

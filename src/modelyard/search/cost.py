"""How long a trial will take: a prior from the data size and parameters, corrected by experience.

The prior counts the work a learner family does (trees x rows x features for the tree learners,
epochs x rows for the MLP, ...) times a constant measured on one CPU thread; learners it does not
know get ``cost_hint`` x rows x columns. Once trials have run, the estimate for a learner is its
prior times the median ratio of observed to prior seconds of that learner's trials (of all
trials, while the learner has none), which absorbs the speed of the machine.

``estimate(..., learned=False)`` gives the prior alone: the searcher uses that when the search is
bounded by a trial count, so that its choices do not depend on how fast this run happened to be.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from modelyard.learners.base import get_learner

OVERHEAD = 0.05  # seconds per fold for preprocessing and bookkeeping, on top of any learner


def _trees(params: dict[str, Any], default: int) -> float:
    return float(params.get("n_estimators", default))


def _lightgbm(params: dict[str, Any], n: int, d: int, k: int) -> float:
    leaves = float(params.get("num_leaves", 31))
    return 1.2e-8 * _trees(params, 500) * n * d * k * (leaves / 31) ** 0.3


def _xgboost(params: dict[str, Any], n: int, d: int, k: int) -> float:
    depth = float(params.get("max_depth", 6))
    return 1.4e-8 * _trees(params, 500) * n * d * k * 2 ** ((depth - 6) / 2)


def _catboost(params: dict[str, Any], n: int, d: int, k: int) -> float:
    """Oblivious trees; encoding categorical columns makes CatBoost 10-40x LightGBM's cost."""
    depth = float(params.get("depth", 6))
    return 1.2e-7 * _trees(params, 1000) * n * d * math.sqrt(k) * 2 ** ((depth - 6) / 2)


def _split_features(params: dict[str, Any], d: int, classifier: bool) -> float:
    """Features a forest tries per split (scikit-learn's ``max_features`` rules)."""
    value = params.get("max_features")
    if value is None:
        return math.sqrt(d) if classifier else d
    if value == "sqrt":
        return math.sqrt(d)
    if value == "log2":
        return max(1.0, math.log2(d))
    if isinstance(value, float) and value <= 1:
        return max(1.0, value * d)
    return float(value)


def _forest(constant: float):
    def cost(params: dict[str, Any], n: int, d: int, k: int, classifier: bool) -> float:
        per_split = _split_features(params, d, classifier)
        return constant * _trees(params, 300) * n * math.log2(max(n, 2)) * per_split

    return cost


def _mlp(params: dict[str, Any], n: int, d: int, k: int) -> float:
    hidden = [int(h) for h in params.get("hidden_sizes", (128,))]
    widths = [max(d, 1), *hidden, max(k, 1)]
    weights = sum(a * b for a, b in zip(widths, widths[1:], strict=False))
    epochs = float(params.get("epochs", 20))
    return 0.3 + 3.5e-5 * epochs * n * (1 + weights / 1.5e5)


# learner name -> prior seconds of one fit on n rows, d feature columns and k outputs
_PRIORS = {
    "lightgbm": lambda p, n, d, k, c: _lightgbm(p, n, d, k),
    "xgboost": lambda p, n, d, k, c: _xgboost(p, n, d, k),
    "catboost": lambda p, n, d, k, c: _catboost(p, n, d, k),
    "random_forest": _forest(5e-8),
    "extra_trees": _forest(2.8e-8),
    "logistic": lambda p, n, d, k, c: 5e-7 * n * d * k,
    "linear": lambda p, n, d, k, c: 1e-7 * n * d,
    "mlp": lambda p, n, d, k, c: _mlp(p, n, d, k),
}


@dataclass
class CostModel:
    """Per-learner seconds of one trial (every fold) on ``n_rows`` x ``n_cols`` data.

    ``fit_rows`` is the number of rows each fold fits on, ``n_folds`` how many folds a trial runs.
    """

    fit_rows: int
    n_cols: int
    n_folds: int
    task: str
    n_classes: int | None = None
    _ratios: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))

    def prior(self, learner: str, params: dict[str, Any]) -> float:
        """Seconds of one trial of ``learner`` with constructor ``params``, before any trial ran."""
        n, d = max(self.fit_rows, 1), max(self.n_cols, 1)
        classifier = self.task in ("binary", "multiclass")
        k = self.n_classes if self.task == "multiclass" and self.n_classes else 1
        formula = _PRIORS.get(learner)
        if formula is None:  # a learner this module does not know: its declared relative cost
            per_fold = 1e-6 * get_learner(learner).cost_hint * n * d
        else:
            per_fold = formula(params, n, d, k, classifier)
        return self.n_folds * (per_fold + OVERHEAD)

    def observe(self, learner: str, params: dict[str, Any], seconds: float,
                folds_done: int | None = None) -> None:
        """Learn from a trial that took ``seconds`` for ``folds_done`` folds (default: all)."""
        done = self.n_folds if folds_done is None else max(1, folds_done)
        expected = self.prior(learner, params) * done / self.n_folds
        if expected > 0 and seconds > 0:
            self._ratios[learner].append(seconds / expected)

    def ratio(self, learner: str) -> float:
        """Observed / prior seconds for ``learner`` (all learners' trials while it has none)."""
        own = self._ratios.get(learner)
        if own:
            return median(own)
        every = [r for ratios in self._ratios.values() for r in ratios]
        return median(every) if every else 1.0

    def estimate(self, learner: str, params: dict[str, Any], *, learned: bool = True) -> float:
        """Expected seconds of one trial; ``learned=False`` gives the prior alone."""
        prior = self.prior(learner, params)
        return prior * self.ratio(learner) if learned else prior

    def observed(self, learner: str) -> int:
        """How many trials of ``learner`` this model has learnt from."""
        return len(self._ratios.get(learner, ()))

"""Search: the best model under a time budget (layer 4, above the model layer).

``search()`` (orchestrator) runs a portfolio of known-good configurations, then Optuna per learner
with pruning, validates every trial with k-fold bagging (holdout on large data), selects a greedy
ensemble over the out-of-fold predictions and returns the model with its leaderboard. ``Budget``
holds the time. Every trial fits its models through ``model.fit_model``; an ensemble is saved and
served as a ``model.EnsembleBundle``.
"""

from modelyard.search.budget import Budget
from modelyard.search.leaderboard import Leaderboard
from modelyard.search.orchestrator import SearchResult, search

__all__ = ["Budget", "Leaderboard", "SearchResult", "search"]

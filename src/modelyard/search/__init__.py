"""Search: the best model under a time budget (layer 3).

``search()`` (orchestrator) runs a portfolio of known-good configurations, then Optuna per learner
with pruning, validates every trial with k-fold bagging (holdout on large data), selects a greedy
ensemble over the out-of-fold predictions and returns the model with its leaderboard. ``Budget``
holds the time; ``EnsembleBundle`` is the saved and served form of an ensemble
('modelyard.ensemble' in the registry's format table).
"""

from modelyard.learners.ensemble import EnsembleBundle
from modelyard.search.budget import Budget
from modelyard.search.leaderboard import Leaderboard, render_leaderboard
from modelyard.search.orchestrator import SearchResult, search

__all__ = ["Budget", "EnsembleBundle", "Leaderboard", "SearchResult", "render_leaderboard",
           "search"]

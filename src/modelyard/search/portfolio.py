"""Known-good configurations, tried before any tuning (zero-shot), best value per second first.

Each entry is a point of a learner's search representation (``search_space``), written for any
data size: it is moved into the data-sized space before use (``space.fit_to_space``), so a 300-row
table gets fewer trees and leaves than the entry names. The values follow what the libraries ship
as defaults and what AutoML systems found robust across many tabular benchmarks: the LightGBM
defaults (a strong and cheap start), a slower, larger boosting configuration, a shallow and
regularised one for small tables, XGBoost's usual depth-6 trees, CatBoost's defaults, forests of
full-depth trees, a linear baseline, and two MLPs; for a right-skewed regression target, a
LightGBM, a linear model and an MLP fitted on the log of the target as well.

``value`` is a prior on how good the entry tends to be (1 = usually the best single model); the
portfolio is ordered by ``value`` per estimated second on the data at hand. A learner without an
entry gets one from the middle of its space, so every learner is tried once before tuning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelyard.learners.base import get_learner
from modelyard.search.cost import CostModel
from modelyard.search.space import fit_to_space

ALL_TASKS = ("binary", "multiclass", "regression")
CLASSIFICATION = ("binary", "multiclass")


@dataclass(frozen=True)
class Entry:
    """One known-good configuration of ``learner`` for ``tasks``."""

    learner: str
    config: dict[str, Any]
    value: float
    tasks: tuple[str, ...] = ALL_TASKS


PORTFOLIO: tuple[Entry, ...] = (
    # LightGBM's own defaults: 100 trees, learning rate 0.1, 31 leaves
    Entry("lightgbm", {"n_estimators": 100, "learning_rate": 0.1, "num_leaves": 31,
                       "min_child_samples": 20, "subsample": 1.0, "colsample_bytree": 1.0,
                       "reg_lambda": 0.001, "class_weight": None}, 1.0),
    # slower learning with more, feature-subsampled trees: often the best single GBDT
    Entry("lightgbm", {"n_estimators": 600, "learning_rate": 0.03, "num_leaves": 48,
                       "min_child_samples": 15, "subsample": 0.8, "colsample_bytree": 0.7,
                       "reg_lambda": 1.0, "class_weight": None}, 0.95),
    # few leaves, strong regularisation: for small or noisy tables
    Entry("lightgbm", {"n_estimators": 300, "learning_rate": 0.05, "num_leaves": 8,
                       "min_child_samples": 10, "subsample": 0.8, "colsample_bytree": 0.6,
                       "reg_lambda": 5.0, "class_weight": None}, 0.8),
    # the slower configuration above on log(1 + y), for right-skewed non-negative targets
    # (prices, amounts); dropped as a duplicate where the search does not try the log scale
    Entry("lightgbm", {"n_estimators": 600, "learning_rate": 0.03, "num_leaves": 48,
                       "min_child_samples": 15, "subsample": 0.8, "colsample_bytree": 0.7,
                       "reg_lambda": 1.0, "target_transform": "log"}, 0.9, ("regression",)),
    Entry("xgboost", {"n_estimators": 400, "learning_rate": 0.05, "max_depth": 6,
                      "min_child_weight": 1.0, "subsample": 0.8, "colsample_bytree": 0.8,
                      "reg_lambda": 1.0, "log2_max_bin": 8, "class_weight": None}, 0.9),
    Entry("xgboost", {"n_estimators": 200, "learning_rate": 0.1, "max_depth": 4,
                      "min_child_weight": 1.0, "subsample": 1.0, "colsample_bytree": 1.0,
                      "reg_lambda": 1.0, "log2_max_bin": 8, "class_weight": None}, 0.75),
    # CatBoost's defaults (depth-6 oblivious trees, l2 3) at a learning rate that needs fewer
    # trees: strong on tables with categorical columns, but 10-40x slower per tree than LightGBM
    Entry("catboost", {"n_estimators": 800, "learning_rate": 0.08, "depth": 6, "l2_leaf_reg": 3.0,
                       "random_strength": 1.0, "bagging_temperature": 1.0, "log2_max_bin": 8,
                       "class_weight": None}, 1.0),
    # forests of full-depth trees; sqrt-like feature sampling for classification
    Entry("extra_trees", {"n_estimators": 300, "max_features": 0.5, "min_samples_leaf": 1,
                          "depth": 0, "class_weight": None}, 0.7, CLASSIFICATION),
    Entry("extra_trees", {"n_estimators": 300, "max_features": 1.0, "min_samples_leaf": 1,
                          "depth": 0}, 0.7, ("regression",)),
    Entry("random_forest", {"n_estimators": 300, "max_features": 0.3, "min_samples_leaf": 1,
                            "depth": 0, "class_weight": None}, 0.65, CLASSIFICATION),
    Entry("random_forest", {"n_estimators": 300, "max_features": 0.6, "min_samples_leaf": 1,
                            "depth": 0}, 0.65, ("regression",)),
    Entry("logistic", {"C": 1.0, "class_weight": None}, 0.35, CLASSIFICATION),
    Entry("linear", {"alpha": 1.0}, 0.25, ("regression",)),
    Entry("linear", {"alpha": 1.0, "target_transform": "log"}, 0.25, ("regression",)),
    Entry("mlp", {"width": 256, "n_layers": 2, "activation": "relu", "dropout": 0.1,
                  "lr": 1e-3, "weight_decay": 1e-5, "batch_size": 256, "optimizer": "adamw",
                  "schedule": "cosine", "class_weight": None}, 0.5),
    Entry("mlp", {"width": 128, "n_layers": 1, "activation": "silu", "dropout": 0.2,
                  "lr": 3e-3, "weight_decay": 1e-4, "batch_size": 128, "optimizer": "adam",
                  "schedule": "onecycle", "class_weight": None}, 0.4),
    Entry("mlp", {"width": 256, "n_layers": 2, "activation": "relu", "dropout": 0.1,
                  "lr": 1e-3, "weight_decay": 1e-5, "batch_size": 256, "optimizer": "adamw",
                  "schedule": "cosine", "target_transform": "log"}, 0.45, ("regression",)),
)
DEFAULT_VALUE = 0.3  # prior value of the entry made for a learner the portfolio does not list


def portfolio_for(learners: list[str], task: str, cost: CostModel,
                  spaces: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """``(learner, config)`` pairs for ``learners``, best expected value per second first.

    Configs are fitted into each learner's searched space (``spaces``, from
    ``space.learner_spaces``); duplicates that fitting creates (two entries clipped to the same
    point, or a log-target entry where the target is not searched on a log scale) are tried once.
    """
    ranked: list[tuple[float, int, str, dict[str, Any]]] = []
    seen: set[tuple[str, str]] = set()
    entries = [e for e in PORTFOLIO if task in e.tasks and e.learner in learners]
    listed = {e.learner for e in entries}
    entries += [Entry(name, {}, DEFAULT_VALUE) for name in learners if name not in listed]
    for order, entry in enumerate(entries):
        cls = get_learner(entry.learner)
        config = fit_to_space(entry.config, spaces[entry.learner])
        key = (entry.learner, repr(sorted(config.items(), key=lambda kv: kv[0])))
        if key in seen:
            continue
        seen.add(key)
        seconds = cost.estimate(entry.learner, cls.params_from_space(config), learned=False)
        ranked.append((-entry.value / max(seconds, 1e-3), order, entry.learner, config))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [(learner, config) for _, _, learner, config in ranked]

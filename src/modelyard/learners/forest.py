"""Randomised tree ensembles: 'random_forest' and 'extra_trees' (scikit-learn), all three tasks.

Dense input; missing values (NaN) are handled by scikit-learn's trees, infinities are not. The
fitted estimator is saved with skops, normalised so that the same forest always gives the same
bytes (``skops_file.py``), and loaded with the allow-list :data:`TRUSTED_TYPES` defined here, in
modelyard's code, never read from the artifact.

A large batch is scored on several threads by splitting its *rows* among them, each thread running
every tree over its rows in order. scikit-learn's own ``n_jobs`` splits the *trees* among threads
and adds their votes up in whatever order the threads finish, so the last bits of a probability
(and a decision threshold tuned on it) would change from call to call.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)

from modelyard.atomic import atomic_write_bytes
from modelyard.data.convert import LARGEST_FLOAT32
from modelyard.errors import DataError, IntegrityError, TrainingError
from modelyard.learners import skops_file
from modelyard.learners.base import register
from modelyard.learners.forest_rows import MAX_ROWS, FlatForest
from modelyard.learners.params import integer, number
from modelyard.learners.space import Choice, Float, Int
from modelyard.learners.tabular import TabularLearner
from modelyard.learners.threads import predict_threads

MODEL_FILE = "model.skops"
PARALLEL_PREDICT_ROWS = 1_000  # a batch this large is scored with every predict thread
MIN_CHUNK_ROWS = 500  # rows per predict thread at least: fewer cost more to hand out than to score

# Types skops may rebuild besides those it trusts by default (numpy, builtins, scikit-learn
# estimators). The forests need the Cython tree structure; the estimators are listed for clarity.
TRUSTED_TYPES: tuple[str, ...] = (
    "sklearn.tree._tree.Tree",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeClassifier",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.ensemble._forest.ExtraTreesRegressor",
)


class _ForestBase(TabularLearner):
    """Shared fit/predict/save of the two forest families; subclasses pick the estimators.

    ``max_features=None`` means the usual default per task: ``'sqrt'`` for classification and
    ``1.0`` (every feature) for regression. ``max_depth=None`` grows trees until leaves are pure
    or hold ``min_samples_leaf`` rows. ``n_jobs`` (training threads) only changes speed, never the
    result; a batch of ``PARALLEL_PREDICT_ROWS`` rows or more is scored with ``predict_threads()``
    threads, each on its own rows, so the predictions are the same whatever the thread count.
    """

    tasks = ("binary", "multiclass", "regression")
    input_kind = "dense"
    cost_hint = 1.0
    _classifier: type
    _regressor: type
    _bootstrap: bool
    param_checks = {
        "n_estimators": integer(1),
        "max_features": (
            lambda v: (
                v in (None, "sqrt", "log2") or integer(1)[0](v) or number(0, 1, open_low=True)[0](v)
            ),
            "None, 'sqrt', 'log2', a fraction in (0, 1] or a count >= 1",
        ),
        "min_samples_leaf": integer(1),
        "max_depth": (lambda v: v is None or integer(1)[0](v), "None or an integer >= 1"),
    }

    def __init__(
        self,
        n_estimators: int = 300,
        max_features: str | float | int | None = None,
        min_samples_leaf: int = 1,
        max_depth: int | None = None,
        class_weight: str | dict | None = None,
        target_transform: str | None = None,
        task: str | None = None,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.max_features = max_features
        self.min_samples_leaf = min_samples_leaf
        self.max_depth = max_depth
        self.class_weight = class_weight
        self.target_transform = target_transform
        self.task = task
        self.seed = seed
        self.n_jobs = n_jobs

    def _fit_model(self, X, y, eval_set, budget) -> None:
        matrix = X.to_numpy(dtype=np.float64)
        # scikit-learn's trees compute in float32: a larger finite value would become infinite
        with np.errstate(invalid="ignore"):
            bad = np.isinf(matrix) | (np.abs(matrix) > LARGEST_FLOAT32)
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise DataError(
                f"learner '{self.name}' got {int(bad.sum())} value(s) beyond +-3.4e38 or "
                f"infinite (the first: {matrix[row, col]} in column '{X.columns[col]}', row "
                f"{row + 1}); its trees compute in single precision, which ends at +-3.4e38, "
                "and handle missing values but not infinity",
                hint="train it with `modelyard train`, whose preprocessing clips numbers to "
                "+-3.4e38 and reads infinity as missing, or clip the column before fitting",
            )
        common = {
            "n_estimators": self.n_estimators,
            "min_samples_leaf": self.min_samples_leaf,
            "max_depth": self.max_depth,
            "bootstrap": self._bootstrap,
            "random_state": self.seed,
            "n_jobs": self.n_jobs,
        }
        if self.is_classifier:
            max_features = "sqrt" if self.max_features is None else self.max_features
            model = self._classifier(
                max_features=max_features, class_weight=self._class_weight(), **common
            )
        else:
            self._class_weight()  # rejects class_weight for regression
            max_features = 1.0 if self.max_features is None else self.max_features
            model = self._regressor(max_features=max_features, **common)
        try:
            model.fit(matrix, y)
        except (ValueError, TypeError) as err:
            raise TrainingError(
                f"learner '{self.name}' failed to fit: {err}",
                hint="check n_estimators, max_features, min_samples_leaf and max_depth",
            ) from err
        self.model_ = model

    def _proba(self, X) -> np.ndarray:
        return self._proba_matrix(X.to_numpy(dtype=np.float64))

    def _values(self, X) -> np.ndarray:
        return self._values_matrix(X.to_numpy(dtype=np.float64))

    def _proba_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Probabilities of a float64 matrix (``TabularLearner.predict_matrix``)."""
        flat = self._flat(matrix)
        if flat is not None:
            proba = flat.predict(matrix)
        else:
            proba = self._by_rows(self.model_.predict_proba, matrix)
        return self._full_proba(proba, self.model_.classes_)

    def _values_matrix(self, matrix: np.ndarray) -> np.ndarray:
        flat = self._flat(matrix)
        if flat is not None:
            return flat.predict(matrix)[:, 0]
        return self._by_rows(self.model_.predict, matrix)

    def __getstate__(self) -> dict[str, Any]:
        """Pickled (scikit-learn's convention for estimators) without the flattened trees, a
        copy of the forest rebuilt on first use."""
        state = super().__getstate__()
        state.pop("flat_forest_", None)
        return state

    def _flat(self, matrix: np.ndarray) -> FlatForest | None:
        """The flattened trees for a batch of at most ``forest_rows.MAX_ROWS`` rows (built on
        first use), or None: a larger batch, or a forest too large to copy."""
        if len(matrix) > MAX_ROWS:
            return None
        flat = getattr(self, "flat_forest_", None)
        if flat is None:  # False: the forest was too large to flatten
            trees = self.model_.estimators_
            flat = self.flat_forest_ = FlatForest(trees) if FlatForest.fits(trees) else False
        return flat or None

    def _by_rows(self, predict: Callable[[np.ndarray], np.ndarray], matrix: np.ndarray):
        """``predict(matrix)``, the rows split among the predict threads for a large batch.

        Every row is scored by one thread visiting the trees in their order, so each prediction
        is the same sum whatever the thread count (the trees' Cython code releases the GIL).
        """
        self.model_.n_jobs = 1  # scikit-learn's tree-parallel sum is in thread-finishing order
        threads = min(predict_threads(), len(matrix) // MIN_CHUNK_ROWS)
        if len(matrix) < PARALLEL_PREDICT_ROWS or threads < 2:
            return predict(matrix)
        chunks = np.array_split(matrix, threads)
        with ThreadPoolExecutor(max_workers=threads) as pool:
            return np.concatenate(list(pool.map(predict, chunks)))

    def _save_model(self, directory: Path) -> dict[str, Any]:
        # the estimator's n_jobs is whatever the last prediction left; save the trained one
        self.model_.n_jobs = self.n_jobs
        atomic_write_bytes(directory / MODEL_FILE, skops_file.dumps(self.model_))
        return {"file": MODEL_FILE}

    def _load_model(self, directory: Path, model_meta: dict[str, Any]) -> None:
        data = (directory / model_meta["file"]).read_bytes()
        try:
            model = skops_file.loads(data, TRUSTED_TYPES)
        except Exception as err:  # skops raises its own types for untrusted or corrupt content
            raise IntegrityError(
                f"{directory / model_meta['file']} could not be loaded safely: {err}",
                hint="the file holds types outside modelyard's allow-list or is corrupt; retrain",
            ) from err
        allowed = (self._classifier, self._regressor)
        if not isinstance(model, allowed):
            raise IntegrityError(
                f"{directory / model_meta['file']} holds a {type(model).__name__}; expected one of "
                + ", ".join(c.__name__ for c in allowed),
                hint="the directory was not written by this learner; retrain",
            )
        model.n_jobs = self.n_jobs
        self.model_ = model

    @classmethod
    def search_space(cls, n_rows: int, n_cols: int, task: str) -> dict[str, Any]:
        """More trees and coarser leaves allowed as rows grow; ``depth`` 0 means unlimited."""
        depth_cap = max(4, math.ceil(math.log2(max(n_rows, 2))))
        space: dict[str, Any] = {
            "n_estimators": Int(32, max(64, min(512, n_rows)), log=True),
            "max_features": Float(min(1.0, max(0.05, 1.0 / max(n_cols, 1))), 1.0),
            "min_samples_leaf": Int(1, max(2, min(32, n_rows // 100)), log=True),
            "depth": Int(0, depth_cap),
        }
        if task in ("binary", "multiclass"):
            space["class_weight"] = Choice((None, "balanced"))
        return space

    @classmethod
    def params_from_space(cls, sample: dict[str, Any]) -> dict[str, Any]:
        """``depth`` -> ``max_depth`` (0 -> None, no limit); everything else passes through."""
        params = {k: v for k, v in sample.items() if k != "depth"}
        if "depth" in sample:
            params["max_depth"] = None if int(sample["depth"]) == 0 else int(sample["depth"])
        return params


@register
class RandomForestLearner(_ForestBase):
    """Random forest: trees on bootstrap samples, each split among a few random features.

    Each split is the best among ``max_features`` features drawn at random.
    """

    name = "random_forest"
    _classifier = RandomForestClassifier
    _regressor = RandomForestRegressor
    _bootstrap = True


@register
class ExtraTreesLearner(_ForestBase):
    """Extremely randomised trees: all rows, random split points; faster, often as accurate."""

    name = "extra_trees"
    cost_hint = 0.7
    _classifier = ExtraTreesClassifier
    _regressor = ExtraTreesRegressor
    _bootstrap = False

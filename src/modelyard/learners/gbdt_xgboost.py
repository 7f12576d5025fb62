"""'xgboost': gradient-boosted trees with XGBoost's native API, all three tasks.

Input kind 'categorical': pandas ``category`` columns are used natively (``enable_categorical``
with the 'hist' tree method). An ``eval_set`` turns on early stopping after
``early_stopping_rounds`` rounds without improvement; ``best_iteration_`` is the number of trees
used for prediction. A ``budget`` (anything with ``remaining()`` seconds) stops training at 0. The
booster is saved in XGBoost's binary JSON format (``model.ubj``) and loaded with ``load_model``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import xgboost as xgb

from modelyard.atomic import atomic_write_bytes
from modelyard.errors import TrainingError
from modelyard.learners.base import register
from modelyard.learners.boosting import (
    EARLY_STOPPING_CHECK,
    loss_history,
    restore_stopping,
    stopping_meta,
)
from modelyard.learners.params import integer, number
from modelyard.learners.space import Choice, Float, Int
from modelyard.learners.tabular import TabularLearner
from modelyard.learners.threads import predict_threads

MODEL_FILE = "model.ubj"
VALID_NAME = "validation"
TRAIN_NAME = "train"  # scored beside validation for the learning curve (cached predictions)
# objective and evaluation metric per task
OBJECTIVES = {
    "binary": ("binary:logistic", "logloss"),
    "multiclass": ("multi:softprob", "mlogloss"),
    "regression": ("reg:squarederror", "rmse"),
}


class _BudgetStop(xgb.callback.TrainingCallback):
    """Raises the stop flag once the budget has no time left; records that it did."""

    def __init__(self, budget: Any) -> None:
        super().__init__()
        self.budget = budget
        self.stopped = False

    def after_iteration(self, model: Any, epoch: int, evals_log: Any) -> bool:
        self.stopped = self.budget.remaining() <= 0
        return self.stopped


@register
class XGBoostLearner(TabularLearner):
    """XGBoost: gradient-boosted trees on histograms of the features, grown level by level.

    ``class_weight`` (None, 'balanced' or ``{code: weight}``) becomes per-row sample weights.
    ``max_bin`` is the number of histogram bins per feature. ``seed`` and ``n_jobs`` are passed
    to XGBoost; 'hist' training is deterministic for a fixed seed and thread count.
    """

    name = "xgboost"
    tasks = ("binary", "multiclass", "regression")
    input_kind = "categorical"
    cost_hint = 0.6
    library = "xgboost"
    param_checks = {
        "n_estimators": integer(1),
        "learning_rate": number(0, open_low=True),
        "max_depth": integer(0),
        "min_child_weight": number(0),
        "subsample": number(0, 1, open_low=True),
        "colsample_bytree": number(0, 1, open_low=True),
        "reg_lambda": number(0),
        "reg_alpha": number(0),
        "max_bin": integer(2),
        "early_stopping_rounds": EARLY_STOPPING_CHECK,
    }

    def __init__(
        self,
        n_estimators: int = 500,
        learning_rate: float = 0.05,
        max_depth: int = 6,
        min_child_weight: float = 1.0,
        subsample: float = 1.0,
        colsample_bytree: float = 1.0,
        reg_lambda: float = 1.0,
        reg_alpha: float = 0.0,
        max_bin: int = 256,
        class_weight: str | dict | None = None,
        early_stopping_rounds: int | None = 50,
        target_transform: str | None = None,
        task: str | None = None,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.max_bin = max_bin
        self.class_weight = class_weight
        self.early_stopping_rounds = early_stopping_rounds
        self.target_transform = target_transform
        self.task = task
        self.seed = seed
        self.n_jobs = n_jobs

    def _params(self) -> dict[str, Any]:
        objective, metric = OBJECTIVES[self.task_]
        params = {
            "objective": objective,
            "eval_metric": metric,
            "tree_method": "hist",
            "learning_rate": self.learning_rate,
            "max_depth": self.max_depth,
            "min_child_weight": self.min_child_weight,
            "subsample": self.subsample,
            "colsample_bytree": self.colsample_bytree,
            "reg_lambda": self.reg_lambda,
            "reg_alpha": self.reg_alpha,
            "max_bin": self.max_bin,
            "seed": self.seed,
            "nthread": self.n_jobs,
            "verbosity": 0,
        }
        if self.task_ == "multiclass":
            params["num_class"] = len(self.classes_)
        return params

    def _matrix(self, X, label=None, weight=None, threads: int | None = None) -> xgb.DMatrix:
        """A DMatrix with columns renamed f0, f1, ...: XGBoost rejects names with [, ] or <."""
        X = X.set_axis([f"f{i}" for i in range(X.shape[1])], axis=1)
        return xgb.DMatrix(X, label=label, weight=weight, enable_categorical=True,
                           nthread=threads or self.n_jobs)

    def _fit_model(self, X, y, eval_set, budget) -> None:
        try:
            train = self._matrix(X, y, self._sample_weight(y))
            evals, scored = [], {}
            if eval_set is not None:  # validation last: early stopping watches the last one
                evals = [(train, TRAIN_NAME), (self._matrix(eval_set[0], eval_set[1]), VALID_NAME)]
            stopper = _BudgetStop(budget) if budget is not None else None
            rounds = self.early_stopping_rounds if evals and self.early_stopping_rounds else None
            booster = xgb.train(
                self._params(),
                train,
                num_boost_round=self.n_estimators,
                evals=evals,
                early_stopping_rounds=rounds,
                verbose_eval=False,
                evals_result=scored,
                callbacks=[stopper] if stopper else None,
            )
        except (xgb.core.XGBoostError, ValueError, TypeError) as err:
            raise TrainingError(
                f"XGBoost failed to train: {err}",
                hint="check the hyperparameters (max_depth >= 0, 0 < subsample <= 1, ...)",
            ) from err
        self.n_trees_ = booster.num_boosted_rounds()
        if rounds:  # XGBoost records the best round only when early stopping is on
            self.best_iteration_ = int(booster.best_iteration) + 1
            self.best_score_ = float(booster.best_score)
        else:
            self.best_iteration_ = self.n_trees_
        if stopper is not None and stopper.stopped:
            self.stop_reason_ = "budget"
        elif rounds and self.n_trees_ < self.n_estimators:
            self.stop_reason_ = "early_stopping"
        else:
            self.stop_reason_ = "completed"
        self.booster_ = booster
        metric = OBJECTIVES[self.task_][1]
        self.history_ = loss_history(scored.get(TRAIN_NAME, {}).get(metric, []),
                                     scored.get(VALID_NAME, {}).get(metric, []))

    def _threads(self) -> int:
        """Set and return the booster's prediction threads, ``predict_threads()``."""
        threads = predict_threads()
        if getattr(self, "_predict_nthread", None) != threads:  # a booster keeps its thread count
            self.booster_.set_param({"nthread": threads})
            self._predict_nthread = threads
        return threads

    def _row_booster(self) -> xgb.Booster:
        """A copy of the booster that predicts on one thread, for single rows (one row is
        scored by one thread whatever the count; a second only adds OpenMP's hand-off). A copy,
        so that the shared booster's thread count never changes under a batch predicting on it
        in another thread."""
        cached = getattr(self, "_row_copy", None)
        if cached is None or cached[0] is not self.booster_:
            copy = self.booster_.copy()
            copy.set_param({"nthread": 1})
            cached = self._row_copy = (self.booster_, copy)
        return cached[1]

    def _raw(self, X) -> np.ndarray:
        threads = self._threads()
        out = self.booster_.predict(self._matrix(X, threads=threads),
                                    iteration_range=(0, self.best_iteration_))
        return np.asarray(out, dtype=np.float64)

    def _proba(self, X) -> np.ndarray:
        return self._proba_of(self._raw(X))

    def _values(self, X) -> np.ndarray:
        return self._raw(X)

    def _raw_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Predictions of the layout's float matrix (``TabularLearner.predict_matrix``): the
        booster's in-place prediction, which reads category codes as a DataFrame's categories
        are read, without building a DMatrix."""
        if len(matrix) == 1:
            booster = self._row_booster()
        else:
            self._threads()
            booster = self.booster_
        out = booster.inplace_predict(matrix, iteration_range=(0, self.best_iteration_))
        return np.asarray(out, dtype=np.float64)

    def _proba_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return self._proba_of(self._raw_matrix(matrix))

    def _values_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return self._raw_matrix(matrix)

    def _proba_of(self, out: np.ndarray) -> np.ndarray:
        if self.task_ == "binary":
            return np.column_stack([1.0 - out, out])
        return out / out.sum(axis=1, keepdims=True)  # float32 softmax, renormalised in float64

    def _save_model(self, directory: Path) -> dict[str, Any]:
        atomic_write_bytes(directory / MODEL_FILE, bytes(self.booster_.save_raw(raw_format="ubj")))
        return stopping_meta(self, MODEL_FILE)

    def _load_model(self, directory: Path, model_meta: dict[str, Any]) -> None:
        booster = xgb.Booster(params={"nthread": self.n_jobs})
        try:
            booster.load_model(bytearray((directory / model_meta["file"]).read_bytes()))
        except xgb.core.XGBoostError as err:
            raise TrainingError(
                f"{directory / model_meta['file']} is not a valid XGBoost model: {err}",
                hint="the file is corrupt or was edited; retrain",
            ) from err
        self.booster_ = booster
        restore_stopping(self, model_meta)

    @classmethod
    def search_space(cls, n_rows: int, n_cols: int, task: str) -> dict[str, Any]:
        """Trees, depth and histogram resolution bounded by the number of rows."""
        log_rows = math.ceil(math.log2(max(n_rows, 2)))
        space: dict[str, Any] = {
            "n_estimators": Int(32, max(64, min(4096, n_rows)), log=True),
            "learning_rate": Float(0.01, 0.3, log=True),
            "max_depth": Int(2, max(4, min(12, log_rows))),
            "min_child_weight": Float(0.1, max(1.0, min(64.0, n_rows / 50)), log=True),
            "subsample": Float(0.5, 1.0),
            "colsample_bytree": Float(0.5, 1.0),
            "reg_lambda": Float(1e-3, 10.0, log=True),
            "log2_max_bin": Int(4, max(5, min(10, log_rows))),
        }
        if task in ("binary", "multiclass"):
            space["class_weight"] = Choice((None, "balanced"))
        return space

    @classmethod
    def params_from_space(cls, sample: dict[str, Any]) -> dict[str, Any]:
        """``log2_max_bin`` -> ``max_bin = 2 ** log2_max_bin``; the rest passes through."""
        params = {k: v for k, v in sample.items() if k != "log2_max_bin"}
        if "log2_max_bin" in sample:
            params["max_bin"] = 2 ** int(sample["log2_max_bin"])
        return params

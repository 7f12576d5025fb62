"""'catboost': gradient boosting of oblivious (symmetric) trees with CatBoost, all three tasks.

Input kind 'categorical': pandas ``category`` columns go to CatBoost as categorical features (as
integer codes, -1 for missing), which it encodes with ordered target statistics and feature
combinations, fitted inside the training rows only. An ``eval_set`` turns on early stopping after
``early_stopping_rounds`` rounds without improvement, and the model is cut to its best iteration.
A ``budget`` (anything with ``remaining()`` seconds) stops training at 0. The model is saved in
CatBoost's binary format (``model.cbm``, a flatbuffer, no pickle) and loaded with ``load_model``.
CatBoost never writes its training logs to disk here (``allow_writing_files`` is off).

CatBoost stamps every model it trains with the time training finished and a random model GUID
(:data:`RUN_METADATA`); neither takes part in predicting, and both would make the same model saved
twice two different files. They are removed from the model's metadata before it is saved, so the
file depends only on the data, the hyperparameters and the seed.
"""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from typing import Any

import catboost as cb
import numpy as np
import pandas as pd

from modelyard.atomic import atomic_write_bytes
from modelyard.errors import TrainingError
from modelyard.learners.base import register
from modelyard.learners.boosting import EARLY_STOPPING_CHECK, restore_stopping, stopping_meta
from modelyard.learners.params import integer, number
from modelyard.learners.space import Choice, Float, Int
from modelyard.learners.tabular import TabularLearner
from modelyard.learners.threads import predict_threads

MODEL_FILE = "model.cbm"
VALID_NAME = "validation"  # CatBoost's name for the eval set in its metrics
# loss per task; CatBoost tracks the same loss on the eval set for early stopping
LOSSES = {"binary": "Logloss", "multiclass": "MultiClass", "regression": "RMSE"}
MAX_DEPTH = 16  # CatBoost's limit for oblivious trees
# metadata CatBoost writes into each model that describes the training run, not the model
RUN_METADATA = ("train_finish_time", "model_guid")


class _StopControl:
    """CatBoost callback: early stopping on the validation loss and the time budget.

    Stops after ``rounds`` rounds without improvement (CatBoost's own detector stops one round
    later than LightGBM and XGBoost for the same setting), or once the budget has no time left;
    records the rounds grown and why it stopped. The model itself is cut to its best round by
    CatBoost (``use_best_model``).
    """

    def __init__(self, rounds: int | None, budget: Any) -> None:
        self.rounds = rounds
        self.budget = budget
        self.grown = 0
        self.best: tuple[float, int] | None = None  # (loss, round)
        self.reason = "completed"

    def after_iteration(self, info: Any) -> bool:  # True: go on
        self.grown = info.iteration  # CatBoost counts rounds from 1 here
        losses = info.metrics.get(VALID_NAME)
        if losses:
            loss = next(iter(losses.values()))[-1]
            if self.best is None or loss < self.best[0]:
                self.best = (loss, self.grown)
            elif self.rounds and self.grown - self.best[1] >= self.rounds:
                self.reason = "early_stopping"
                return False
        if self.budget is not None and self.budget.remaining() <= 0:
            self.reason = "budget"
            return False
        return True


@register
class CatBoostLearner(TabularLearner):
    """CatBoost: gradient-boosted symmetric trees with its own categorical encoding.

    The trees are oblivious (one split per level) and ``depth`` levels deep.

    ``class_weight`` (None, 'balanced' or ``{code: weight}``) becomes per-row sample weights.
    ``max_bin`` is the number of borders per numeric feature. ``random_strength`` scales the noise
    added to split scores, ``bagging_temperature`` the Bayesian bootstrap (0: every row weighs 1).
    ``seed`` and ``n_jobs`` are passed to CatBoost; training on the CPU is deterministic for a
    fixed seed and thread count.
    """

    name = "catboost"
    tasks = ("binary", "multiclass", "regression")
    input_kind = "categorical"
    cost_hint = 1.5
    library = "catboost"
    # 10-40x LightGBM's seconds per tree (bench/README.md): a search tries it only when named
    searched_by_default = False
    param_checks = {
        "n_estimators": integer(1),
        "learning_rate": number(0, open_low=True),
        "depth": (lambda v: integer(1)[0](v) and v <= MAX_DEPTH, f"an integer in [1, {MAX_DEPTH}]"),
        "l2_leaf_reg": number(0),
        "random_strength": number(0),
        "bagging_temperature": number(0),
        "max_bin": integer(2, 65535),  # CatBoost's limit on border_count
        "early_stopping_rounds": EARLY_STOPPING_CHECK,
    }

    def __init__(
        self,
        n_estimators: int = 1000,
        learning_rate: float = 0.05,
        depth: int = 6,
        l2_leaf_reg: float = 3.0,
        random_strength: float = 1.0,
        bagging_temperature: float = 1.0,
        max_bin: int = 254,
        class_weight: str | dict | None = None,
        early_stopping_rounds: int | None = 50,
        target_transform: str | None = None,
        task: str | None = None,
        seed: int = 0,
        n_jobs: int = 1,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.depth = depth
        self.l2_leaf_reg = l2_leaf_reg
        self.random_strength = random_strength
        self.bagging_temperature = bagging_temperature
        self.max_bin = max_bin
        self.class_weight = class_weight
        self.early_stopping_rounds = early_stopping_rounds
        self.target_transform = target_transform
        self.task = task
        self.seed = seed
        self.n_jobs = n_jobs

    def _params(self, with_eval: bool) -> dict[str, Any]:
        params: dict[str, Any] = {
            "loss_function": LOSSES[self.task_],
            "iterations": self.n_estimators,
            "learning_rate": self.learning_rate,
            "depth": self.depth,
            "l2_leaf_reg": self.l2_leaf_reg,
            "random_strength": self.random_strength,
            "bagging_temperature": self.bagging_temperature,
            "border_count": self.max_bin,
            "random_seed": self.seed,
            "thread_count": self.n_jobs,
            "verbose": False,
            "allow_writing_files": False,
        }
        if self.task_ == "multiclass":
            params["classes_count"] = len(self.classes_)
        if with_eval:  # keep the trees up to the best round on the eval set
            params["use_best_model"] = True
        return params

    def _pool(self, X: pd.DataFrame, label=None, weight=None) -> cb.Pool:
        """Category columns as int codes (-1 = missing): CatBoost takes ints or strings only."""
        data, categorical = {}, []
        for index, name in enumerate(X.columns):
            col = X[name]
            if isinstance(col.dtype, pd.CategoricalDtype):
                data[f"f{index}"] = col.cat.codes.to_numpy(np.int32)
                categorical.append(index)
            else:
                data[f"f{index}"] = col.to_numpy(np.float64)
        frame = pd.DataFrame(data, index=X.index)
        return cb.Pool(frame, label=label, weight=weight, cat_features=categorical or None,
                       thread_count=self.n_jobs)

    def _fit_model(self, X, y, eval_set, budget) -> None:
        control = _StopControl(self.early_stopping_rounds, budget)
        try:
            train = self._pool(X, y, self._sample_weight(y))
            valid = self._pool(eval_set[0], eval_set[1]) if eval_set is not None else None
            model = cb.CatBoost(self._params(valid is not None))
            model.fit(train, eval_set=valid, callbacks=[control])
        except cb.CatBoostError as err:
            raise TrainingError(
                f"CatBoost failed to train: {err}",
                hint="check the hyperparameters (depth 1-16, learning_rate > 0, ...)",
            ) from err
        self.n_trees_ = control.grown
        self.best_iteration_ = int(model.tree_count_)  # trees kept: use_best_model cut the rest
        if control.best is not None:
            self.best_score_ = float(control.best[0])
        self.stop_reason_ = control.reason
        self.model_ = model

    def _raw(self, X, kind: str) -> np.ndarray:
        pool = self._pool(X)
        out = self.model_.predict(pool, prediction_type=kind, thread_count=predict_threads())
        return np.asarray(out, dtype=np.float64)

    def _proba(self, X) -> np.ndarray:
        return self._proba_of(self._raw(X, "Probability"))

    def _values(self, X) -> np.ndarray:
        return self._raw(X, "RawFormulaVal").reshape(-1)

    def _matrix_raw(self, matrix: np.ndarray, kind: str) -> np.ndarray:
        """Predictions of the layout's float matrix (``TabularLearner.predict_matrix``), as rows
        of Python values: category codes as ints (-1 missing), as ``_pool`` hands them over."""
        categorical = {i for i, c in enumerate(self.layout_) if c["kind"] == "category"}
        rows = [[(-1 if v != v else int(v)) if j in categorical else float(v)
                 for j, v in enumerate(row)] for row in matrix.tolist()]
        pool = cb.Pool(rows, cat_features=sorted(categorical) or None, thread_count=self.n_jobs)
        threads = 1 if len(rows) == 1 else predict_threads()  # one row: one thread scores it
        out = self.model_.predict(pool, prediction_type=kind, thread_count=threads)
        return np.asarray(out, dtype=np.float64)

    def _proba_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return self._proba_of(self._matrix_raw(matrix, "Probability"))

    def _values_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return self._matrix_raw(matrix, "RawFormulaVal").reshape(-1)

    @staticmethod
    def _proba_of(out: np.ndarray) -> np.ndarray:
        if out.ndim == 1:  # a single row comes back flat
            out = out.reshape(1, -1)
        return out / out.sum(axis=1, keepdims=True)

    def _save_model(self, directory: Path) -> dict[str, Any]:
        metadata = self.model_.get_metadata()
        for key in RUN_METADATA:
            if key in metadata:
                del metadata[key]
        with tempfile.TemporaryDirectory(dir=directory, prefix=".tmp-catboost-") as scratch:
            path = Path(scratch) / MODEL_FILE
            self.model_.save_model(str(path), format="cbm")
            atomic_write_bytes(directory / MODEL_FILE, path.read_bytes())
        return stopping_meta(self, MODEL_FILE)

    def _load_model(self, directory: Path, model_meta: dict[str, Any]) -> None:
        model = cb.CatBoost()
        try:
            model.load_model(blob=(directory / model_meta["file"]).read_bytes())
        except cb.CatBoostError as err:
            raise TrainingError(
                f"{directory / model_meta['file']} is not a valid CatBoost model: {err}",
                hint="the file is corrupt or was edited; retrain",
            ) from err
        self.model_ = model
        restore_stopping(self, model_meta)

    @classmethod
    def search_space(cls, n_rows: int, n_cols: int, task: str) -> dict[str, Any]:
        """Trees and depth bounded by the number of rows; CatBoost's usual tuning ranges."""
        log_rows = math.ceil(math.log2(max(n_rows, 2)))
        space: dict[str, Any] = {
            "n_estimators": Int(32, max(64, min(4096, 2 * n_rows)), log=True),
            "learning_rate": Float(0.01, 0.3, log=True),
            "depth": Int(2, max(4, min(10, log_rows - 2))),
            "l2_leaf_reg": Float(0.5, 30.0, log=True),
            "random_strength": Float(0.1, 10.0, log=True),
            "bagging_temperature": Float(0.0, 1.0),
            "log2_max_bin": Int(5, 8),
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

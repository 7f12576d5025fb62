"""The shared base of the tabular learners: target checks, declarative parameter checks and
:class:`TabularLearner`, which implements fit, predict, save and load once.

Subclasses implement five hooks: ``_fit_model``, ``_proba`` (classifiers), ``_values``
(regression), ``_save_model`` and ``_load_model``. The three every learner needs are abstract
(a learner without one cannot be instantiated); a learner whose ``tasks`` include classification
without ``_proba``, or regression without ``_values``, fails when its class is defined. A
regression learner that takes a ``target_transform`` hyperparameter gets it here too: its hooks
see ``log1p(y)`` and ``predict`` turns their values back (``target_transform.py``). The files
and layout plumbing they rely on is in :mod:`modelyard.learners.persist`.
"""

from __future__ import annotations

import importlib
import inspect
from abc import abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.utils.class_weight import compute_sample_weight
from sklearn.utils.metaestimators import available_if

from modelyard.errors import DataError, SpecError, TrainingError
from modelyard.learners import target_transform
from modelyard.learners.base import TASKS, Learner, available
from modelyard.learners.params import CLASS_WEIGHT_CHECK, COMMON_CHECKS, Check, check_params
from modelyard.learners.persist import (
    CLASSIFICATION,
    FORMAT_VERSION,
    capture_layout,
    from_json_value,
    read_meta,
    restore_layout,
    write_meta,
)


# -- target -------------------------------------------------------------------------------------
def check_target(
    y: Any, task: str | None, tasks: tuple[str, ...], n_rows: int, learner: str
) -> tuple[str, np.ndarray, int | None]:
    """Validate ``y``; return (task, y as int64 codes or float64 values, number of classes)."""
    arr = np.asarray(y)
    if arr.ndim != 1 or len(arr) != n_rows:
        # hint: python-api: only code that calls modelyard directly meets it
        raise DataError(
            f"y must be 1-d with one value per row of X ({n_rows}); got shape {arr.shape}",
            hint="pass a 1-d array or Series (y.ravel())",
        )
    if task is not None and task not in TASKS:
        raise SpecError(f"unknown task {task!r}", hint="valid tasks: " + ", ".join(TASKS))
    if arr.dtype == bool:
        arr = arr.astype(np.int64)
    if not np.issubdtype(arr.dtype, np.number):
        raise DataError(
            f"y must hold class codes 0..k-1 or float values; got dtype {arr.dtype}",
            hint="encode labels as integer codes first (the features/ target encoding does it)",
        )
    if task is None:
        task = Learner._infer_task(arr, None)
        if task == "binary" and len(arr) and np.nanmax(arr) >= 2:
            task = "multiclass"  # codes such as {0, 2}: a class is absent, but k > 2
    if task not in tasks:
        raise SpecError(
            f"learner '{learner}' serves {', '.join(tasks)}; got task '{task}'",
            hint=f"learners for {task}: " + ", ".join(available(task)),
        )
    if task == "regression":
        values = arr.astype(np.float64)
        if not np.all(np.isfinite(values)):
            raise DataError(
                f"y has {int(np.sum(~np.isfinite(values)))} missing or infinite values",
                hint="drop rows whose target is missing before training",
            )
        return task, values, None
    if not np.all(np.isfinite(arr)) or np.any(arr < 0) or np.any(arr != np.round(arr)):
        raise DataError(
            f"a {task} target must hold class codes 0..k-1; got values such as "
            f"{np.unique(arr)[:5].tolist()}",
            hint="encode labels as integer codes first (the features/ target encoding does it)",
        )
    codes = arr.astype(np.int64)
    n_classes = 2 if task == "binary" else int(codes.max()) + 1
    if codes.max() >= n_classes:
        raise DataError(
            f"a binary target must hold codes 0 and 1; got max code {codes.max()}",
            hint="use task='multiclass' for more than two classes",
        )
    if len(np.unique(codes)) < 2:
        raise TrainingError(
            f"y holds a single class ({codes[0]}); there is nothing to learn",
            hint="check the target column and the split (stratify it)",
        )
    return task, codes, n_classes


# -- the shared base ----------------------------------------------------------------------------
def _serves_classification(learner: TabularLearner) -> bool:
    return any(t in CLASSIFICATION for t in learner.tasks)


class TabularLearner(Learner):
    """Plumbing shared by the tabular families: input checks, predict dispatch, save/load."""

    library: ClassVar[str] = "sklearn"  # module whose __version__ is recorded on save
    # hyperparameters that steer one training run (where to checkpoint, whether to show progress)
    # and not the model: saved at their defaults, so a model's files do not depend on where or
    # how it was trained (a loaded model has no checkpoint folder and shows no progress)
    run_settings: ClassVar[tuple[str, ...]] = ()
    # hyperparameter -> (valid?, expected); checked with COMMON_CHECKS at the start of fit
    param_checks: ClassVar[dict[str, Check]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """A named learner must predict for every task it declares: ``_proba`` for binary and
        multiclass, ``_values`` for regression (``TypeError`` when its class is defined)."""
        super().__init_subclass__(**kwargs)
        if not cls.name:  # a shared base of a family (_LinearBase), not a learner yet
            return
        needed = {"_proba": CLASSIFICATION, "_values": ("regression",)}
        missing = [hook for hook, tasks in needed.items()
                   if set(cls.tasks) & set(tasks) and not callable(getattr(cls, hook, None))]
        if missing:
            raise TypeError(f"learner {cls.__name__} ('{cls.name}') serves {', '.join(cls.tasks)} "
                            f"but does not implement {' and '.join(missing)}")

    # -- hooks ----------------------------------------------------------------------------------
    @abstractmethod
    def _fit_model(self, X: pd.DataFrame, y: np.ndarray, eval_set, budget) -> None:
        """Fit the library's model on checked input; set the fitted ``*_`` attributes."""

    # ``_proba(X)`` (class probabilities, rows x classes) and ``_values(X)`` (regression values)
    # are defined by the learners whose tasks need them; ``__init_subclass__`` checks that.

    @abstractmethod
    def _save_model(self, directory: Path) -> dict[str, Any]:
        """Write the native model file(s) into ``directory``; what ``_load_model`` needs back."""

    @abstractmethod
    def _load_model(self, directory: Path, model_meta: dict[str, Any]) -> None:
        """Read what ``_save_model`` wrote (``model_meta`` is what it returned)."""

    @classmethod
    def params_from_space(cls, sample: dict[str, Any]) -> dict[str, Any]:
        """Turn a point of ``search_space`` into constructor parameters (identity by default)."""
        return dict(sample)

    # -- contract -------------------------------------------------------------------------------
    def fit(self, X, y, *, eval_set=None, budget=None) -> TabularLearner:
        """Validate ``X``/``y``, learn, set the fitted ``*_`` attributes and return ``self``."""
        self._forget()
        self._validate_params()
        if budget is not None and not callable(getattr(budget, "remaining", None)):
            raise SpecError(
                f"budget must have a remaining() method returning seconds; got "
                f"{type(budget).__name__}",
                hint="pass a modelyard Budget, or None for no time limit",
            )
        frame, layout = capture_layout(X, self.input_kind, self.name)
        task, target, n_classes = check_target(y, self.task, self.tasks, len(frame), self.name)
        transform = getattr(self, "target_transform", None)
        target_transform.check_transform(transform, task, target, self.name)
        self.task_ = task
        if transform is not None:
            target, self.target_range_ = target_transform.encode(target)
        if n_classes is not None:
            self.classes_ = np.arange(n_classes)
        self.layout_ = layout
        self.n_features_in_ = len(layout)
        self.feature_names_in_ = np.asarray([c["name"] for c in layout], dtype=object)
        try:
            evals = self._check_eval_set(eval_set)
            self._fit_model(frame, target, evals, budget)
        except BaseException:
            self._forget()
            raise
        return self

    def predict(self, X) -> np.ndarray:
        """Class codes (argmax of ``predict_proba``) or regression values."""
        frame = self._input(X)
        if self.is_classifier:
            return np.argmax(self._proba(frame), axis=1).astype(np.int64)
        values = np.asarray(self._values(frame), dtype=np.float64)
        value_range = getattr(self, "target_range_", None)
        return values if value_range is None else target_transform.decode(values, value_range)

    def predict_matrix(self, matrix: np.ndarray) -> np.ndarray | None:
        """What ``predict_proba`` (a classifier) or ``predict`` (regression) returns, for rows
        given as the float64 matrix the learner's input becomes once its layout is restored:
        the layout's columns in order, numbers as they are, a category column as its codes in
        the layout's categories (NaN: missing or unseen). None when the learner has no such
        path (``_proba_matrix`` / ``_values_matrix``). The single-row path of ``model/`` uses
        it to predict without building a DataFrame; the values are the DataFrame path's.
        """
        if not hasattr(self, "layout_"):  # (a fitted learner has one: _check_fitted costs 10 us)
            self._check_fitted()
        if self.is_classifier:
            hook = getattr(self, "_proba_matrix", None)
            return None if hook is None else np.asarray(hook(matrix), dtype=np.float64)
        hook = getattr(self, "_values_matrix", None)
        if hook is None:
            return None
        values = np.asarray(hook(matrix), dtype=np.float64)
        value_range = getattr(self, "target_range_", None)
        return values if value_range is None else target_transform.decode(values, value_range)

    @available_if(_serves_classification)
    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_rows, k), columns in class-code order."""
        frame = self._input(X)
        if not self.is_classifier:
            raise TrainingError(
                f"this {self.name} learner was fitted for '{self.task_}'; it has no probabilities",
                hint="use predict, or fit with a classification target",
            )
        return self._proba(frame)

    def save(self, directory: str | Path) -> None:
        """Write the native model file(s), then ``learner.json``, into ``directory``."""
        self._check_fitted()
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        model_meta = self._save_model(directory)
        classes = getattr(self, "classes_", None)
        write_meta(
            directory,
            {
                "format_version": FORMAT_VERSION,
                "learner": self.name,
                "params": self.saved_params(),
                "task": self.task_,
                "classes": None if classes is None else classes.tolist(),
                "feature_names": self.feature_names_in_.tolist(),
                "layout": self.layout_,
                "model": model_meta,
                "target_range": getattr(self, "target_range_", None),
                "library": {self.library: importlib.import_module(self.library).__version__},
            },
        )

    @classmethod
    def load(cls, directory: str | Path) -> TabularLearner:
        """Rebuild a fitted learner from ``directory`` (no pickle involved)."""
        directory = Path(directory)
        meta = read_meta(directory, cls.name)
        try:
            learner = cls(**from_json_value(meta["params"]))
        except TypeError as err:
            raise TrainingError(
                f"saved hyperparameters of '{cls.name}' do not match this version: {err}",
                hint="load the model with the modelyard version that saved it, or retrain",
            ) from err
        learner.task_ = meta["task"]
        if meta["classes"] is not None:
            learner.classes_ = np.asarray(meta["classes"], dtype=np.int64)
        learner.layout_ = meta["layout"]
        learner.n_features_in_ = len(meta["layout"])
        learner.feature_names_in_ = np.asarray(meta["feature_names"], dtype=object)
        if meta.get("target_range") is not None:  # absent in files saved before the transform
            learner.target_range_ = [float(v) for v in meta["target_range"]]
        learner._load_model(directory, meta["model"])
        return learner

    def saved_params(self) -> dict[str, Any]:
        """The hyperparameters ``save`` records: all of them, ``run_settings`` at their defaults."""
        params = self.get_params(deep=False)
        defaults = inspect.signature(type(self).__init__).parameters
        return {k: defaults[k].default if k in self.run_settings else v for k, v in params.items()}

    # -- helpers for subclasses -----------------------------------------------------------------
    @classmethod
    def check_params(cls, params: dict[str, Any], task: str | None = None) -> None:
        """Check hyperparameters against ``COMMON_CHECKS`` and the class's ``param_checks`` (and,
        with ``task``, against that task); a ``SpecError`` names the first bad one."""
        defaults = {name: p.default for name, p in
                    inspect.signature(cls.__init__).parameters.items() if name != "self"}
        check_params(cls.name, params, {**COMMON_CHECKS, **cls.param_checks}, defaults, task=task)

    def _validate_params(self) -> None:
        """Check every hyperparameter against the declared checks (see ``check_params``)."""
        self.check_params(self.get_params(deep=False))

    def _forget(self) -> None:
        """Drop every fitted attribute, so a failed (re)fit never leaves a half-fitted learner."""
        for key in [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]:
            delattr(self, key)

    def _input(self, X) -> pd.DataFrame:
        self._check_fitted()
        return restore_layout(X, self.layout_, self.name)

    def _check_eval_set(self, eval_set) -> tuple[pd.DataFrame, np.ndarray] | None:
        if eval_set is None:
            return None
        if isinstance(eval_set, list) and len(eval_set) == 1:
            eval_set = eval_set[0]  # scikit-learn style [(X_val, y_val)]
        if not isinstance(eval_set, tuple | list) or len(eval_set) != 2:
            raise SpecError(
                f"eval_set must be a pair (X_val, y_val); got {type(eval_set).__name__}",
                hint="pass eval_set=(X_val, y_val) from the validation split",
            )
        frame = restore_layout(eval_set[0], self.layout_, self.name)
        tasks = (self.task_,)
        task, target, _ = check_target(eval_set[1], self.task_, tasks, len(frame), self.name)
        transform = getattr(self, "target_transform", None)
        if transform is not None:  # validation targets on the scale the learner fits on
            target_transform.check_transform(transform, task, target, f"{self.name} eval_set")
            target = target_transform.encode(target)[0]
        if self.is_classifier and target.max() >= len(self.classes_):
            raise DataError(
                f"validation target has class code {target.max()}, but training saw "
                f"{len(self.classes_)} classes",
                hint="encode validation labels with the encoder fitted on the training rows",
            )
        return frame, target

    def _class_weight(self) -> Any:
        """The validated ``class_weight`` hyperparameter (None, 'balanced' or {code: weight})."""
        cw = self.class_weight
        if cw is None:
            return None
        if not CLASS_WEIGHT_CHECK[0](cw):
            raise SpecError(
                f"class_weight expected {CLASS_WEIGHT_CHECK[1]}; got {cw!r}",
                hint="use class_weight='balanced' for imbalanced classes",
            )
        if not self.is_classifier:
            raise SpecError(
                f"class_weight applies to classification; this {self.name} learner is "
                f"fitted for '{self.task_}'",
                hint="leave class_weight=None for regression",
            )
        if isinstance(cw, dict):  # codes written as text by a JSON round trip: '1' is class 1
            return {int(code): float(weight) for code, weight in cw.items()}
        return cw

    def _sample_weight(self, y: np.ndarray) -> np.ndarray | None:
        """Per-row weights implementing ``class_weight`` for learners that take sample weights."""
        cw = self._class_weight()
        return None if cw is None else compute_sample_weight(cw, y)

    def _full_proba(self, proba: np.ndarray, seen: np.ndarray) -> np.ndarray:
        """Spread probabilities over all ``classes_`` when some class was absent from training."""
        proba = np.asarray(proba, dtype=np.float64)
        if proba.shape[1] == len(self.classes_):
            return proba
        full = np.zeros((proba.shape[0], len(self.classes_)))
        full[:, np.asarray(seen, dtype=np.int64)] = proba
        return full

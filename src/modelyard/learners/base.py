"""The learner contract and the registry learners add themselves to.

A learner follows the scikit-learn estimator contract: ``__init__`` stores its hyperparameters
verbatim; ``fit`` validates, learns, sets attributes ending in ``_`` and returns ``self``.

Input: ``X`` is a pandas DataFrame produced by the fitted preprocessing (``features/``). What it
holds depends on the learner's ``input_kind``:

* ``"dense"``: every column float (one-hot categoricals, imputed and, if ``needs_scaling``, scaled);
* ``"categorical"``: numeric columns float, categorical columns pandas ``category`` dtype with the
  categories fixed on the training rows (LightGBM, XGBoost and the MLP's embeddings use them
  natively).

``y`` is a 1-d array: integer class codes ``0..k-1`` for classification, floats for regression.

``Learner`` is an abstract base: a subclass that leaves out ``fit``, ``predict``, ``save`` or
``load`` cannot be instantiated (a ``TypeError`` naming the missing methods), so a forgotten method
fails when the learner is built, not at its first call.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator

from modelyard.errors import SpecError, TrainingError, did_you_mean

TASKS = ("binary", "multiclass", "regression")

_REGISTRY: dict[str, type[Learner]] = {}


class Learner(BaseEstimator, ABC):
    """Base class: shared plumbing only. Subclasses set the class attributes below and implement
    the four abstract methods."""

    name: ClassVar[str] = ""
    tasks: ClassVar[tuple[str, ...]] = ()
    input_kind: ClassVar[str] = "dense"  # "dense" or "categorical"
    needs_scaling: ClassVar[bool] = False
    cost_hint: ClassVar[float] = 1.0  # relative cost per row, for budgeting searches
    # whether a search tries it when its spec names no learners (False: only when named)
    searched_by_default: ClassVar[bool] = True

    # -- contract -------------------------------------------------------------------------------
    @abstractmethod
    def fit(self, X, y, *, eval_set=None, budget=None) -> Learner:
        """Learn from ``X``/``y`` (early stopping on ``eval_set``, within ``budget``); ``self``."""

    @abstractmethod
    def predict(self, X) -> np.ndarray:
        """Class codes (classification) or values (regression), one per row of ``X``."""

    @classmethod
    def check_params(cls, params: dict[str, Any], task: str | None = None) -> None:
        """Raise ``SpecError`` for a hyperparameter value this learner cannot take: here, any
        value that is not plain data (families add their declared checks)."""
        from modelyard.learners.params import check_params

        check_params(cls.name, params, {}, {}, task=task)

    @classmethod
    def search_space(cls, n_rows: int, n_cols: int, task: str) -> dict[str, Any]:
        """Hyperparameter space sized by the data: name -> distribution description."""
        return {}

    @abstractmethod
    def save(self, directory: str | Path) -> None:
        """Write the fitted learner into ``directory`` in a safe format (never a pickle)."""

    @classmethod
    @abstractmethod
    def load(cls, directory: str | Path) -> Learner:
        """Rebuild a fitted learner from what ``save`` wrote."""

    # -- shared helpers -------------------------------------------------------------------------
    @property
    def is_classifier(self) -> bool:
        return getattr(self, "task_", None) in ("binary", "multiclass")

    def _check_fitted(self) -> None:
        fitted = [k for k in vars(self) if k.endswith("_") and not k.startswith("_")]
        if not fitted:
            # hint: python-api: only code that calls modelyard directly meets it
            raise TrainingError(
                f"this {type(self).__name__} is not fitted yet",
                hint="call fit(X, y) before predict, predict_proba or save",
            )

    @staticmethod
    def _infer_task(y: np.ndarray, task: str | None) -> str:
        if task:
            return task
        if np.issubdtype(np.asarray(y).dtype, np.floating):
            return "regression"
        return "binary" if len(np.unique(y)) <= 2 else "multiclass"


def register(cls: type[Learner]) -> type[Learner]:
    """Class decorator: add a learner to the registry under its ``name``."""
    if not cls.name:
        raise TypeError(f"{cls.__name__} needs a non-empty 'name' to be registered")
    _REGISTRY[cls.name] = cls
    return cls


# Built-in learner name -> the module that registers it. Modules are imported on first use, so
# that loading a LightGBM model never imports PyTorch (and costs its memory).
BUILTIN_MODULES = {
    "logistic": "linear",
    "linear": "linear",
    "random_forest": "forest",
    "extra_trees": "forest",
    "lightgbm": "gbdt_lightgbm",
    "xgboost": "gbdt_xgboost",
    "catboost": "gbdt_catboost",
    "mlp": "neural",
}


def available(task: str | None = None) -> dict[str, type[Learner]]:
    """Registered learners (those serving ``task`` when given), by name; imports every family."""
    for module in sorted(set(BUILTIN_MODULES.values())):
        importlib.import_module(f"modelyard.learners.{module}")
    return {n: c for n, c in sorted(_REGISTRY.items()) if task is None or task in c.tasks}


def get_learner(name: str) -> type[Learner]:
    """The learner class registered as ``name``; an unknown name lists the valid ones."""
    if name not in _REGISTRY and name in BUILTIN_MODULES:
        importlib.import_module(f"modelyard.learners.{BUILTIN_MODULES[name]}")
    if name not in _REGISTRY:
        known = available()
        raise SpecError(f"unknown learner '{name}'", hint=did_you_mean(name, known))
    return _REGISTRY[name]

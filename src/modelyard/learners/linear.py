"""Linear learners: 'logistic' (scikit-learn LogisticRegression) and 'linear' (Ridge).

Both take dense, scaled input. After fitting they keep only their coefficients and intercepts
(``coef_``, ``intercept_``) and predict from them with numpy, so a model rebuilt from the saved
``linear.npz`` (read with ``allow_pickle=False``) predicts exactly like the fitted one.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import expit, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, Ridge

from modelyard.atomic import atomic_write_bytes
from modelyard.errors import DataError, TrainingError
from modelyard.learners.base import register
from modelyard.learners.params import integer, number
from modelyard.learners.space import Choice, Float
from modelyard.learners.tabular import TabularLearner

PARAMS_FILE = "linear.npz"


def _finite_matrix(X: pd.DataFrame, learner: str) -> np.ndarray:
    """``X`` as a float matrix; a linear model cannot use missing or infinite values."""
    matrix = X.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(matrix)
    if bad.any():
        columns = [str(c) for c in X.columns[bad.any(axis=0)]]
        row, col = np.argwhere(bad)[0]
        raise DataError(
            f"learner '{learner}' got {int(bad.sum())} missing or infinite values in columns "
            f"{columns[:10]} (the first: {matrix[row, col]} in column '{X.columns[col]}', "
            f"row {row + 1}); it needs every value finite",
            hint="train it with `modelyard train`, whose preprocessing imputes missing values "
            "and clips extreme ones, or use a tree learner such as 'lightgbm', which handles "
            "missing values",
        )
    return matrix


class _LinearBase(TabularLearner):
    """Save/load of a coefficient matrix and intercept vector as npz."""

    input_kind = "dense"
    needs_scaling = True
    cost_hint = 0.2

    def _save_model(self, directory: Path) -> dict[str, Any]:
        buffer = io.BytesIO()
        np.savez(buffer, coef=self.coef_, intercept=self.intercept_)
        atomic_write_bytes(directory / PARAMS_FILE, buffer.getvalue())
        return {"file": PARAMS_FILE, "n_iter": self.n_iter_, "converged": self.converged_}

    def _load_model(self, directory: Path, model_meta: dict[str, Any]) -> None:
        with np.load(directory / model_meta["file"], allow_pickle=False) as params:
            self.coef_ = params["coef"]
            self.intercept_ = params["intercept"]
        self.n_iter_ = model_meta["n_iter"]
        self.converged_ = model_meta["converged"]

    def _scores(self, matrix: np.ndarray) -> np.ndarray:
        return matrix @ self.coef_.T + self.intercept_

    @staticmethod
    def _translate(err: Exception, learner: str) -> TrainingError:
        return TrainingError(
            f"learner '{learner}' failed to fit: {err}",
            hint="check the hyperparameters (C, alpha, max_iter) and that X is scaled",
        )


@register
class LogisticLearner(_LinearBase):
    """L2-regularised logistic regression for binary and multiclass targets.

    ``C`` is the inverse regularisation strength; ``class_weight`` is None, 'balanced' or
    ``{code: weight}``; ``seed`` is passed to the solver as ``random_state``.
    """

    name = "logistic"
    tasks = ("binary", "multiclass")
    param_checks = {"C": number(0, open_low=True), "max_iter": integer(1), "tol": number(0)}

    def __init__(
        self,
        C: float = 1.0,
        class_weight: str | dict | None = None,
        max_iter: int = 200,
        tol: float = 1e-4,
        task: str | None = None,
        seed: int = 0,
    ) -> None:
        self.C = C
        self.class_weight = class_weight
        self.max_iter = max_iter
        self.tol = tol
        self.task = task
        self.seed = seed

    def _fit_model(self, X, y, eval_set, budget) -> None:
        matrix = _finite_matrix(X, self.name)
        model = LogisticRegression(
            C=self.C,
            class_weight=self._class_weight(),
            max_iter=self.max_iter,
            tol=self.tol,
            random_state=self.seed,
        )
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ConvergenceWarning)
            try:
                model.fit(matrix, y)
            except ValueError as err:
                raise self._translate(err, self.name) from err
        self.converged_ = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
        for w in caught:  # pass every other warning on
            if not issubclass(w.category, ConvergenceWarning):
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        self.n_iter_ = int(np.max(model.n_iter_))
        coef, intercept = model.coef_, model.intercept_
        if self.task_ == "multiclass":
            coef, intercept = self._all_classes(model.classes_, coef, intercept)
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = np.asarray(intercept, dtype=np.float64)

    def _all_classes(self, seen: np.ndarray, coef: np.ndarray, intercept: np.ndarray):
        """Softmax rows for every class code; classes absent from training get probability 0."""
        k, d = len(self.classes_), coef.shape[1]
        if len(seen) == 2:  # sklearn fitted a binary model: softmax rows (0, w) give sigmoid(w)
            coef = np.vstack([np.zeros(d), coef[0]])
            intercept = np.array([0.0, intercept[0]])
        full_coef = np.zeros((k, d))
        full_intercept = np.full(k, -np.inf)
        full_coef[seen] = coef
        full_intercept[seen] = intercept
        return full_coef, full_intercept

    def _proba(self, X) -> np.ndarray:
        return self._proba_matrix(_finite_matrix(X, self.name))

    def _proba_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Probabilities of a finite matrix (``TabularLearner.predict_matrix``; the fitted
        preprocessing imputes and clips, so the single-row path's rows are finite)."""
        scores = self._scores(matrix)
        if self.task_ == "binary":
            positive = expit(scores[:, 0])
            return np.column_stack([1.0 - positive, positive])
        return softmax(scores, axis=1)

    @classmethod
    def search_space(cls, n_rows: int, n_cols: int, task: str) -> dict[str, Any]:
        """C up to n_rows / 10 (more rows support weaker regularisation), class weighting."""
        return {
            "C": Float(1e-3, max(10.0, min(1e4, n_rows / 10)), log=True),
            "class_weight": Choice((None, "balanced")),
        }


@register
class LinearLearner(_LinearBase):
    """Ridge regression: least squares with an L2 penalty on the coefficients.

    ``alpha`` is the penalty's strength.
    """

    name = "linear"
    tasks = ("regression",)
    param_checks = {"alpha": number(0)}

    def __init__(self, alpha: float = 1.0, target_transform: str | None = None,
                 task: str | None = None, seed: int = 0) -> None:
        self.alpha = alpha
        self.target_transform = target_transform
        self.task = task
        self.seed = seed

    def _fit_model(self, X, y, eval_set, budget) -> None:
        model = Ridge(alpha=self.alpha, random_state=self.seed)
        try:
            model.fit(_finite_matrix(X, self.name), y)
        except ValueError as err:
            raise self._translate(err, self.name) from err
        self.n_iter_ = None if model.n_iter_ is None else int(np.max(model.n_iter_))
        self.converged_ = True  # solved in closed form or to tolerance
        self.coef_ = np.asarray(model.coef_, dtype=np.float64).reshape(1, -1)
        self.intercept_ = np.asarray([model.intercept_], dtype=np.float64).reshape(1)

    def _values(self, X) -> np.ndarray:
        return self._values_matrix(_finite_matrix(X, self.name))

    def _values_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return self._scores(matrix)[:, 0]

    @classmethod
    def search_space(cls, n_rows: int, n_cols: int, task: str) -> dict[str, Any]:
        """alpha up to n_rows / 10: the squared-error sum, so a useful penalty, grows with rows."""
        return {"alpha": Float(1e-3, max(10.0, min(1e5, n_rows / 10)), log=True)}

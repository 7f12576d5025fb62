"""The shared half of modelyard's scikit-learn estimators: rows in, a fitted model out, predictions
in the original labels.

``fit`` checks the rows and the target (``inputs``), infers the schema from the rows as
``modelyard train`` does, encodes the labels, and hands everything to ``_fit_bundle``, which each
estimator implements (one learner through ``model.fit_model``, or a search). The fitted
``ModelBundle`` or ``EnsembleBundle`` is ``model_``; ``predict`` and ``predict_proba`` go through
it, so an estimator predicts exactly like the saved model (``model_.save(directory)``).

Classifiers keep scikit-learn's order of classes: ``classes_`` is ``np.unique(y)`` and the model's
labels are built in that order, so column ``i`` of ``predict_proba`` is ``classes_[i]``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.validation import check_is_fitted

from modelyard.data.infer import infer_schema
from modelyard.data.schema import Schema
from modelyard.model import EnsembleBundle, Labels, ModelBundle
from modelyard.sklearn.inputs import (
    InvalidInput,
    class_labels,
    rows,
    sklearn_errors,
    target,
)


class ModelyardEstimator(BaseEstimator, ABC):
    """Input handling, schema inference and tags shared by every modelyard estimator."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # the preprocessing imputes (trees route) missing values
        tags.input_tags.string = True  # text and categorical columns are encoded, not refused
        tags.input_tags.categorical = True
        return tags

    @abstractmethod
    def _fit_bundle(self, frame: pd.DataFrame, y: np.ndarray, schema: Schema, task: str,
                    labels: Labels | None) -> ModelBundle | EnsembleBundle:
        """The fitted model of ``frame`` (converted by ``infer_schema``) and codes/values ``y``."""

    def _schema(self, frame: pd.DataFrame) -> tuple[pd.DataFrame, Schema]:
        """The rows converted to their inferred kinds, and the schema the model will check."""
        frame, schema = infer_schema(frame)
        if not schema.names:
            # hint: python-api: only code that calls modelyard directly meets it
            raise InvalidInput(
                f"none of the {frame.shape[1]} column(s) is usable as a feature: "
                f"{dict(schema.dropped)}",
                hint="pass feature columns that are not empty and not row identifiers")
        return frame, schema

    def _rows(self, X: Any) -> pd.DataFrame:
        """Rows to predict on, checked against what the estimator was fitted with."""
        check_is_fitted(self, "model_")
        return rows(self, X, reset=False)


class ClassifierBase(ClassifierMixin, ModelyardEstimator):
    """``fit`` / ``predict`` / ``predict_proba`` for any labels (strings, bools, ints)."""

    def fit(self, X: Any, y: Any) -> ClassifierBase:
        """Fit on rows ``X`` (DataFrame, array or list of rows) and labels ``y``; returns self."""
        with sklearn_errors():
            frame = rows(self, X, reset=True)
            y = target(y, len(frame), numeric=False)
            classes = class_labels(y)
            labels = Labels(classes.tolist())  # code i is classes[i]: the orders agree
            frame, schema = self._schema(frame)
            task = "binary" if len(classes) == 2 else "multiclass"
            self.model_ = self._fit_bundle(frame, labels.encode(y), schema, task, labels)
        self.classes_ = classes
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The predicted label of each row, as values of ``classes_`` (same dtype as y)."""
        frame = self._rows(X)
        with sklearn_errors():
            codes = self.model_.predict_codes(self.model_.transform(frame))
        return self.classes_[np.asarray(codes, dtype=int)]

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities, shape (rows, classes), column ``i`` for ``classes_[i]``."""
        frame = self._rows(X)
        with sklearn_errors():
            return np.asarray(self.model_.predict_proba(frame), dtype=float)


class RegressorBase(RegressorMixin, ModelyardEstimator):
    """``fit`` / ``predict`` for a numeric target."""

    def fit(self, X: Any, y: Any) -> RegressorBase:
        """Fit on rows ``X`` (DataFrame, array or list of rows) and numbers ``y``; returns self."""
        with sklearn_errors():
            frame = rows(self, X, reset=True)
            y = target(y, len(frame), numeric=True)
            frame, schema = self._schema(frame)
            self.model_ = self._fit_bundle(frame, y, schema, "regression", None)
        return self

    def predict(self, X: Any) -> np.ndarray:
        """The predicted value of each row (floats)."""
        frame = self._rows(X)
        with sklearn_errors():
            return np.asarray(self.model_.predict(frame), dtype=float)

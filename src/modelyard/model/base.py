"""What every fitted model shares: raw rows in, the original labels (or values) out.

A fitted model is one of two things: a ``ModelBundle`` (one learner with its fitted preprocessing)
or an ``EnsembleBundle`` (a weighted average of bundles). Both hold a ``schema``, a ``task``, the
target's ``labels`` (classification), a decision ``threshold`` (binary) and a ``learner`` whose
``predict``/``predict_proba`` read the model's ``inputs``. This base turns that into the verbs
callers use, once for both:

* ``predict(frame)``: labels (or values) of raw rows;
* ``predict_proba(frame)``: class probabilities, one column per class in code order;
* ``predict_frame(frame)``: the rows with ``prediction`` and ``proba_<label>`` columns;
* ``predict_checked(checked)``: those columns for rows already checked against the schema (the
  serving path checks a batch once and applies its input rules in between);
* ``predict_row(record)``: those columns for one raw record (a mapping of column to value, as a
  JSON request or a file row carries it), as plain values: the single-row path;
* ``transform``, ``predict_codes``, ``codes_and_proba`` and ``decode``: the steps, for
  evaluation code that scores codes on rows it transforms once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.infer import check_schema
from modelyard.errors import ServingError
from modelyard.evaluation.threshold import apply_threshold
from modelyard.model.fastpath import row_path

PREDICTION = "prediction"  # the output column of labels (or values)
PROBA_PREFIX = "proba_"  # + the label: the output column of a class's probability


def no_probabilities() -> ServingError:
    """The error of asking a regression model for class probabilities."""
    # hint: python-api: only code that calls modelyard directly meets it
    return ServingError("this model predicts values for a regression target; it has no class "
                        "probabilities", hint="call predict for its values")


class FittedModel(ABC):
    """Shared predict verbs over ``inputs`` and ``learner`` (see the module doc)."""

    # set by the dataclasses that subclass this (declared here for readers and type checkers)
    schema: Any
    task: str
    labels: Any
    threshold: float | None
    learner: Any

    @abstractmethod
    def inputs(self, checked: pd.DataFrame) -> pd.DataFrame:
        """The learner's input for rows already checked against the schema."""

    # -- the steps ------------------------------------------------------------------------------
    @property
    def classes(self) -> list[Any] | None:
        """The original labels in class-code order (None for regression)."""
        return None if self.labels is None else list(self.labels.classes)

    def output_columns(self) -> list[str]:
        """The columns ``predict_checked`` returns, in order."""
        return [PREDICTION] + [f"{PROBA_PREFIX}{label}" for label in self.classes or []]

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Raw rows -> the learner's input (the schema check, then ``inputs``)."""
        return self.inputs(check_schema(frame, self.schema))

    def predict_codes(self, X: pd.DataFrame | None, proba: np.ndarray | None = None) -> np.ndarray:
        """Class codes (or values) from the learner's input, applying the decision threshold.

        ``proba``: the learner's probabilities for ``X`` when the caller has them already.
        """
        if self.task == "binary" and self.threshold is not None:
            proba = proba if proba is not None else np.asarray(self.learner.predict_proba(X))
            return apply_threshold(proba[:, 1], self.threshold)
        if self.task != "regression" and proba is not None:
            return np.argmax(proba, axis=1).astype(np.int64)
        return np.asarray(self.learner.predict(X))

    def codes_and_proba(self, X: pd.DataFrame) -> tuple[np.ndarray, np.ndarray | None]:
        """Class codes (threshold applied) and the probabilities they came from, from the
        learner's input; for regression the values and None. What scoring a model needs."""
        proba = None if self.task == "regression" else np.asarray(self.learner.predict_proba(X))
        return np.asarray(self.predict_codes(X, proba)), proba

    def decode(self, codes: np.ndarray) -> np.ndarray:
        """Class codes -> the original labels (values pass through for regression)."""
        return codes if self.labels is None else self.labels.decode(codes)

    # -- the verbs ------------------------------------------------------------------------------
    def predict(self, frame: pd.DataFrame) -> np.ndarray:
        """Predictions of raw rows, in the original label space."""
        return self.decode(self.predict_codes(self.transform(frame)))

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Class probabilities of raw rows, shape (rows, classes), columns in ``classes`` order."""
        if self.task == "regression":
            raise no_probabilities()
        return np.asarray(self.learner.predict_proba(self.transform(frame)))

    def predict_checked(self, checked: pd.DataFrame) -> dict[str, np.ndarray]:
        """``output_columns`` for rows already checked against the schema."""
        X = self.inputs(checked)
        if self.task == "regression":
            return self._columns(np.asarray(self.learner.predict(X), dtype=float))
        return self._columns(np.asarray(self.learner.predict_proba(X)))

    def _columns(self, out: np.ndarray) -> dict[str, np.ndarray]:
        """``output_columns`` from the learner's values (regression) or probabilities."""
        if self.task == "regression":
            return {PREDICTION: out}
        columns = {PREDICTION: np.asarray(self.decode(self.predict_codes(None, out)))}
        for code, label in enumerate(self.classes or []):
            columns[f"{PROBA_PREFIX}{label}"] = out[:, code]
        return columns

    def predict_row(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """``output_columns`` for one raw record, as plain values: the single-row path.

        The same answer (to the last bit) and the same errors as ``predict_checked`` on the
        record as a one-row frame; the schema check, the preprocessing and the learner's input
        are compiled once per model into arrays and lookup tables (``model.fastpath``), and a
        record or model they do not cover takes that batch path.
        """
        path = row_path(self)
        out = None if path is None else path.output(record)
        if out is not None:
            columns = self._columns(out)
        else:
            columns = self.predict_checked(check_schema(pd.DataFrame([dict(record)]), self.schema))
        return {name: _plain(values[0]) for name, values in columns.items()}

    def predict_frame(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The input rows with a ``prediction`` column and, for classifiers, ``proba_<label>``."""
        out = frame.copy()
        for name, values in self.predict_checked(check_schema(frame, self.schema)).items():
            out[name] = values
        return out


def _plain(value: Any) -> Any:
    """A numpy scalar as the matching Python value; anything else as it is."""
    return value.item() if isinstance(value, np.generic) else value

"""The label encoding of a classification target: labels to class codes and back.

Learners see class codes ``0..k-1``; people and files see the original labels ('Yes', True, 3).
``Labels`` is the one object that maps between them: code ``i`` is ``classes[i]``. It is fitted
once on the whole target (``encode_target``), travels with the codes through the split, the search
and every fit, and is saved with the model, so a prediction comes back as the label it was trained
on. Regression targets have no labels: they are floats end to end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import DataError


def label_order(value: Any) -> tuple[str, Any]:
    """The sort key of labels: by type name first (so 1 and '1' never compare), then value."""
    return (str(type(value)), value)


class Labels:
    """The class labels of a target in code order: ``Labels(['No', 'Yes'])`` encodes 'Yes' as 1.

    ``Labels.of(values)`` takes the distinct values sorted (``label_order``); a caller that wants
    another order (the positive class last) passes the classes in that order.
    """

    __slots__ = ("_array", "_codes", "classes")

    def __init__(self, classes: Iterable[Any]) -> None:
        values = [_plain(v) for v in classes]
        codes: dict[Any, int] = {}
        for code, label in enumerate(values):
            if codes.setdefault(label, code) != code:
                # hint: python-api: only code that calls modelyard directly meets it
                raise DataError(f"class label {label!r} is given twice: {values}",
                                hint="pass each class label once, in code order")
        if not values:
            # hint: python-api: only code that calls modelyard directly meets it
            raise DataError("a classification target needs at least one class label",
                            hint="pass the labels of the training target")
        self.classes: tuple[Any, ...] = tuple(values)
        self._codes = codes
        self._array = np.empty(len(values), dtype=object)
        for code, label in enumerate(values):
            self._array[code] = label

    @classmethod
    def of(cls, values: Iterable[Any]) -> Labels:
        """The distinct values of a target, sorted, as its labels."""
        return cls(sorted(set(_plain(v) for v in values), key=label_order))

    def __len__(self) -> int:
        return len(self.classes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Labels) and self.classes == other.classes

    def __hash__(self) -> int:
        return hash(self.classes)

    def __repr__(self) -> str:
        return f"Labels({list(self.classes)!r})"

    def encode(self, values: Iterable[Any]) -> np.ndarray:
        """Class codes (int64) of ``values``; a label outside ``classes`` is a ``DataError``."""
        array = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else list(values)
        lookup = self._codes
        try:
            return np.fromiter((lookup[v] for v in array), dtype=np.int64, count=len(array))
        except (KeyError, TypeError):  # numpy scalars, or a label that is not a class
            pass
        out = np.empty(len(array), dtype=np.int64)
        for i, value in enumerate(array):
            code = lookup.get(_plain(value)) if _hashable(value) else None
            if code is None:
                raise DataError(
                    f"label {value!r} is not one of the model's classes {list(self.classes)}",
                    hint="the target holds a class the model was not trained on; train on rows "
                    "that include it")
            out[i] = code
        return out

    def decode(self, codes: Sequence[int] | np.ndarray) -> np.ndarray:
        """The labels of class ``codes`` (an object array, one per code)."""
        return self._array[np.asarray(codes, dtype=int)]

    def to_json(self) -> list[Any]:
        """The classes as plain Python values, in code order (what a saved model records)."""
        return list(self.classes)


def encode_target(target: pd.Series, task: str) -> tuple[np.ndarray, Labels | None]:
    """The learner's target: class codes and their ``Labels`` for classification, floats and
    None for regression."""
    if task == "regression":
        return target.to_numpy(dtype=float), None
    values = target.to_numpy(dtype=object)
    labels = Labels.of(values.tolist())
    return labels.encode(values), labels


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value it holds (JSON writes those, and they hash alike)."""
    return value.item() if isinstance(value, np.generic) else value

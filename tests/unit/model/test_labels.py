"""Labels: the one mapping between a target's labels and the class codes learners see."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from modelyard.errors import DataError
from modelyard.model import Labels, encode_target


def test_encode_target_sorts_the_labels_and_round_trips_them():
    target = pd.Series(["Yes", "No", "No", "Maybe", "Yes"])
    y, labels = encode_target(target, "multiclass")
    assert labels == Labels(["Maybe", "No", "Yes"]) and len(labels) == 3
    assert y.dtype == np.int64 and y.tolist() == [2, 1, 1, 0, 2]
    assert labels.decode(y).tolist() == target.tolist()


def test_labels_of_mixed_types_sort_by_type_first_and_numpy_scalars_become_plain_values():
    labels = Labels.of([np.int64(2), "2", np.int64(1), np.float64(0.5)])
    assert labels.classes == (0.5, 1, 2, "2")  # exact: float, int, str: by type name, then value
    assert [type(c) for c in labels.classes] == [float, int, int, str]
    assert labels.encode(pd.Series([np.int64(2), "2"], dtype=object)).tolist() == [2, 3]


def test_a_chosen_order_puts_the_positive_class_last():
    labels = Labels(["stay", "churn"])
    assert labels.encode(pd.Series(["churn", "stay", "churn"])).tolist() == [1, 0, 1]


def test_a_label_outside_the_classes_and_repeated_or_missing_classes_are_errors():
    labels = Labels(["No", "Yes"])
    with pytest.raises(DataError, match="'Maybe' is not one of the model's classes"):
        labels.encode(["Yes", "Maybe"])
    with pytest.raises(DataError, match="given twice"):
        Labels(["No", "Yes", "No"])
    with pytest.raises(DataError, match="at least one class"):
        Labels([])


def test_regression_targets_are_floats_without_labels():
    y, labels = encode_target(pd.Series([1, 2.5, 3]), "regression")
    assert labels is None and y.dtype == np.float64

"""The one predict path: the HTTP server and ``modelyard predict`` (batch files) both call
``predict_batch``, so a file and a request give identical answers for the same rows, and are
refused or warned about by the same rules (``serving.inputs``: finite numbers, unseen categories).

``predict_batch(bundle, frame, unseen_categories=..., origin=...)`` checks the rows once against
the model's schema, applies those rules, and returns a ``Batch``: the outputs, on ``frame``'s
index, and the unseen categories found per column:

* ``prediction``: the label in the training label space (or the value, for regression);
* ``proba_<label>``: one column per class, for classifiers.

``predict_one(bundle, record, ...)`` is the same for one record held as a dict, through the
model's compiled single-row path (``model.fastpath``) without building a frame: the server's
path for a request of one record (None when the model or record needs the batch path).
``predict_records(bundle, frame)`` is the outputs alone (policy ``warn``). The model computes
them (``predict_checked`` on the checked rows) and names them (``output_columns``);
``to_json_rows`` turns them into what the HTTP answer carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from modelyard.data.infer import check_schema
from modelyard.errors import DataError, ServingError
from modelyard.model import (  # importing it registers the model formats
    MODEL_TYPES,
    PREDICTION,
    PROBA_PREFIX,
    FittedModel,
    ModelBundle,
)
from modelyard.model.fastpath import row_path
from modelyard.model.latency import json_value
from modelyard.serving.inputs import (
    DEFAULT_UNSEEN,
    UNSEEN_POLICIES,
    Origin,
    UnseenCategories,
    UnseenColumn,
    check_finite,
    find_unseen,
    unseen_row_report,
)


@dataclass(frozen=True)
class Batch:
    """What ``predict_batch`` returns: the outputs and the unseen categories per column.

    ``outputs`` is a frame on the input's index, or (``predict_one``) column -> [value]."""

    outputs: pd.DataFrame | dict[str, list[Any]]
    unseen: tuple[UnseenColumn, ...] = ()
    policy: str = DEFAULT_UNSEEN
    origin: Origin = Origin()

    @property
    def rows(self) -> int:
        return len(self.outputs[PREDICTION])

    def unseen_report(self) -> dict[str, Any] | None:
        """``{column: {count, values, near, records|lines}}`` to show the caller; None when the
        policy is ``ignore`` (the caller is told nothing)."""
        if self.policy == "ignore":
            return None
        return {u.column: u.to_json(self.origin) for u in self.unseen}


def predict_batch(
    bundle: FittedModel,
    frame: pd.DataFrame,
    *,
    unseen_categories: str = DEFAULT_UNSEEN,
    origin: Origin | None = None,
) -> Batch:
    """Predictions (and class probabilities) for every row of ``frame``, with its input report.

    ``frame`` holds raw input rows: at least the model's feature columns (extra columns are
    ignored), values as read from a file or validated from a request. A value that does not fit its
    column raises ``SchemaMismatch`` naming the column; an infinite number too; a category training
    never saw raises ``UnseenCategories`` when ``unseen_categories`` is 'error' and is reported in
    ``Batch.unseen`` otherwise. ``origin`` says how messages name the rows (default: records of a
    request).
    """
    _check_call(bundle, unseen_categories)
    if len(frame) == 0:
        raise DataError("there are no rows to predict", hint="pass at least one input row")
    origin = origin or Origin()
    check_finite(frame, bundle.schema, origin)
    checked = check_schema(frame, bundle.schema)
    unseen = tuple(find_unseen(_preprocessors(bundle), checked))
    if unseen and unseen_categories == "error":
        raise UnseenCategories(list(unseen), origin)
    outputs = pd.DataFrame(bundle.predict_checked(checked), index=frame.index)
    return Batch(outputs, unseen, unseen_categories, origin)


def predict_one(
    bundle: FittedModel,
    record: dict[str, Any],
    *,
    unseen_categories: str = DEFAULT_UNSEEN,
    origin: Origin | None = None,
) -> Batch | None:
    """``predict_batch`` of one record, without a DataFrame: the model's compiled single-row path
    (``model.fastpath``), the same answer, the same unseen-category rule and report.

    ``record``: the feature values by column name, validated as the request schema validates
    them (finite numbers or None). None when the model or the record takes the batch path (call
    ``predict_batch`` then: it answers and names any problem)."""
    _check_call(bundle, unseen_categories)
    path = row_path(bundle)
    found = None if path is None else path.unseen(record)
    if found is None:
        return None
    unseen = unseen_row_report(_preprocessors(bundle), found)
    origin = origin or Origin(listed=False)
    if unseen and unseen_categories == "error":
        raise UnseenCategories(unseen, origin)
    outputs = {name: [value] for name, value in bundle.predict_row(record).items()}
    return Batch(outputs, tuple(unseen), unseen_categories, origin)


def _check_call(bundle: FittedModel, unseen_categories: str) -> None:
    if not isinstance(bundle, MODEL_TYPES):
        raise ServingError(
            f"cannot predict with a {type(bundle).__name__}: "
            "expected a modelyard model bundle or ensemble",
            hint="register models saved by `modelyard train`",
        )
    if unseen_categories not in UNSEEN_POLICIES:
        raise ServingError(
            f"unseen_categories must be one of {', '.join(UNSEEN_POLICIES)}, got "
            f"{unseen_categories!r}", hint="set predict.unseen_categories to error, warn or ignore",
        )  # fmt: skip


def predict_records(bundle: FittedModel, frame: pd.DataFrame) -> pd.DataFrame:
    """The outputs of ``predict_batch`` with the default policy (unseen categories scored)."""
    return predict_batch(bundle, frame).outputs


def _preprocessors(bundle: FittedModel) -> list[Any]:
    """The fitted preprocessing of a bundle, or of each member of an ensemble."""
    if isinstance(bundle, ModelBundle):
        return [bundle.preprocessor]
    return [member.preprocessor for member in bundle.members]


def to_json_rows(bundle: FittedModel,
                 outputs: pd.DataFrame | dict[str, list[Any]]) -> dict[str, Any]:  # fmt: skip
    """``{"predictions": [...], "probabilities": [{label: p}, ...] or None}`` in JSON types."""
    predictions = [json_value(v) for v in _values(outputs[PREDICTION])]
    if bundle.task == "regression":
        return {"predictions": predictions, "probabilities": None}
    labels = [str(label) for label in bundle.classes or []]
    columns = [_values(outputs[f"{PROBA_PREFIX}{label}"]) for label in bundle.classes or []]
    probabilities = [dict(zip(labels, row, strict=True)) for row in zip(*columns, strict=True)]
    return {"predictions": predictions, "probabilities": probabilities}


def _values(column: Any) -> list[Any]:
    """A frame's column or a list as a list of Python values."""
    return column.tolist() if hasattr(column, "tolist") else list(column)



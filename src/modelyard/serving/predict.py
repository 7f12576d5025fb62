"""The one predict path: the HTTP server and ``modelyard predict`` (batch files) both call
``predict_records``, so a file and a request give identical answers for the same rows.

``predict_records(bundle, frame)`` returns only the outputs, on ``frame``'s index:

* ``prediction``: the label in the training label space (or the value, for regression);
* ``proba_<label>``: one column per class, for classifiers.

``output_columns`` names them; ``to_json_rows`` turns them into what the HTTP answer carries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from modelyard.errors import DataError, ServingError
from modelyard.learners.bundle import ModelBundle
from modelyard.learners.formats import MODEL_TYPES  # also registers the model formats

PREDICTION = "prediction"
PROBA_PREFIX = "proba_"


def output_columns(bundle: ModelBundle) -> list[str]:
    """The columns ``predict_records`` returns for this model, in order."""
    if bundle.task == "regression":
        return [PREDICTION]
    return [PREDICTION] + [f"{PROBA_PREFIX}{label}" for label in bundle.classes or []]


def predict_records(bundle: ModelBundle, frame: pd.DataFrame) -> pd.DataFrame:
    """Predictions (and class probabilities) for every row of ``frame``, on its index.

    ``frame`` holds raw input rows: at least the model's feature columns (extra columns are
    ignored), values as read from a file or validated from a request. A value that does not fit its
    column raises ``SchemaMismatch`` naming the column.
    """
    if not isinstance(bundle, MODEL_TYPES):
        raise ServingError(
            f"cannot predict with a {type(bundle).__name__}: "
            "expected a modelyard model bundle or ensemble",
            hint="register models saved by `modelyard train`",
        )
    if len(frame) == 0:
        raise DataError("there are no rows to predict", hint="pass at least one input row")
    columns = output_columns(bundle)
    out = bundle.predict_frame(frame)
    return pd.DataFrame({c: out[c].to_numpy() for c in columns}, index=frame.index)


def to_json_rows(bundle: ModelBundle, outputs: pd.DataFrame) -> dict[str, Any]:
    """``{"predictions": [...], "probabilities": [{label: p}, ...] or None}`` in JSON types."""
    predictions = [_plain(v) for v in outputs[PREDICTION].tolist()]
    if bundle.task == "regression":
        return {"predictions": predictions, "probabilities": None}
    labels = [str(label) for label in bundle.classes or []]
    matrix = outputs[[f"{PROBA_PREFIX}{label}" for label in bundle.classes or []]].to_numpy()
    probabilities = [dict(zip(labels, row, strict=True)) for row in matrix.tolist()]
    return {"predictions": predictions, "probabilities": probabilities}


def _plain(value: Any) -> Any:
    """A numpy scalar as the matching Python value (JSON cannot encode numpy types)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None  # JSON has no NaN; a regression model never gives one on valid input
    return value

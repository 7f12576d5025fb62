"""Export a fitted model as one ONNX graph, for serving without modelyard (docs/export.md).

The graph takes the model's raw feature columns, one named input per column, shape (rows, 1):
double for numeric and boolean columns (NaN where missing; booleans as 1.0 / 0.0), string for
categorical ones (the empty string where missing); ``features.py`` says how each is read. It
answers ``prediction`` (rows,): the label, with a binary model's decision threshold applied as
``predict`` applies it, or the value for regression; and, for classifiers, ``probabilities``
(rows, classes) in float64, columns in the order of the ``classes`` metadata entry. The fitted
preprocessing (``features.py``) and the learner (``learners.py``) are nodes of that one graph;
an ensemble is the weighted sum of its members' graphs.

* ``to_onnx(model)``: the ``onnx.ModelProto``;
* ``export_onnx(model, path, force=False)``: write it to ``path`` (refusing to overwrite a file
  unless ``force``), return the path;
* ``onnx_feeds(model, frame)``: raw rows as the graph's inputs, parsed as modelyard parses them.

Anything without a faithful graph (target encoding, datetime and text columns, learners other
than logistic, linear, lightgbm, xgboost and mlp) is an ``ExportError`` naming it. The ONNX
packages are the optional extra ``modelyard[onnx]``; without them the error says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from modelyard.data.infer import check_schema
from modelyard.errors import ExportError
from modelyard.model.base import FittedModel
from modelyard.model.bundle import ModelBundle
from modelyard.model.ensemble import EnsembleBundle

EXTRA = 'pip install "modelyard[onnx]"'
OUTPUTS = ("prediction", "probabilities")  # the graph's output names


def _require_onnx() -> None:
    """Raise ``ExportError`` naming the extra when the ONNX packages are not installed."""
    missing = []
    for module in ("onnx", "onnxmltools"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise ExportError(f"ONNX export needs the package(s) {', '.join(missing)}, which are "
                          "not installed", hint=f"install the ONNX extra: {EXTRA}")


def _members(model: FittedModel) -> list[tuple[ModelBundle, float]]:
    if isinstance(model, EnsembleBundle):
        return list(zip(model.members, model.weights, strict=True))
    if isinstance(model, ModelBundle):
        return [(model, 1.0)]
    # hint: python-api: only code that calls modelyard directly meets it
    raise ExportError(f"cannot export a {type(model).__name__} to ONNX; expected a modelyard "
                      "model (ModelBundle or EnsembleBundle)",
                      hint="pass a model loaded with modelyard.load('name') or a registered "
                      "model's reference such as 'churn@production'")


def _check(model: FittedModel) -> list[tuple[ModelBundle, float]]:
    """Every reason the model cannot be exported, before anything is built."""
    from modelyard.model.export.features import check_exportable
    from modelyard.model.export.learners import EXPORTABLE

    members = _members(model)
    for member, _ in members:
        check_exportable(member.preprocessor)
        if member.learner_name not in EXPORTABLE:
            raise ExportError(
                f"cannot export a '{member.learner_name}' model to ONNX: there is no faithful "
                "converter for it here" + (" (a member of this ensemble)" if len(members) > 1
                                           else ""),
                hint=f"export a model trained with one of: {', '.join(EXPORTABLE)} (or an "
                "ensemble of them); train one with --model lightgbm, for instance")
        names = list(member.preprocessor.feature_names_out_)
        if names != [str(n) for n in member.learner.feature_names_in_]:
            raise ExportError("cannot export: the learner's input columns differ from what its "
                              "preprocessing produces", hint="retrain the model and export again")
    clash = sorted(set(OUTPUTS) & set(members[0][0].preprocessor.encoders_))
    if clash:
        raise ExportError(f"cannot export: feature column(s) {', '.join(map(repr, clash))} would "
                          f"share a name with the graph's output(s) {', '.join(OUTPUTS)}",
                          hint="rename the column in the data and retrain")
    return members


def _label_tensor(classes: list[Any]) -> tuple[np.ndarray, int]:
    """The class labels as a constant and its ONNX element type (bool, int64, double, string)."""
    from modelyard.model.export.graph import BOOL, DOUBLE, INT64, STRING

    if all(isinstance(c, bool | np.bool_) for c in classes):
        return np.array(classes, dtype=bool), BOOL
    if all(isinstance(c, int | np.integer) and not isinstance(c, bool) for c in classes):
        return np.array(classes, dtype=np.int64), INT64
    if all(isinstance(c, int | float | np.number) and not isinstance(c, bool) for c in classes):
        return np.array(classes, dtype=np.float64), DOUBLE
    return np.array([str(c) for c in classes], dtype=object), STRING


def to_onnx(model: FittedModel) -> Any:
    """The model as one ``onnx.ModelProto``: raw columns in, ``prediction`` (and, for
    classifiers, ``probabilities``) out.

    Parameters: ``model``, a ``ModelBundle`` or ``EnsembleBundle`` (``modelyard.load(ref)``).
    Returns the checked ``ModelProto``. Raises ``ExportError`` for what cannot be exported.
    """
    _require_onnx()
    members = _check(model)
    from modelyard.model.export.features import add_inputs, add_preprocessing
    from modelyard.model.export.graph import DOUBLE, Graph
    from modelyard.model.export.learners import add_learner

    graph = Graph()
    inputs = add_inputs(graph, members[0][0].preprocessor)
    n_classes = None if model.labels is None else len(model.labels)
    parts = []
    for member, weight in members:
        features = add_preprocessing(graph, member.preprocessor, inputs)
        out = add_learner(graph, member.learner_name, member.learner, features,
                          len(member.preprocessor.feature_names_out_))
        width = None if n_classes is None else len(member.learner.classes_)
        if width is not None and width < n_classes:  # a member that never saw the last classes
            pad = np.eye(width, n_classes, dtype=np.float64)  # exact: 1 * p + 0
            out = graph.op("MatMul", [out, graph.const(pad, "pad")], "proba_padded")
        if len(members) > 1:
            out = graph.op("Mul", [out, graph.const(weight, "weight", np.float64)], "weighted")
        parts.append(out)
    out = parts[0] if len(parts) == 1 else graph.op("Sum", parts, "ensemble")
    metadata = {"modelyard_task": model.task, "modelyard_learner": model.learner_name}
    if model.task == "regression":
        graph.output(out, "prediction", DOUBLE, [None])
    else:
        metadata["classes"] = json.dumps(model.classes, default=str)
        metadata["threshold"] = json.dumps(model.threshold)
        _add_labels(graph, model, out)  # outputs in this order: prediction, probabilities
        graph.output(out, "probabilities", DOUBLE, [None, n_classes])
    doc = ("modelyard model: one input per raw feature column; outputs 'prediction'"
           + ("" if model.task == "regression" else " and 'probabilities' (columns: classes)"))
    return graph.model(doc, metadata)


def _add_labels(graph, model: FittedModel, proba: str) -> None:
    """``prediction``: the label per row, the binary threshold applied as ``predict`` does."""
    if model.task == "binary" and model.threshold is not None:
        positive = graph.op("Gather", [proba, graph.const(1, "positive", np.int64)], "p_pos",
                            axis=1)
        hit = graph.op("GreaterOrEqual",
                       [positive, graph.const(float(model.threshold), "threshold", np.float64)],
                       "at_threshold")
        from modelyard.model.export.graph import INT64

        codes = graph.op("Cast", [hit], "codes", to=INT64)
    else:  # the first of equal probabilities, as numpy's argmax
        codes = graph.op("ArgMax", [proba], "codes", axis=1, keepdims=0)
    labels, elem_type = _label_tensor(list(model.classes or []))
    predicted = graph.op("Gather", [graph.const(labels, "labels"), codes], "labels_out", axis=0)
    graph.output(predicted, "prediction", elem_type, [None])


def export_onnx(model: FittedModel, path: str | Path, *, force: bool = False) -> Path:
    """Write ``to_onnx(model)`` to ``path`` and return the path.

    Parameters: ``model`` as for ``to_onnx``; ``path``, the .onnx file to write; ``force``,
    overwrite an existing file. Raises ``ExportError`` when the file exists and ``force`` is
    False, or when the model cannot be exported.
    """
    from modelyard.atomic import atomic_write_bytes

    path = Path(path)
    if path.is_dir():
        raise ExportError(f"cannot write {path}: it is a folder",
                          hint="give --output a file name such as model.onnx")
    if path.exists() and not force:
        raise ExportError(f"{path} exists already", hint="pass --force to overwrite it, or "
                          "choose another --output")
    if path.parent and not path.parent.is_dir():
        raise ExportError(f"cannot write {path}: folder {path.parent} does not exist",
                          hint="create the folder first, or choose another --output")
    proto = to_onnx(model)
    try:
        atomic_write_bytes(path, proto.SerializeToString())
    except OSError as err:
        raise ExportError(f"cannot write {path}: {err.strerror or err}",
                          hint="choose an --output in a folder you can write to") from err
    return path


def input_columns(model: FittedModel) -> list[str]:
    """The exported graph's input names: the model's feature columns, in schema order."""
    return list(_members(model)[0][0].preprocessor.encoders_)


def onnx_feeds(model: FittedModel, frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Raw rows as the exported graph's inputs (column -> (rows, 1) array), parsed as modelyard
    parses them (booleans such as 'Yes' become 1.0, missing values NaN or '')."""
    from modelyard.model.export.features import feeds

    member = _members(model)[0][0]
    return feeds(member.preprocessor, check_schema(frame, model.schema))


__all__ = ["export_onnx", "input_columns", "onnx_feeds", "to_onnx"]

"""A fitted learner as ONNX nodes: the preprocessed float64 matrix in, its probabilities or
values out, as the learner's ``predict_proba`` (rows, classes) or ``predict`` (rows) give them.

* 'logistic' and 'linear': the saved coefficients as MatMul + Add in float64, then Sigmoid
  (binary) or Softmax (multiclass), as the learner computes them with numpy;
* 'lightgbm' and 'xgboost': the booster cut to ``best_iteration_`` trees, converted by
  onnxmltools (float32 tree ensembles: the matrix is cast to float32 first, as XGBoost does and
  LightGBM's thresholds allow), probabilities cast back to float64;
* 'mlp': the network exported by ``torch.onnx.export`` (float32), fed as ``TabularMLP`` is fed
  (numeric columns with NaN as 0, category code + 1 with 0 for missing and unseen), followed by
  the sigmoid or softmax in float64, or the target's scaling for regression;
* a regression learner's ``target_transform='log'``: clip to the training range, then exp - 1.

Any other learner is an ``ExportError`` that lists these.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable

import numpy as np

from modelyard.errors import ExportError
from modelyard.model.export.graph import BASE_OPSET, DOUBLE, FLOAT, INT64, Graph

EXPORTABLE = ("logistic", "linear", "lightgbm", "xgboost", "mlp")


def add_learner(graph: Graph, learner_name: str, learner, features: str, n_features: int) -> str:
    """Nodes from the feature matrix to probabilities (rows, k) or values (rows,), float64."""
    convert = CONVERTERS.get(learner_name)
    if convert is None:
        raise ExportError(
            f"cannot export a '{learner_name}' model to ONNX: there is no faithful converter "
            "for it here",
            hint=f"export a model trained with one of: {', '.join(EXPORTABLE)} (or an ensemble "
            "of them); train one with --model lightgbm, for instance",
        )
    out = convert(graph, learner, features, n_features)
    value_range = getattr(learner, "target_range_", None)
    if value_range is not None and learner.task_ == "regression":
        out = _exp_back(graph, out, value_range)
    return out


def _probabilities(graph: Graph, scores: str, task: str) -> str:
    """Scores (rows, 1) -> [1 - sigmoid, sigmoid] for binary; softmax over classes otherwise."""
    if task == "binary":
        positive = graph.op("Sigmoid", [scores], "p1")
        negative = graph.op("Sub", [graph.const([[1.0]], "one", np.float64), positive], "p0")
        return graph.op("Concat", [negative, positive], "proba", axis=1)
    return graph.op("Softmax", [scores], "proba", axis=1)


def _flat(graph: Graph, column: str) -> str:
    """(rows, 1) -> (rows,)."""
    return graph.op("Reshape", [column, graph.const([-1], "flat_shape", np.int64)], "values")


def _linear(graph: Graph, learner, features: str, n_features: int) -> str:
    coef = graph.const(np.asarray(learner.coef_, dtype=np.float64).T, "coef")
    intercept = graph.const(np.asarray(learner.intercept_, dtype=np.float64), "intercept")
    scores = graph.op("Add", [graph.op("MatMul", [features, coef], "xw"), intercept], "scores")
    if learner.task_ == "regression":
        return _flat(graph, scores)
    return _probabilities(graph, scores, learner.task_)


def _trees(graph: Graph, learner, features: str, n_features: int) -> str:
    import onnxmltools
    from onnxmltools.convert.common.data_types import FloatTensorType

    kind = learner.name
    types = [("X", FloatTensorType([None, n_features]))]
    try:
        if kind == "lightgbm":
            import lightgbm as lgb

            text = learner.booster_.model_to_string(num_iteration=learner.best_iteration_)
            model = onnxmltools.convert_lightgbm(lgb.Booster(model_str=text), initial_types=types,
                                                 target_opset=BASE_OPSET, zipmap=False)
        else:
            booster = learner.booster_
            if learner.best_iteration_ < booster.num_boosted_rounds():
                booster = booster[: learner.best_iteration_]
            model = onnxmltools.convert_xgboost(booster, initial_types=types,
                                                target_opset=BASE_OPSET)
    except (RuntimeError, ValueError, TypeError, NotImplementedError, KeyError) as err:
        raise ExportError(f"onnxmltools could not convert this {kind} model: {err}",
                          hint="report it with the model's learner settings; meanwhile export "
                          "a model of another learner (--model logistic)") from err
    as_float = graph.op("Cast", [features], "features_f32", to=FLOAT)
    outputs = graph.embed(model, {"X": as_float})
    if learner.task_ == "regression":
        return _flat(graph, graph.op("Cast", [outputs["variable"]], "values64", to=DOUBLE))
    return graph.op("Cast", [outputs["probabilities"]], "proba", to=DOUBLE)


def _mlp(graph: Graph, learner, features: str, n_features: int) -> str:
    layout = learner.layout_
    numeric = [i for i, c in enumerate(layout) if c["kind"] == "numeric"]
    categorical = [i for i, c in enumerate(layout) if c["kind"] == "category"]
    x_num = graph.op("Gather", [features, graph.const(numeric, "numeric_cols", np.int64)],
                     "x_num64", axis=1)
    x_num = graph.op("Cast", [x_num], "x_num32", to=FLOAT)
    nan = graph.op("IsNaN", [x_num], "x_num_nan")
    x_num = graph.op("Where", [nan, graph.const([0.0], "zero32", np.float32), x_num], "x_num")
    x_cat = graph.op("Gather", [features, graph.const(categorical, "category_cols", np.int64)],
                     "x_cat64", axis=1)
    unknown = graph.op("IsNaN", [x_cat], "x_cat_nan")
    x_cat = graph.op("Where", [unknown, graph.const([-1.0], "minus_one", np.float64), x_cat],
                     "x_cat_code")
    x_cat = graph.op("Add", [graph.op("Cast", [x_cat], "x_cat_int", to=INT64),
                             graph.const([1], "one_int", np.int64)], "x_cat")
    model = _torch_model(learner.module_, len(numeric), len(categorical))
    present = {i.name for i in model.graph.input}
    feeds = {k: v for k, v in {"x_num": x_num, "x_cat": x_cat}.items() if k in present}
    out = graph.op("Cast", [graph.embed(model, feeds)["out"]], "out64", to=DOUBLE)
    if learner.task_ == "regression":
        scale = graph.const([[learner.y_scale_]], "y_scale", np.float64)
        mean = graph.const([[learner.y_mean_]], "y_mean", np.float64)
        return _flat(graph, graph.op("Add", [graph.op("Mul", [out, scale]), mean], "value"))
    return _probabilities(graph, out, learner.task_)


def _torch_model(module, n_numeric: int, n_categorical: int):
    """The network as an ONNX model with inputs x_num (rows, n_numeric) float32 and x_cat
    (rows, n_categorical) int64 and output 'out' (rows, n_outputs), rows dynamic."""
    import importlib.util

    import torch

    if importlib.util.find_spec("onnxscript") is None:  # torch.onnx.export's exporter needs it
        raise ExportError("exporting a network to ONNX needs the package onnxscript, which is "
                          "not installed", hint='install the ONNX extra: pip install '
                          '"modelyard[onnx]"')
    module.eval()
    example = (torch.zeros((2, n_numeric), dtype=torch.float32),
               torch.ones((2, n_categorical), dtype=torch.int64))
    rows = torch.export.Dim("rows")
    quiet = logging.getLogger("torch")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # the exporter logs every optional op it skips
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            program = torch.onnx.export(module, example, dynamo=True, opset_version=18,
                                        input_names=["x_num", "x_cat"], output_names=["out"],
                                        dynamic_shapes=({0: rows}, {0: rows}), verbose=False)
    except Exception as err:  # the exporter raises many kinds; all mean the same to a user
        raise ExportError(f"torch.onnx could not export this network: {err}",
                          hint="export a model of another learner (--model lightgbm)") from err
    finally:
        quiet.setLevel(level)
    return program.model_proto


def _exp_back(graph: Graph, values: str, value_range: list[float]) -> str:
    """``target_transform.decode``: clip to the training range on the log scale, then exp - 1."""
    low = graph.const(float(value_range[0]), "log_low", np.float64)
    high = graph.const(float(value_range[1]), "log_high", np.float64)
    clipped = graph.op("Clip", [values, low, high], "log_clipped")
    return graph.op("Sub", [graph.op("Exp", [clipped], "exp"),
                            graph.const(1.0, "one_scalar", np.float64)], "values_back")


CONVERTERS: dict[str, Callable[[Graph, object, str, int], str]] = {
    "logistic": _linear,
    "linear": _linear,
    "lightgbm": _trees,
    "xgboost": _trees,
    "mlp": _mlp,
}

"""A fitted ``Preprocessor`` as ONNX nodes: raw columns in, the learner's float64 matrix out.

One graph input per feature column (identifier columns are not inputs), shape (rows, 1):

* numeric: double, NaN (or +-inf) where missing; the encoder's median fill, clipping to its
  range, scaling and missing indicator, in float64 as ``NumericEncoder.transform`` computes them;
* boolean: double 1.0 / 0.0, NaN where missing; the training mode fills it, plus the indicator;
* categorical: string, the category as modelyard writes it (surrounding spaces stripped, an
  integral number without a decimal point: ``'20'``, a boolean as ``'True'``), the empty string
  where missing. An ``ai.onnx.ml`` LabelEncoder gives its code (training categories sorted, the
  missing code after them, -1 for a category training never saw), which becomes the one-hot
  block, the native code (NaN for missing and unseen, as LightGBM, XGBoost and the MLP read it)
  or the training frequency, exactly as ``CategoricalEncoder.encode`` does.

Target encoding, datetime and text columns have no faithful graph here: ``check_exportable``
names them in an ``ExportError``. ``feeds(pre, frame)`` turns raw rows into the graph's inputs
with modelyard's own parsing (what a caller in Python can use; anyone else sends the values).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from modelyard.errors import ExportError
from modelyard.features.base import to_float
from modelyard.features.boolean import BooleanEncoder, to_bool_float
from modelyard.features.categorical import CategoricalEncoder, canonical
from modelyard.features.numeric import NumericEncoder
from modelyard.features.preprocessor import Preprocessor
from modelyard.model.export.graph import DOUBLE, ML_DOMAIN, STRING, Graph

SUPPORTED = "numeric, boolean and categorical columns (one-hot, native or frequency encoded)"


def check_exportable(pre: Preprocessor) -> None:
    """Raise ``ExportError`` naming every column whose encoding has no faithful ONNX graph."""
    bad = []
    for name, encoder in pre.encoders_.items():
        if type(encoder) in (NumericEncoder, BooleanEncoder):
            continue
        if type(encoder) is CategoricalEncoder and encoder.strategy_ != "target":
            continue
        what = "target-encoded" if type(encoder) is CategoricalEncoder else encoder.kind
        bad.append(f"'{name}' ({what})")
    if bad:
        raise ExportError(
            f"cannot export to ONNX: no faithful graph for column(s) {', '.join(bad)}",
            hint=f"export models whose features are {SUPPORTED}: drop those columns "
            "(data.drop in the spec) or set features.high_cardinality: frequency, and retrain",
        )


def input_type(encoder) -> int:
    """The ONNX element type of a column's graph input."""
    return STRING if isinstance(encoder, CategoricalEncoder) else DOUBLE


def add_inputs(graph: Graph, pre: Preprocessor) -> dict[str, str]:
    """One graph input per feature column; column name -> tensor name."""
    return {name: graph.input(name, input_type(encoder)) for name, encoder in pre.encoders_.items()}


def add_preprocessing(graph: Graph, pre: Preprocessor, inputs: dict[str, str]) -> str:
    """Nodes computing ``pre.transform`` from the graph inputs: a (rows, features) double tensor
    in ``feature_names_out_`` order (native categorical columns as codes, NaN if none)."""
    blocks = []
    for name, encoder in pre.encoders_.items():
        if isinstance(encoder, CategoricalEncoder):
            blocks.append(_categorical(graph, encoder, inputs[name]))
        else:
            blocks.append(_numeric(graph, encoder, inputs[name]))
    return graph.op("Concat", blocks, "features", axis=1) if len(blocks) > 1 else blocks[0]


def _numeric(graph: Graph, encoder, x: str) -> str:
    """Fill, clip, scale and flag one numeric or boolean column (rows, 1 or 2)."""
    col = encoder.column
    missing = graph.op("IsNaN", [x], f"{col}_nan")
    if isinstance(encoder, NumericEncoder):  # to_float: +-inf counts as missing too
        missing = graph.op("Or", [missing, graph.op("IsInf", [x], f"{col}_inf")], f"{col}_missing")
        fill = encoder.median_
    else:
        fill = encoder.mode_
    value = graph.op("Where", [missing, graph.const([fill], f"{col}_fill", np.float64), x],
                     f"{col}_filled")
    if isinstance(encoder, NumericEncoder):
        value = graph.op("Clip", [value, graph.const(encoder.low_, f"{col}_low", np.float64),
                                  graph.const(encoder.high_, f"{col}_high", np.float64)],
                         f"{col}_clipped")
        if encoder.scale:
            value = graph.op("Sub", [value, graph.const([encoder.mean_], f"{col}_mean",
                                                        np.float64)], f"{col}_centred")
            value = graph.op("Div", [value, graph.const([encoder.std_], f"{col}_std",
                                                        np.float64)], f"{col}_scaled")
    if not encoder.has_missing_:
        return value
    flag = graph.op("Cast", [missing], f"{col}_flag", to=DOUBLE)
    return graph.op("Concat", [value, flag], f"{col}_block", axis=1)


def category_codes(graph: Graph, encoder: CategoricalEncoder, x: str) -> str:
    """Code per row (rows, 1) int64: 0..n-1 for the training categories, n for missing (the
    empty string), -1 for unseen; ``CategoricalEncoder.codes``."""
    n = len(encoder.categories_)
    return graph.op("LabelEncoder", [x], f"{encoder.column}_code", domain=ML_DOMAIN,
                    keys_strings=[*encoder.categories_, ""],
                    values_int64s=list(range(n + 1)), default_int64=-1)


def _categorical(graph: Graph, encoder: CategoricalEncoder, x: str) -> str:
    col, n = encoder.column, len(encoder.categories_)
    codes = category_codes(graph, encoder, x)
    if encoder.strategy_ == "onehot":  # a 1 in the code's column; unseen (-1) in none
        width = n + int(encoder.has_missing_)
        hits = graph.op("Equal", [codes, graph.const(np.arange(width), f"{col}_slots", np.int64)],
                        f"{col}_hits")
        return graph.op("Cast", [hits], f"{col}_onehot", to=DOUBLE)
    if encoder.strategy_ == "native":  # the code as a float, NaN for missing and unseen
        known = graph.op("And", [
            graph.op("GreaterOrEqual", [codes, graph.const([0], "zero", np.int64)]),
            graph.op("Less", [codes, graph.const([n], f"{col}_n", np.int64)]),
        ], f"{col}_known")
        as_float = graph.op("Cast", [codes], f"{col}_codef", to=DOUBLE)
        return graph.op("Where", [known, as_float, graph.const([np.nan], "nan", np.float64)],
                        f"{col}_native")
    if encoder.strategy_ == "frequency":  # unseen -> 0; missing has its own frequency
        table = graph.const(np.append(encoder.frequencies_, 0.0), f"{col}_freq", np.float64)
        unseen = graph.op("Less", [codes, graph.const([0], "zero", np.int64)], f"{col}_unseen")
        index = graph.op("Where", [unseen, graph.const([n + 1], f"{col}_last", np.int64), codes],
                         f"{col}_index")
        gathered = graph.op("Gather", [table, index], f"{col}_gathered", axis=0)
        return gathered
    raise AssertionError(f"unchecked strategy {encoder.strategy_!r}")  # check_exportable's job


def feeds(pre: Preprocessor, checked: pd.DataFrame) -> dict[str, np.ndarray]:
    """The graph's inputs for rows already checked against the schema, parsed as modelyard
    parses them: numbers and booleans as float64 (NaN missing), categories as their strings."""
    out = {}
    for name, encoder in pre.encoders_.items():
        values = checked[name]
        if isinstance(encoder, CategoricalEncoder):
            canon = canonical(values)
            column = np.array(["" if v is None else v for v in canon], dtype=object)
        elif isinstance(encoder, BooleanEncoder):
            column = to_bool_float(values, name)
        else:
            column = to_float(values, name)
        out[name] = column.reshape(-1, 1)
    return out


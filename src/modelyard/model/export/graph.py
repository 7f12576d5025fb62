"""A small ONNX graph builder: named nodes, constants, and converted graphs embedded whole.

``Graph`` collects nodes, initializers, inputs and outputs with unique tensor names, and
``embed`` joins a graph made by a converter (onnxmltools, torch.onnx) to ours: its names get a
prefix, its inputs are fed from our tensors through ``Identity`` nodes and its outputs come back
as our tensor names. ``model`` writes one ``ModelProto`` whose opset per domain is the highest any
part asked for; every operator this package writes itself is one whose meaning did not change
between opset 15 (what onnxmltools writes) and 18 (what torch.onnx writes).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BASE_OPSET = 15  # the highest onnxmltools 1.16 converts to; torch.onnx needs 18
ML_OPSET = 3  # ai.onnx.ml: LabelEncoder (v2) and the tree ensembles (v1/v3)
ML_DOMAIN = "ai.onnx.ml"
DOUBLE = TensorProto.DOUBLE
FLOAT = TensorProto.FLOAT
INT64 = TensorProto.INT64
STRING = TensorProto.STRING
BOOL = TensorProto.BOOL


class Graph:
    """Nodes, constants and the graph's inputs and outputs, with unique tensor names."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []
        self.inputs: list[onnx.ValueInfoProto] = []
        self.outputs: list[onnx.ValueInfoProto] = []
        self.functions: list[onnx.FunctionProto] = []
        self.opsets: dict[str, int] = {"": BASE_OPSET, ML_DOMAIN: ML_OPSET}
        self.ir_version = 8
        self._used: set[str] = set()
        self._embedded = 0

    def name(self, hint: str) -> str:
        """A tensor name not used yet, built from ``hint``."""
        base = "".join(c if c.isalnum() or c in "_." else "_" for c in hint) or "t"
        name, i = base, 1
        while name in self._used:
            name, i = f"{base}_{i}", i + 1
        self._used.add(name)
        return name

    def input(self, name: str, elem_type: int, width: int = 1) -> str:
        """A graph input of shape (rows, width); ``name`` is kept as it is (a column name)."""
        self._used.add(name)
        self.inputs.append(helper.make_tensor_value_info(name, elem_type, [None, width]))
        return name

    def output(self, tensor: str, name: str, elem_type: int, shape: list[Any]) -> None:
        """Expose ``tensor`` as the graph output ``name``."""
        self._used.add(name)
        self.op("Identity", [tensor], outputs=[name])
        self.outputs.append(helper.make_tensor_value_info(name, elem_type, shape))

    def const(self, value: Any, hint: str = "c", dtype: Any = None) -> str:
        """A constant tensor (an initializer) holding ``value``."""
        array = np.asarray(value, dtype=dtype)
        name = self.name(hint)
        if array.dtype.kind in "OUS":  # strings: numpy_helper needs bytes
            tensor = helper.make_tensor(name, STRING, array.shape,
                                        [str(v).encode("utf-8") for v in array.ravel()])
        else:
            tensor = numpy_helper.from_array(array, name)
        self.initializers.append(tensor)
        return name

    def op(self, op_type: str, inputs: list[str], hint: str | None = None, *,
           outputs: list[str] | None = None, n_out: int = 1, domain: str = "",
           **attrs: Any) -> Any:
        """Add one node; return its output name (or the list of names when ``n_out`` > 1)."""
        names = outputs or [self.name(hint or op_type.lower()) for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, names, domain=domain or None,
                                           name=self.name(f"node_{op_type}"), **attrs))
        return names if n_out > 1 or outputs else names[0]

    def embed(self, model: onnx.ModelProto, feeds: dict[str, str]) -> dict[str, str]:
        """Join a converted model: its input ``k`` reads our tensor ``feeds[k]``; returns its
        output names mapped to the names they carry in our graph."""
        self._embedded += 1
        prefix = f"m{self._embedded}_"
        model = onnx.compose.add_prefix(model, prefix)
        graph = model.graph
        inputs = {i.name[len(prefix):]: i.name for i in graph.input}
        init_names = {t.name for t in graph.initializer}
        for original, ours in feeds.items():
            self.op("Identity", [ours], outputs=[inputs[original]])
        unfed = sorted(set(inputs) - set(feeds) - {n[len(prefix):] for n in init_names})
        assert not unfed, f"converted graph inputs left unfed: {unfed}"
        self.nodes.extend(graph.node)
        self.initializers.extend(graph.initializer)
        self.functions.extend(model.functions)
        for opset in model.opset_import:
            domain = opset.domain or ""
            self.opsets[domain] = max(self.opsets.get(domain, 0), opset.version)
        self.ir_version = max(self.ir_version, model.ir_version)
        used = {n for node in graph.node for n in [*node.input, *node.output]}
        self._used |= used | init_names | set(inputs.values())
        return {o.name[len(prefix):]: o.name for o in graph.output}

    def model(self, doc: str, metadata: dict[str, str]) -> onnx.ModelProto:
        """The finished, checked ``ModelProto``."""
        graph = helper.make_graph(self.nodes, "modelyard", self.inputs, self.outputs,
                                  initializer=self.initializers)
        opsets = [helper.make_opsetid(domain, version) for domain, version in self.opsets.items()]
        model = helper.make_model(graph, opset_imports=opsets, producer_name="modelyard",
                                  functions=self.functions, doc_string=doc)
        model.ir_version = self.ir_version
        helper.set_model_props(model, metadata)
        onnx.checker.check_model(model, full_check=True)
        return model

"""A feed-forward champion as an ONNX model (needs the ``onnx`` package: ``pip install 'ottorch[onnx]'``).

The graph follows the compiled phenotype (``phenotype.GenomeNetwork``) layer by layer, in float32:
each layer's summed inputs are one MatMul over the values computed so far, the terms of nodes with
another aggregation are gathered into a padded (N, nodes, K) tensor and reduced, then
``bias + response * aggregate`` goes through each activation group with neat-python's definitions
(``activations.py``, ``aggregations.py``). Every activation and aggregation of ottorch is expressed;
recurrent champions are refused, since an ONNX model has no state between calls.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import numpy as np

import ottorch
from ottorch.neat.genome import Genome
from ottorch.neat.phenotype import Aggregated, GenomeNetwork, compile_genome

#: ONNX operator set the models use (onnxruntime >= 1.14 runs it).
OPSET = 18
_IR_VERSION = 8  # the IR version that came with opset 18: older runtimes load the file too


class _Graph:
    """The nodes and constants of the ONNX graph under construction; every value is named by a string."""

    def __init__(self, helper, numpy_helper) -> None:
        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list = []
        self.initializers: list = []
        self._scalars: dict[float, str] = {}  # one float32 constant per value

    def const(self, array: np.ndarray) -> str:
        name = f"const{len(self.initializers)}"
        self.initializers.append(self.numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def scalar(self, value: float) -> str:
        if value not in self._scalars:
            self._scalars[value] = self.const(np.array(value, dtype=np.float32))
        return self._scalars[value]

    def ints(self, values) -> str:
        return self.const(np.asarray(values, dtype=np.int64))

    def op(self, op_type: str, *inputs: str, out: str | None = None, outputs: int = 1, **attrs):
        names = [out or f"t{len(self.nodes)}_{i}" for i in range(outputs)]
        self.nodes.append(self.helper.make_node(op_type, list(inputs), names, **attrs))
        return names[0] if outputs == 1 else names


def _clip(g: _Graph, z: str, lo: float, hi: float) -> str:
    return g.op("Clip", z, g.scalar(lo), g.scalar(hi))


def _inv(g: _Graph, z: str) -> str:
    tiny = g.op("Less", g.op("Abs", z), g.scalar(1e-7))
    return g.op("Where", tiny, g.scalar(0.0), g.op("Div", g.scalar(1.0), g.op("Where", tiny, g.scalar(1.0), z)))


def _gauss(g: _Graph, z: str) -> str:
    c = _clip(g, z, -3.4, 3.4)
    return g.op("Exp", g.op("Mul", g.op("Mul", c, c), g.scalar(-5.0)))


# Each builds activations.ACTIVATION_FUNCTIONS[name] on a float32 tensor, in the same order of operations.
_ACTIVATIONS: dict[str, Callable[[_Graph, str], str]] = {
    "sigmoid": lambda g, z: g.op("Mul", g.op("Add", g.op("Tanh", g.op("Mul", z, g.scalar(2.5))), g.scalar(1.0)),
                                 g.scalar(0.5)),
    "tanh": lambda g, z: g.op("Tanh", g.op("Mul", z, g.scalar(2.5))),
    "relu": lambda g, z: g.op("Relu", z),
    "identity": lambda g, z: z,
    "sin": lambda g, z: g.op("Sin", _clip(g, g.op("Mul", z, g.scalar(5.0)), -60.0, 60.0)),
    "gauss": _gauss,
    "abs": lambda g, z: g.op("Abs", z),
    "softplus": lambda g, z: g.op("Mul", g.op("Softplus", _clip(g, g.op("Mul", z, g.scalar(5.0)), -60.0, 60.0)),
                                  g.scalar(0.2)),
    "elu": lambda g, z: g.op("Elu", z, alpha=1.0),
    "clamped": lambda g, z: _clip(g, z, -1.0, 1.0),
    "square": lambda g, z: g.op("Mul", z, z),
    "cube": lambda g, z: g.op("Mul", g.op("Mul", z, z), z),
    "exp": lambda g, z: g.op("Exp", _clip(g, z, -60.0, 60.0)),
    "inv": _inv,
    "log": lambda g, z: g.op("Log", g.op("Max", z, g.scalar(1e-7))),
    "lelu": lambda g, z: g.op("LeakyRelu", z, alpha=0.005),
    "selu": lambda g, z: g.op("Selu", z, alpha=1.6732632423543772, gamma=1.0507009873554805),
    "hat": lambda g, z: g.op("Relu", g.op("Sub", g.scalar(1.0), g.op("Abs", z))),
}


def _pick(g: _Graph, terms: str, index: str) -> str:
    """``terms (N, n, K)`` at ``index`` (N, n, 1) along K -> (N, n)."""
    return g.op("Squeeze", g.op("GatherElements", terms, index, axis=2), g.ints([2]))


def _median(g: _Graph, terms: str, group: Aggregated, mask: str, present: str) -> str:
    # padding sorts last (the mask is left-aligned), so the middle of k terms is at (k - 1) // 2 and k // 2
    padded = g.op("Where", mask, terms, g.scalar(np.inf))
    ordered = g.op("TopK", padded, g.ints([group.mask.shape[1]]), axis=2, largest=0, sorted=1, outputs=2)[0]
    k = group.mask.sum(axis=1)
    batch_shape = g.op("Concat", g.op("Shape", terms, end=2), g.ints([1]), axis=0)

    def at(positions: np.ndarray) -> str:
        index = g.op("Expand", g.ints(np.maximum(positions, 0)[None, :, None]), batch_shape)
        return _pick(g, ordered, index)

    middle = g.op("Mul", g.op("Add", at((k - 1) // 2), at(k // 2)), g.scalar(0.5))
    return g.op("Where", present, middle, g.scalar(0.0))


def _aggregate(g: _Graph, values: str, weight: np.ndarray, group: Aggregated) -> str:
    """The aggregate (N, n) of one non-sum aggregation group, from the value buffer (N, columns)."""
    # padding reads column 0: the phenotype's padded sources may lie beyond the columns known so far
    sources = np.where(group.mask, group.sources, 0)
    w = np.where(group.mask, weight[group.edges], 0.0).astype(np.float32)
    terms = g.op("Mul", g.op("Gather", values, g.ints(sources), axis=1), g.const(w))
    mask = g.const(group.mask)
    name = group.name
    if name == "product":
        return g.op("ReduceProd", g.op("Where", mask, terms, g.scalar(1.0)), g.ints([2]), keepdims=0)
    if name == "mean":
        total = g.op("ReduceSum", g.op("Where", mask, terms, g.scalar(0.0)), g.ints([2]), keepdims=0)
        return g.op("Div", total, g.const(np.maximum(group.mask.sum(axis=1), 1).astype(np.float32)))
    present = g.const(group.mask.any(axis=1))  # a node without terms gives 0
    if name in ("max", "min"):
        fill, reduce = (-np.inf, "ReduceMax") if name == "max" else (np.inf, "ReduceMin")
        extreme = g.op(reduce, g.op("Where", mask, terms, g.scalar(fill)), g.ints([2]), keepdims=0)
        return g.op("Where", present, extreme, g.scalar(0.0))
    if name == "maxabs":
        # ArgMax takes the first of equal magnitudes, as the numpy selector does; padding's key -1 never wins
        index = g.op("ArgMax", g.op("Where", mask, g.op("Abs", terms), g.scalar(-1.0)), axis=2, keepdims=1)
        return g.op("Where", present, _pick(g, terms, index), g.scalar(0.0))
    return _median(g, terms, group, mask, present)  # _check lets no other name through


_AGGREGATIONS = ("sum", "product", "mean", "max", "min", "maxabs", "median")


def _check(genome: Genome, net: GenomeNetwork) -> None:
    if net.is_recurrent:
        recurrent = sorted(int(k) for k in net.weight_keys[net.recurrent_mask])
        raise ValueError(f"export_onnx: genome {genome.key} has recurrent connections (innovations {recurrent}); "
                         "ONNX export takes feed-forward champions only")
    for n in net.node_order:
        node = genome.nodes[n]
        if node.activation not in _ACTIVATIONS:
            raise ValueError(f"export_onnx: node {n}'s activation {node.activation!r} has no ONNX form")
        if node.aggregation not in _AGGREGATIONS:
            raise ValueError(f"export_onnx: node {n}'s aggregation {node.aggregation!r} has no ONNX form")


def _model(genome: Genome, net: GenomeNetwork, onnx):
    """The ONNX ``ModelProto`` of ``net`` (compiled from ``genome``), checked by ``onnx.checker``."""
    helper = onnx.helper
    g = _Graph(helper, onnx.numpy_helper)
    weight = net.weight.detach().numpy()
    bias = net.bias.detach().numpy()
    w_ff, _ = net.dense(weight)
    values = "input"  # the value buffer so far: inputs, then each layer's nodes (N, columns)
    for layer in net.layers:
        lo, n = layer.start, len(layer.columns)
        nodes = slice(lo - net.num_inputs, lo - net.num_inputs + n)
        s = g.op("MatMul", values, g.const(w_ff[:lo, nodes]))
        if layer.aggregated:
            # the MatMul's columns of these nodes are zero: take each node's column from [sums, aggregates...]
            pieces, column, offset = [s], np.arange(n), n
            for group in layer.aggregated:
                column[group.nodes] = offset + np.arange(len(group.nodes))
                offset += len(group.nodes)
                pieces.append(_aggregate(g, values, weight, group))
            s = g.op("Gather", g.op("Concat", *pieces, axis=1), g.ints(column), axis=1)
        z = g.op("Mul", s, g.const(net.response_array[nodes])) if net.scale_response else s
        z = g.op("Add", z, g.const(bias[nodes]))
        groups = [_ACTIVATIONS[name](g, z if len(layer.activations) == 1 else
                                     g.op("Slice", z, g.ints([rel.start]), g.ints([rel.stop]), g.ints([1])))
                  for name, rel, _ in layer.activations]
        values = g.op("Concat", values, *groups, axis=1)
    g.op("Gather", values, g.ints(net.output_columns), axis=1, out="output")

    graph = helper.make_graph(
        g.nodes, f"neat_genome_{genome.key}",
        [helper.make_tensor_value_info("input", onnx.TensorProto.FLOAT, ["N", net.num_inputs])],
        [helper.make_tensor_value_info("output", onnx.TensorProto.FLOAT, ["N", net.num_outputs])],
        g.initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], ir_version=_IR_VERSION,
                              producer_name="ottorch", producer_version=ottorch.__version__,
                              doc_string=f"NEAT genome {genome.key} (fitness {genome.fitness})")
    onnx.checker.check_model(model, full_check=True)
    return model


def export_onnx(genome: Genome, path: str | os.PathLike) -> None:
    """Write the feed-forward ``genome``'s network to ``path`` as an ONNX model: input ``"input"``
    (N, num_inputs) float32 -> output ``"output"`` (N, num_outputs) float32, the outputs of
    ``compile_genome(genome)``. Raises ``ValueError`` for a recurrent genome and ``ImportError``
    without the ``onnx`` package."""
    net = compile_genome(genome, ottorch.float32)
    _check(genome, net)
    try:
        import onnx
    except ImportError:
        raise ImportError("export_onnx needs the onnx package: pip install 'ottorch[onnx]'") from None
    onnx.save(_model(genome, net, onnx), os.fspath(path))

"""Phenotype: a genome compiled into an ottorch network whose weights can be trained and read back.

Nodes that can influence an output are ordered into layers by their longest feed-forward path from
the inputs. Every enabled connection weight is one entry of the ``weight`` parameter and every node
bias one entry of ``bias``; one pass of the network is a single autograd primitive (``GenomeStep``)
that scatters them into dense matrices and evaluates each layer as one matmul over the values
computed so far plus per-node activations, vectorised over the batch. A node that aggregates its inputs
by anything but a sum (``aggregations.py``) gathers its terms into a padded (batch, nodes, inputs)
array instead, per aggregation in the layer, and its gradient flows back through that array.
Recurrent (delay-1) edges read
the previous time step's node values, so a recurrent genome is unrolled over a sequence and trained
by BPTT. ``weight_keys`` / ``bias_keys`` map the parameters back
to innovation numbers and node ids. Compiling never changes the genome.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import ottorch
from ottorch._functions import stack
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.autograd.function import Primitive
from ottorch.neat.activations import ACTIVATION_FUNCTIONS
from ottorch.neat.aggregations import AGGREGATION_FUNCTIONS
from ottorch.neat.genome import Genome
from ottorch.nn.modules.module import Module
from ottorch.nn.parameter import Parameter


@dataclass(frozen=True)
class Layer:
    """Nodes evaluated together: their columns in the value buffer and activation groups."""

    start: int  # columns [0, start) are known when this layer runs
    columns: np.ndarray  # node columns this layer writes (start .. start + n)
    # (name, slice within the layer, slice of value-buffer columns): nodes are ordered by activation
    # within their layer, so each group is contiguous and handled through views
    activations: tuple[tuple[str, slice, slice], ...]
    # nodes that do not sum their inputs, per aggregation function
    aggregated: tuple[Aggregated, ...] = ()


@dataclass(frozen=True)
class Aggregated:
    """Nodes of one layer with one non-sum aggregation, and their incoming edges padded to K each:
    ``edges`` (n, K) index the weight vector, ``sources`` (n, K) the value buffer, ``recurrent`` (n, K)
    marks delay-1 edges and ``mask`` (n, K) the edges that exist."""

    name: str
    nodes: np.ndarray  # positions within the layer (n,)
    edges: np.ndarray
    sources: np.ndarray
    recurrent: np.ndarray
    mask: np.ndarray

    def terms(self, weight: np.ndarray, values: np.ndarray, prev: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """The source values (N, n, K) and weighted terms of these nodes; delay-1 sources read ``prev``
        (zeros when None)."""
        src = values[:, self.sources]
        if self.recurrent.any():
            delayed = prev[:, self.sources] if prev is not None else np.zeros_like(src)
            src = np.where(self.recurrent, delayed, src)
        return src, np.where(self.mask, src * weight[self.edges], 0.0)


def required_nodes(genome: Genome) -> set[int]:
    """Nodes from which an output can be reached through enabled connections (outputs included)."""
    required = set(genome.output_keys)
    frontier = list(required)
    incoming: dict[int, list[int]] = {}
    for c in genome.enabled_connections():
        incoming.setdefault(c.out_node, []).append(c.in_node)
    while frontier:
        node = frontier.pop()
        for src in incoming.get(node, ()):
            if src not in required and genome.nodes[src].type != "input":
                required.add(src)
                frontier.append(src)
    return required


def layer_order(genome: Genome, nodes: set[int]) -> list[list[int]]:
    """``nodes`` grouped by longest feed-forward path from the inputs (layer 1 first)."""
    inputs = set(genome.input_keys)
    preds: dict[int, list[int]] = {n: [] for n in nodes}
    for c in genome.enabled_connections():
        if not c.recurrent and c.out_node in nodes and (c.in_node in nodes or c.in_node in inputs):
            preds[c.out_node].append(c.in_node)
    depth: dict[int, int] = {k: 0 for k in inputs}
    remaining = set(nodes)
    while remaining:
        ready = [n for n in remaining if all(p in depth for p in preds[n])]
        if not ready:
            raise ValueError(f"genome {genome.key} has a cycle among feed-forward connections: {sorted(remaining)}")
        for n in ready:
            depth[n] = 1 + max((depth[p] for p in preds[n]), default=0)
        remaining -= set(ready)
    layers: dict[int, list[int]] = {}
    for n in nodes:
        layers.setdefault(depth[n], []).append(n)
    return [sorted(layers[d]) for d in sorted(layers)]


def network_pass(net: GenomeNetwork, x: np.ndarray, weight: np.ndarray, bias: np.ndarray, prev: np.ndarray | None,
                 w_ff: np.ndarray, w_rec: np.ndarray | None) -> tuple[np.ndarray, list[np.ndarray], list]:
    """One pass on arrays: the value buffer (N, columns), each layer's pre-activations and, per
    non-sum aggregation group of each layer, its source values and terms."""
    values = np.empty((x.shape[0], net.n_columns), dtype=x.dtype)
    values[:, : net.num_inputs] = x
    recurrent_in = prev @ w_rec if w_rec is not None and prev is not None else None
    pre, gathered = [], []
    for layer in net.layers:
        lo, hi = layer.start, layer.start + len(layer.columns)
        nodes = slice(lo - net.num_inputs, hi - net.num_inputs)
        s = values[:, :lo] @ w_ff[:lo, nodes]
        if recurrent_in is not None:
            s += recurrent_in[:, nodes]
        for group in layer.aggregated:  # their columns of w_ff / w_rec are zero: s is replaced
            src, terms = group.terms(weight, values, prev)
            s[:, group.nodes] = AGGREGATION_FUNCTIONS[group.name][0](terms, group.mask)
            gathered.append((src, terms))
        z = s * net.response_array[nodes] + bias[nodes] if net.scale_response else s + bias[nodes]
        for name, rel, cols in layer.activations:
            values[:, cols] = ACTIVATION_FUNCTIONS[name][0](z[:, rel])
        pre.append(z)
    return values, pre, gathered


class Policy:
    """Fast inference for control tasks: numpy only, no autograd, one call per time step.

    ``policy(obs)`` takes ``(inputs,)`` or ``(N, inputs)`` observations and returns the outputs;
    recurrent genomes keep their node values between calls until ``reset()``.
    """

    def __init__(self, net: GenomeNetwork) -> None:
        self.net = net
        self.weight = net.weight.detach().numpy().astype(np.float64)
        self.bias = net.bias.detach().numpy().astype(np.float64)
        self.w_ff, self.w_rec = net.dense(self.weight)
        self.prev: np.ndarray | None = None

    def reset(self) -> None:
        self.prev = None

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        x = np.asarray(obs, dtype=np.float64)
        single = x.ndim == 1
        values, _, _ = network_pass(self.net, x[None] if single else x, self.weight, self.bias, self.prev, self.w_ff,
                                    self.w_rec)
        if self.w_rec is not None:
            self.prev = values
        out = values[:, self.net.output_columns]
        return out[0] if single else out


class GenomeStep(Primitive):
    """One pass of a genome network as a single autograd primitive.

    Inputs: ``x (N, inputs)``, the ``weight`` and ``bias`` vectors and, for recurrent genomes, the
    previous step's value buffer ``prev (N, columns)`` (or None). Output: the value buffer
    ``(N, columns)`` = inputs followed by every node's activation in layer order, or with
    ``outputs_only`` just the output nodes' columns ``(N, outputs)``. The forward does one
    matmul per layer; the backward walks the layers in reverse and then gathers every weight's
    gradient at once. Unrolling it over time steps gives BPTT through the engine.
    """

    def forward(ctx, x, weight, bias, prev, net, outputs_only=False):
        w_ff, w_rec = net.dense(weight)
        values, pre, gathered = network_pass(net, x, weight, bias, prev, w_ff, w_rec)
        ctx.save_for_backward(values, prev, w_ff, w_rec, weight, *pre)
        ctx.net, ctx.outputs_only, ctx.gathered = net, outputs_only, gathered
        return values[:, net.output_columns] if outputs_only else values

    def backward(ctx, g):
        values, prev, w_ff, w_rec, weight, *pre = ctx.saved_tensors
        net = ctx.net
        gathered = iter(reversed(ctx.gathered))
        # gradients through the padded terms of non-sum nodes: weights, and delayed sources
        grad_w_agg = np.zeros(len(net.weight_keys), dtype=values.dtype)
        grad_prev_agg = np.zeros(values.shape, dtype=values.dtype) if prev is not None else None
        if ctx.outputs_only:
            dv = np.zeros(values.shape, dtype=g.dtype)
            dv[:, net.output_columns] = g
        else:
            dv = g.copy()
        dz_all = np.zeros((values.shape[0], net.n_columns - net.num_inputs), dtype=values.dtype)
        for layer, z in zip(reversed(net.layers), reversed(pre)):
            lo, hi = layer.start, layer.start + len(layer.columns)
            nodes = slice(lo - net.num_inputs, hi - net.num_inputs)
            dz = np.empty_like(z)
            for name, rel, cols in layer.activations:
                dz[:, rel] = dv[:, cols] * ACTIVATION_FUNCTIONS[name][1](z[:, rel], values[:, cols])
            dz_all[:, nodes] = dz
            ds = dz * net.response_array[nodes] if net.scale_response else dz
            dv[:, :lo] += ds @ w_ff[:lo, nodes].T
            for group in reversed(layer.aggregated):
                src, terms = next(gathered)
                dterms = ds[:, group.nodes, None] * AGGREGATION_FUNCTIONS[group.name][1](terms, group.mask)
                np.add.at(grad_w_agg, group.edges[group.mask], (dterms * src).sum(axis=0)[group.mask])
                dsrc = dterms * weight[group.edges]
                direct = group.mask & ~group.recurrent
                np.add.at(dv, (slice(None), group.sources[direct]), dsrc[:, direct])
                delayed = group.mask & group.recurrent
                if grad_prev_agg is not None and delayed.any():
                    np.add.at(grad_prev_agg, (slice(None), group.sources[delayed]), dsrc[:, delayed])
        ds_all = dz_all * net.response_array if net.scale_response else dz_all
        need_x, need_w, need_b, need_prev = ctx.needs_input_grad[:4]
        grad_w = None
        if need_w:
            grad_w = grad_w_agg
            ff = ~net.recurrent_mask & net.summed
            grad_w[ff] = (values[:, net.rows[ff]] * ds_all[:, net.cols[ff]]).sum(axis=0)
            rec = net.recurrent_mask & net.summed
            if prev is not None and rec.any():
                grad_w[rec] = (prev[:, net.rows[rec]] * ds_all[:, net.cols[rec]]).sum(axis=0)
        grad_b = dz_all.sum(axis=0) if need_b else None
        grad_prev = None
        if need_prev and prev is not None and (w_rec is not None or net.aggregated):
            grad_prev = grad_prev_agg if w_rec is None else ds_all @ w_rec.T + grad_prev_agg
        return (dv[:, : net.num_inputs] if need_x else None), grad_w, grad_b, grad_prev, None


class GenomeNetwork(Module):
    """The trainable network of one genome.

    Shape: feed-forward input ``(N, num_inputs)`` -> ``(N, num_outputs)``; a sequence
    ``(N, T, num_inputs)`` -> ``(N, T, num_outputs)`` runs one step per time step (recurrent edges read
    the previous step; a feed-forward genome treats the steps independently).
    """

    def __init__(self, genome: Genome, dtype=ottorch.float32) -> None:
        super().__init__()
        self.genome_key = genome.key
        np_dtype = ottorch._dtype.to_numpy(dtype)
        inputs, outputs = genome.input_keys, genome.output_keys
        needed = required_nodes(genome)
        order = [sorted(layer, key=lambda n: (genome.nodes[n].activation, n)) for layer in layer_order(genome, needed)]
        self.num_inputs, self.num_outputs = len(inputs), len(outputs)
        column = {k: i for i, k in enumerate(inputs)}
        node_order = [n for layer in order for n in layer]
        for n in node_order:
            column[n] = len(column)
        self.n_columns = len(column)
        self.node_order = node_order
        self.output_columns = np.array([column[k] for k in outputs], dtype=np.int64)

        self.layers: list[Layer] = []
        start = len(inputs)
        for nodes in order:
            groups, i = [], 0
            while i < len(nodes):
                name, j = genome.nodes[nodes[i]].activation, i
                while j < len(nodes) and genome.nodes[nodes[j]].activation == name:
                    j += 1
                groups.append((name, slice(i, j), slice(start + i, start + j)))
                i = j
            self.layers.append(Layer(start, np.arange(start, start + len(nodes)), tuple(groups)))
            start += len(nodes)

        used = [c for c in genome.enabled_connections()
                if c.out_node in needed and (c.in_node in needed or c.in_node in column)]
        self.weight_keys = np.array([c.innovation for c in used], dtype=np.int64)
        self.recurrent_mask = np.array([c.recurrent for c in used], dtype=bool)
        # each weight's cell in the (source column, node position) matrices
        self.rows = np.array([column[c.in_node] for c in used], dtype=np.int64)
        self.cols = np.array([column[c.out_node] - len(inputs) for c in used], dtype=np.int64)
        self.bias_keys = np.array(node_order, dtype=np.int64)
        self.weight = Parameter(_make(np.array([c.weight for c in used], dtype=np_dtype), False, None))
        self.bias = Parameter(_make(np.array([genome.nodes[n].bias for n in node_order], dtype=np_dtype),
                                    False, None))
        self.response_array = np.array([genome.nodes[n].response for n in node_order], dtype=np_dtype)
        self.scale_response = bool(np.any(self.response_array != 1.0))
        self.is_recurrent = bool(self.recurrent_mask.any())
        #: Per weight: whether its target sums its inputs (the dense matrices hold only these).
        self.summed = np.array([genome.nodes[c.out_node].aggregation == "sum" for c in used], dtype=bool)
        self.aggregated = not self.summed.all()
        if self.aggregated:
            self.layers = [_with_aggregations(layer, genome, node_order, used, self.rows) for layer in self.layers]

    def dense(self, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """The weight vector scattered into (columns, nodes) matrices: feed-forward and recurrent."""
        shape = (self.n_columns, self.n_columns - self.num_inputs)
        w_ff = np.zeros(shape, dtype=weight.dtype)
        ff = ~self.recurrent_mask & self.summed
        w_ff[self.rows[ff], self.cols[ff]] = weight[ff]
        if not self.is_recurrent:
            return w_ff, None
        w_rec = np.zeros(shape, dtype=weight.dtype)
        rec = self.recurrent_mask & self.summed
        w_rec[self.rows[rec], self.cols[rec]] = weight[rec]
        return w_ff, w_rec

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (2, 3) or x.shape[-1] != self.num_inputs:
            raise ValueError(
                f"genome {self.genome_key}: expected input (N, {self.num_inputs}) or (N, T, {self.num_inputs}), "
                f"got {list(x.shape)}"
            )
        if x.dtype != self.weight.dtype:
            x = x.type(self.weight.dtype)
        if x.ndim == 2:
            return GenomeStep.apply(x, self.weight, self.bias, None, net=self, outputs_only=True)
        outputs, prev = [], None
        for t in range(x.shape[1]):
            prev = GenomeStep.apply(x[:, t], self.weight, self.bias, prev if self.is_recurrent else None, net=self)
            outputs.append(prev[:, self.output_columns])
        return stack(outputs, dim=1)

    def policy(self) -> Policy:
        """A numpy-only stepper with the current weights, for control tasks."""
        return Policy(self)

    def export(self) -> tuple[dict[int, float], dict[int, float]]:
        """Trained values by gene: ``({innovation: weight}, {node id: bias})``."""
        w = self.weight.detach().numpy().astype(np.float64)
        b = self.bias.detach().numpy().astype(np.float64)
        return dict(zip(self.weight_keys.tolist(), w.tolist())), dict(zip(self.bias_keys.tolist(), b.tolist()))


def _with_aggregations(layer: Layer, genome: Genome, node_order: list[int], used: list, rows: np.ndarray) -> Layer:
    """``layer`` with the padded edge tables of its nodes that do not sum their inputs."""
    start = layer.start - len(genome.input_keys)
    in_layer = node_order[start:start + len(layer.columns)]
    groups = []
    for name in sorted({genome.nodes[n].aggregation for n in in_layer} - {"sum"}):
        nodes = [i for i, n in enumerate(in_layer) if genome.nodes[n].aggregation == name]
        incoming = [[e for e, c in enumerate(used) if c.out_node == in_layer[i]] for i in nodes]
        K = max(1, max(len(edges) for edges in incoming))
        edges = np.zeros((len(nodes), K), dtype=np.int64)
        mask = np.zeros((len(nodes), K), dtype=bool)
        for j, found in enumerate(incoming):
            edges[j, :len(found)] = found
            mask[j, :len(found)] = True
        recurrent = np.array([[used[e].recurrent for e in row] for row in edges.tolist()], dtype=bool) & mask
        groups.append(Aggregated(name, np.array(nodes, dtype=np.int64), edges, rows[edges], recurrent, mask))
    return Layer(layer.start, layer.columns, layer.activations, tuple(groups))


def compile_genome(genome: Genome, dtype=ottorch.float32) -> GenomeNetwork:
    """The trainable ottorch network of ``genome`` (the genome is not modified)."""
    return GenomeNetwork(genome, dtype)


def reference_forward(genome: Genome, x: np.ndarray) -> np.ndarray:
    """Slow per-node, per-sample evaluation with the same semantics, for testing the compiler.

    ``x`` is (N, inputs) or (N, T, inputs); returns (N, outputs) or (N, T, outputs) in float64.
    """
    sequence = x.ndim == 3
    xs = x if sequence else x[:, None, :]
    needed = required_nodes(genome)
    order = [n for layer in layer_order(genome, needed) for n in layer]
    conns = [c for c in genome.enabled_connections() if c.out_node in needed]
    out = np.zeros(xs.shape[:2] + (len(genome.output_keys),))
    for i in range(xs.shape[0]):
        prev: dict[int, float] = {}
        for t in range(xs.shape[1]):
            value = {k: float(v) for k, v in zip(genome.input_keys, xs[i, t])}
            for n in order:
                terms = [c.weight * (prev.get(c.in_node, 0.0) if c.recurrent else value.get(c.in_node, 0.0))
                         for c in conns if c.out_node == n]
                gene = genome.nodes[n]
                total = float(AGGREGATION_FUNCTIONS[gene.aggregation][0](np.array([terms + [0.0]]),
                                                                         np.array([[True] * len(terms) + [False]]))[0])
                z = np.float64(gene.bias + gene.response * total)
                value[n] = float(ACTIVATION_FUNCTIONS[gene.activation][0](z))
            out[i, t] = [value.get(k, 0.0) for k in genome.output_keys]
            prev = value
    return out if sequence else out[:, 0]

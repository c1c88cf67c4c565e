"""Batched phenotype: many genomes compiled together into stacked, padded arrays.

``compile_table`` turns a ``GenomeTable`` into ``BatchedNetwork``s with numpy operations over all
genes at once (no Python loop over genomes or genes): it finds the nodes that can reach an output,
orders them by depth (longest feed-forward path from the inputs), numbers them per genome (outputs
first) and scatters the weights into per-genome matrices.

Every genome gets a padded size that depends on that genome alone: its node count rounded up to at
least 8 and to a coarse grid (``padded_size``). Only genomes of the same size and kind (feed-forward
or recurrent) share a ``BatchedNetwork``. A stacked ``np.matmul`` gives each genome the bits a lone product of the same
shape gives, and every other operation is elementwise or reduces within one genome, so a genome's
numbers do not depend on which other genomes share its batch, or how many.

A ``BatchedNetwork`` of G genomes holds ``weight`` (G, N, C) (feed-forward edges into N padded
nodes from C = inputs + N value rows), ``weight_rec`` (G, N, C) for delay-1 edges and ``bias``
(G, N). One pass (``BatchStep``) evaluates depth level after depth level: one stacked matmul over
the value buffer, then the activations of just the rows of the nodes at that depth. Masks keep
absent connections at exactly zero and give them no gradient.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

import ottorch
from ottorch._functions import stack
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.autograd.function import Primitive
from ottorch.neat.activations import ACTIVATION_FUNCTIONS
from ottorch.neat.config import ACTIVATIONS
from ottorch.neat.table import GenomeTable
from ottorch.nn.modules.module import Module
from ottorch.nn.parameter import Parameter

_FUNCTIONS = [ACTIVATION_FUNCTIONS[name] for name in ACTIVATIONS]


#: The smallest padded size: small genomes share one batch, since per-call cost, not size, dominates there.
MIN_PADDED_SIZE = 8
#: Multiply-adds per sample of one training step of a padded genome, (3 * depth + 1) * N * C, above
#: which it is evaluated on its own: such a genome is bound by arithmetic, not per-call overhead, and
#: its full-width levels cost more than the per-genome network's layer-sliced products (measured: a
#: 131-node, 2-level iris genome trains 1.9x faster batched, a 259-node one 1.6x slower).
MAX_BATCHED_WORK = 250_000


def padded_size(nodes: np.ndarray) -> np.ndarray:
    """The padded node count of genomes with ``nodes`` evaluated nodes: at least ``MIN_PADDED_SIZE``,
    rounded up to a multiple of an eighth of the next power of two (so at most ~1/8 is padding on
    large genomes, where work grows with size). It depends on the genome alone, never on its batch-mates."""
    n = np.maximum(nodes, MIN_PADDED_SIZE)
    step = np.maximum(MIN_PADDED_SIZE, (1 << np.ceil(np.log2(n)).astype(np.int64)) // 8)
    return -(-n // step) * step


@dataclass
class Structure:
    """The phenotype structure of every genome of a table (from ``analyse``).

    Per connection gene: ``used`` (enabled and on a path to an output), ``src_col`` (its source's
    row in the value buffer) and ``dst_pos`` (its target's node position). Per node gene:
    ``required``, ``position`` (outputs first, then hidden nodes by id) and ``node_depth`` (0 when not
    required). Per genome: ``nodes`` (required count) and ``recurrent``; ``errors`` maps a genome that
    cannot be compiled to the reason.
    """

    used: np.ndarray
    src_col: np.ndarray
    dst_pos: np.ndarray
    required: np.ndarray
    position: np.ndarray
    node_depth: np.ndarray
    nodes: np.ndarray
    recurrent: np.ndarray
    errors: dict[int, str]


def analyse(table: GenomeTable) -> Structure:
    """Required nodes, depths and positions of every genome of ``table``, all genomes at once."""
    I, O, G = table.num_inputs, table.num_outputs, len(table)
    errors: dict[int, str] = {}
    n_row, n_id = table.n_row, table.n_id
    span = int(n_id.max()) + 1 if len(n_id) else 1
    node_key = n_row * span + n_id

    # Node-table index of both endpoints of every connection (one search; -1 for inputs).
    E = len(table.c_in)
    ids = np.concatenate([table.c_in, table.c_out])
    keys = np.concatenate([table.c_row, table.c_row]) * span + np.minimum(np.maximum(ids, 0), span - 1)
    pos = np.minimum(np.searchsorted(node_key, keys), max(len(node_key) - 1, 0))
    is_input = (ids < 0) & (ids >= -I)
    found = (node_key[pos] == keys) & (ids < span) if len(node_key) else np.zeros(2 * E, dtype=bool)
    ends = np.where(is_input, -1, pos)
    src, dst = ends[:E], ends[E:]
    ok = found | is_input
    broken = ~(ok[:E] & ok[E:] & (table.c_out >= 0))
    if broken.any():
        for g in np.unique(table.c_row[broken]).tolist():
            errors[g] = "ValueError: a connection refers to a node the genome does not have"
    enabled = table.c_enabled & ~broken
    dst = np.where(broken, 0, dst)

    # Nodes from which an output can be reached: outputs, then sources of edges into required nodes.
    required = n_id < O
    hidden_src = enabled & (src >= 0)
    hs, hd = src[hidden_src], dst[hidden_src]
    while True:
        new = hs[required[hd] & ~required[hs]]
        if new.size == 0:
            break
        required[new] = True
    src_required = np.ones(len(src), dtype=bool)
    src_required[src >= 0] = required[src[src >= 0]]
    used = enabled & required[dst] & src_required

    # Longest feed-forward path from the inputs, relaxed level by level for all genomes together.
    nodes = np.bincount(n_row[required], minlength=G)
    depth = required.astype(np.int64)
    ff = used & ~table.c_rec
    fs, fd = src[ff], dst[ff]
    fs_hidden = fs >= 0
    limit = int(nodes.max(initial=0)) + 1
    for _ in range(limit):
        candidate = np.where(fs_hidden, depth[np.maximum(fs, 0)], 0) + 1
        relaxed = depth.copy()
        np.maximum.at(relaxed, fd, candidate)
        if np.array_equal(relaxed, depth):
            break
        depth = relaxed
    cyclic = depth > nodes[n_row]
    if cyclic.any():
        for g in np.unique(n_row[cyclic]).tolist():
            errors.setdefault(g, f"ValueError: genome {int(table.keys[g])} has a cycle among feed-forward connections")

    # Positions: required nodes of each genome numbered in node-table order (outputs have the lowest ids).
    count = np.cumsum(required)
    seg_start = np.searchsorted(n_row, np.arange(G))
    before = np.concatenate([[0], count])[seg_start]
    position = np.where(required, count - 1 - before[n_row], -1)
    src_col = np.where(src >= 0, I + position[np.maximum(src, 0)], -table.c_in - 1)
    dst_pos = position[dst]
    recurrent = np.bincount(table.c_row[used & table.c_rec], minlength=G) > 0
    return Structure(used, src_col, dst_pos, required, position, depth, nodes, recurrent, errors)


def batched_work(table: GenomeTable, s: Structure, size: np.ndarray) -> np.ndarray:
    """Multiply-adds per sample of one batched training step of each genome of padded ``size``
    (see ``MAX_BATCHED_WORK``)."""
    depth = np.zeros(len(table), dtype=np.int64)
    np.maximum.at(depth, table.n_row, s.node_depth)
    return (3 * depth + 1) * size * (table.num_inputs + size)


def compile_table(table: GenomeTable, cap: Callable[[int, bool], int] | None = None, dtype=ottorch.float32,
                  max_work: int | None = None, sum_only: bool = False
                  ) -> tuple[list[BatchedNetwork], dict[int, str], np.ndarray]:
    """``BatchedNetwork``s covering the compilable genomes of ``table``, the errors of the others, and
    the genomes left to evaluate one at a time: those above ``max_work`` (see ``MAX_BATCHED_WORK``)
    and, with ``sum_only``, those with a node that aggregates its inputs by anything but a sum
    (``BatchStep`` computes sums only; ``BatchedPolicy`` computes every aggregation).

    Genomes are grouped by (recurrent, padded size); ``cap(padded_size, recurrent)`` limits how many
    genomes one network holds (no limit when None). Each network's ``genomes`` are indices into
    ``table``, in table order.
    """
    s = analyse(table)
    G = len(table)
    ok = np.ones(G, dtype=bool)
    ok[list(s.errors)] = False
    size = padded_size(s.nodes)
    single = np.zeros(0, dtype=np.int64)
    # (3 * depth + 1) * N * C with depth <= N bounds the work; skip the exact count when that is small
    largest = 2 * max(int(s.nodes.max(initial=0)), MIN_PADDED_SIZE)  # >= its padded size
    if max_work is not None and (3 * largest + 1) * largest * (table.num_inputs + largest) > max_work:
        heavy = ok & (batched_work(table, s, size) > max_work)
        single = np.flatnonzero(heavy)
        ok &= ~heavy
    if sum_only and table.n_agg.any():
        aggregating = np.zeros(G, dtype=bool)
        aggregating[table.n_row[s.required & (table.n_agg != 0)]] = True
        aggregating &= ok
        single = np.union1d(single, np.flatnonzero(aggregating))
        ok &= ~aggregating
    kind = np.where(ok, size * 2 + s.recurrent, -1)
    # Number the batches: genomes of one kind, in table order, at most ``cap`` of them per batch.
    chunk = np.full(G, -1, dtype=np.int64)
    shapes = []
    for k in sorted(set(kind[ok].tolist())):
        members = np.flatnonzero(kind == k)
        n, recurrent = k // 2, bool(k % 2)
        limit = max(1, cap(n, recurrent)) if cap is not None else len(members)
        chunk[members] = len(shapes) + np.arange(len(members)) // limit
        shapes += [(n, recurrent)] * -(-len(members) // limit)
    conns = np.flatnonzero(s.used & (chunk[table.c_row] >= 0))
    genes = np.flatnonzero(s.required & (chunk[table.n_row] >= 0))
    if len(shapes) == 1:  # the common case: no sorting needed
        return [BatchedNetwork(table, s, np.flatnonzero(ok), *shapes[0], conns, genes, dtype)], s.errors, single
    conns = conns[np.argsort(chunk[table.c_row[conns]], kind="stable")]
    genes = genes[np.argsort(chunk[table.n_row[genes]], kind="stable")]
    bounds = np.arange(len(shapes) + 1)
    c_bounds = np.searchsorted(chunk[table.c_row[conns]], bounds)
    n_bounds = np.searchsorted(chunk[table.n_row[genes]], bounds)
    g_order = np.argsort(chunk, kind="stable")
    g_bounds = np.searchsorted(chunk[g_order], bounds)
    networks = [
        BatchedNetwork(table, s, g_order[g_bounds[i]:g_bounds[i + 1]], n, recurrent,
                       conns[c_bounds[i]:c_bounds[i + 1]], genes[n_bounds[i]:n_bounds[i + 1]], dtype)
        for i, (n, recurrent) in enumerate(shapes)
    ]
    return networks, s.errors, single


@dataclass(frozen=True)
class Level:
    """The nodes at one depth, per activation present: its functions, the nodes' flat indices
    (``genome * N + position``) into the (G * N) node rows, and their rows of the (G * C) value buffer."""

    groups: tuple[tuple[Callable, Callable, np.ndarray, np.ndarray], ...]


class BatchStep(Primitive):
    """One pass of a ``BatchedNetwork`` as a single autograd primitive.

    Inputs: ``x (G or 1, B, inputs)``, ``weight (G, N, C)``, ``bias (G, N)``, the previous step's
    value buffer ``prev (G, C, B)`` or None, and ``weight_rec (G, N, C)`` or None. Output: the value
    buffer ``(G, C, B)`` (input rows, then node rows) or, with ``outputs_only``, the output nodes
    ``(G, B, outputs)``. Node values are rows of B samples, so each level gathers just its own nodes'
    rows: one stacked matmul ``weight @ values`` per depth level, then the activations of that
    level's rows. The backward walks the levels in reverse with one stacked matmul each and forms
    each weight gradient with one more.
    """

    def forward(ctx, x, weight, bias, prev, weight_rec, net, outputs_only=False):
        G, N, C = weight.shape
        I, B = net.num_inputs, x.shape[1]
        values = np.zeros((G, C, B), dtype=weight.dtype)
        values[:, :I, :] = np.swapaxes(x, 1, 2)
        rows = values.reshape(G * C, B)
        recurrent_in = None
        if prev is not None and weight_rec is not None:
            recurrent_in = np.matmul(weight_rec, prev).reshape(G * N, B)
        bias, response = bias.reshape(G * N, 1), net.response
        pre = []
        with np.errstate(all="ignore"):
            for level in net.levels:
                z_all = np.matmul(weight, values).reshape(G * N, B)
                for f, _, nodes, at in level.groups:
                    z = z_all[nodes]
                    if recurrent_in is not None:
                        z += recurrent_in[nodes]
                    if response is not None:
                        z *= response[nodes]
                    z += bias[nodes]
                    rows[at] = f(z)
                    pre.append(z)
        ctx.save_for_backward(values, weight, prev, weight_rec, *pre)
        ctx.net, ctx.outputs_only, ctx.shared_x = net, outputs_only, x.shape[0] != G
        if outputs_only:
            return np.ascontiguousarray(np.swapaxes(values[:, I:I + net.num_outputs], 1, 2))
        return values

    def backward(ctx, g):
        values, weight, prev, weight_rec, *pre = ctx.saved_tensors
        net, I = ctx.net, ctx.net.num_inputs
        G, N, C = weight.shape
        B = values.shape[2]
        if ctx.outputs_only:
            dv = np.zeros(values.shape, dtype=g.dtype)
            dv[:, I:I + net.num_outputs] = np.swapaxes(g, 1, 2)
        else:
            dv = g.copy()
        dv_rows = dv.reshape(G * C, B)
        rows = values.reshape(G * C, B)
        ds_all = np.zeros((G * N, B), dtype=values.dtype)
        # without responses the bias gradient dz equals ds, so one buffer serves both
        dz_all = ds_all if net.response is None else np.zeros((G * N, B), dtype=values.dtype)
        weight_t = np.swapaxes(weight, 1, 2)
        saved = iter(reversed(pre))
        with np.errstate(all="ignore"):
            for level in reversed(net.levels):
                ds = np.zeros((G * N, B), dtype=values.dtype)
                for _, df, nodes, at in reversed(level.groups):
                    dz = dv_rows[at] * df(next(saved), rows[at])
                    if net.response is None:
                        ds[nodes] = dz
                    else:
                        dz_all[nodes] = dz
                        ds[nodes] = dz * net.response[nodes]
                ds_all += ds
                dv += np.matmul(weight_t, ds.reshape(G, N, B))
            ds_all = ds_all.reshape(G, N, B)
            need_x, need_w, need_b, need_prev, need_rec = ctx.needs_input_grad[:5]
            ff_mask, rec_mask = net.masks()
            grad_w = np.matmul(ds_all, np.swapaxes(values, 1, 2)) * ff_mask if need_w else None
            grad_b = dz_all.reshape(G, N, B).sum(axis=2) if need_b else None
            grad_prev = grad_rec = None
            if prev is not None and weight_rec is not None:
                if need_prev:
                    grad_prev = np.matmul(np.swapaxes(weight_rec, 1, 2), ds_all)
                if need_rec:
                    grad_rec = np.matmul(ds_all, np.swapaxes(prev, 1, 2)) * rec_mask
        grad_x = None
        if need_x:
            grad_x = np.swapaxes(dv[:, :I], 1, 2)
            if ctx.shared_x:
                grad_x = grad_x.sum(axis=0, keepdims=True)
        return grad_x, grad_w, grad_b, grad_prev, grad_rec


class BatchedNetwork(Module):
    """The trainable networks of G genomes of equal padded size N, evaluated together.

    Shapes: input ``(G, B, inputs)`` -> ``(G, B, outputs)``; a sequence ``(G, B, T, inputs)`` ->
    ``(G, B, T, outputs)``, one pass per time step (delay-1 edges read the previous step). A leading
    dimension of 1 instead of G feeds the same data to every genome. Parameters: ``weight``
    ``(G, N, C)`` (like ``nn.Linear``: out, in; C = inputs + N), ``weight_rec`` ``(G, N, C)`` for
    recurrent genomes, ``bias`` ``(G, N)``.
    """

    def __init__(self, table: GenomeTable, s: Structure, genomes: np.ndarray, size: int, recurrent: bool,
                 conns: np.ndarray, genes: np.ndarray, dtype=ottorch.float32) -> None:
        super().__init__()
        np_dtype = ottorch._dtype.to_numpy(dtype)
        G, I, N = len(genomes), table.num_inputs, size
        self.genomes = genomes
        self.num_inputs, self.num_outputs, self.size = I, table.num_outputs, size
        self.is_recurrent = recurrent
        if G == len(table):  # genomes are all of the table, in order
            local = np.arange(G)
        else:
            local = np.zeros(len(table), dtype=np.int64)
            local[genomes] = np.arange(G)
        self.conn_index = conns
        self.conn_at = (local[table.c_row[conns]], s.dst_pos[conns], s.src_col[conns])
        self.conn_rec = table.c_rec[conns]
        self.node_index = genes
        self.node_at = (local[table.n_row[genes]], s.position[genes])

        shape = (G, N, I + N)
        w = np.zeros(shape, dtype=np_dtype)
        self.weight_rec = None
        if recurrent:
            ff = ~self.conn_rec
            wr = np.zeros(shape, dtype=np_dtype)
            wr[tuple(a[~ff] for a in self.conn_at)] = table.c_weight[conns[~ff]]
            w[tuple(a[ff] for a in self.conn_at)] = table.c_weight[conns[ff]]
            self.weight_rec = Parameter(_make(wr, False, None))
        else:
            w[self.conn_at] = table.c_weight[conns]
        self.weight = Parameter(_make(w, False, None))
        b = np.zeros((G, N), dtype=np_dtype)
        b[self.node_at] = table.n_bias[genes]
        self.bias = Parameter(_make(b, False, None))
        self._masks: tuple[np.ndarray, np.ndarray | None] | None = None
        self.response = None  # multiplying by a response of 1.0 changes no bit, so all-ones is skipped
        responses = table.n_response[genes]
        if (responses != 1.0).any():
            response = np.ones((G, N), dtype=np_dtype)
            response[self.node_at] = responses
            self.response = response.reshape(G * N, 1)

        #: Per node of ``node_at``: its depth level, activation and aggregation (indices of
        #: ``config.ACTIVATIONS`` / ``config.AGGREGATIONS``; ``forward`` computes sums only).
        self.node_depth, self.node_act, self.node_agg = s.node_depth[genes], table.n_act[genes], table.n_agg[genes]
        # Levels: nodes sorted by (depth, activation); each run of equal keys is one group.
        flat = self.node_at[0] * N + self.node_at[1]
        key = self.node_depth * len(_FUNCTIONS) + self.node_act
        order = np.lexsort((flat, key))
        flat, key = flat[order], key[order]
        rows = flat // N * (I + N) + I + flat % N
        cuts = (np.flatnonzero(key[1:] != key[:-1]) + 1).tolist()
        levels: dict[int, list] = {}
        for lo, hi in zip([0, *cuts], [*cuts, len(key)]):
            depth, act = divmod(int(key[lo]), len(_FUNCTIONS))
            levels.setdefault(depth, []).append((*_FUNCTIONS[act], flat[lo:hi], rows[lo:hi]))
        self.levels = [Level(tuple(levels[d])) for d in sorted(levels)]

    def masks(self) -> tuple[np.ndarray, np.ndarray | None]:
        """1 where a feed-forward / recurrent connection exists, else 0: (G, N, C) each."""
        if self._masks is None:
            shape = self.weight.shape
            ff_mask = np.zeros(shape, dtype=self.weight.detach().numpy().dtype)
            rec_mask = None
            if self.weight_rec is None:
                ff_mask[self.conn_at] = 1
            else:
                ff = ~self.conn_rec
                ff_mask[tuple(a[ff] for a in self.conn_at)] = 1
                rec_mask = np.zeros_like(ff_mask)
                rec_mask[tuple(a[~ff] for a in self.conn_at)] = 1
            self._masks = ff_mask, rec_mask
        return self._masks

    @property
    def num_genomes(self) -> int:
        return len(self.genomes)

    def forward(self, x: Tensor) -> Tensor:
        if x.ndim not in (3, 4) or x.shape[-1] != self.num_inputs or x.shape[0] not in (1, self.num_genomes):
            raise ValueError(
                f"batched network of {self.num_genomes} genomes: expected input (G or 1, B, {self.num_inputs}) or "
                f"(G or 1, B, T, {self.num_inputs}) with G = {self.num_genomes}, got {list(x.shape)}")
        if self.node_agg.any():
            raise ValueError("a batched network computes sums only; compile nodes with other aggregations with "
                             "compile_table(..., sum_only=True) and evaluate those genomes one at a time")
        if x.dtype != self.weight.dtype:
            x = x.type(self.weight.dtype)
        if x.ndim == 3:
            return BatchStep.apply(x, self.weight, self.bias, None, self.weight_rec, net=self, outputs_only=True)
        outputs, prev = [], None
        lo, hi = self.num_inputs, self.num_inputs + self.num_outputs
        for t in range(x.shape[2]):
            prev = BatchStep.apply(x[:, :, t], self.weight, self.bias, prev if self.is_recurrent else None,
                                   self.weight_rec, net=self)
            outputs.append(prev[:, lo:hi])
        return stack(outputs, dim=3).permute(0, 2, 3, 1)

    def parameters_to_train(self, biases: bool) -> list[Parameter]:
        """The stacked parameters fine-tuning updates."""
        params = [self.weight] if self.weight_rec is None else [self.weight, self.weight_rec]
        return params + [self.bias] if biases else params

    def export(self) -> tuple[np.ndarray, np.ndarray]:
        """Trained values in table order: weights of ``conn_index`` and biases of ``node_index`` (float64)."""
        w = np.empty(len(self.conn_index))
        ff = ~self.conn_rec
        w[ff] = self.weight.detach().numpy()[tuple(a[ff] for a in self.conn_at)]
        if self.weight_rec is not None:
            w[~ff] = self.weight_rec.detach().numpy()[tuple(a[~ff] for a in self.conn_at)]
        return w, self.bias.detach().numpy()[self.node_at].astype(np.float64)


def estimate_bytes(num_inputs: int, size: int, recurrent: bool, samples: int, itemsize: int = 4) -> int:
    """Bytes one genome of padded ``size`` needs while training on ``samples`` (batch x time steps):
    parameters with gradient, optimizer state and mask, and the saved and temporary buffers of a pass."""
    columns = num_inputs + size
    params = columns * size * (2 if recurrent else 1) * 5
    buffers = samples * (columns + size) * 4
    return (params + buffers) * itemsize

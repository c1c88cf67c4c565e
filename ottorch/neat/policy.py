"""Genome networks as controllers, stepped one observation at a time: many genomes at once on float64
arrays (``BatchedPolicy``), or one genome on Python floats (``FloatPolicy``), with the same bits.

Simulators call a controller once per time step, so per-call cost decides their speed. With many
episodes running (a population, or the 625 start states of a generalisation test) one numpy pass over
all of them is cheapest; with a handful left, numpy's per-call cost is ~20x a Python float network's.
A simulator therefore steps its episodes as arrays and hands the last few over to floats mid-episode.
That is exact because both compute the same IEEE operations in the same order:

- a node's input is summed over its sources in column order (inputs, then outputs, then hidden
  nodes by id; feed-forward sources before delayed ones), starting from the first term: the arrays
  add the columns any node of a depth level reads with ``np.add.accumulate``, strictly left to right,
  and an absent connection adds 0, which changes no bit of a non-zero sum;
- a node that aggregates by anything but a sum runs the same numpy function (``aggregations.py``) on
  both sides, on its terms as one row; padding changes no bit (it multiplies by 1.0, adds 0.0, or
  sorts after every term);
- activations and trigonometry use numpy's functions on both sides, unless the ``math`` module's give
  the same bits on this machine (``scalar_twin``): numpy has its own SIMD ``tanh``, for example.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np

import ottorch
from ottorch.neat.activations import ACTIVATION_FUNCTIONS
from ottorch.neat.aggregations import AGGREGATION_FUNCTIONS
from ottorch.neat.batched import BatchedNetwork, compile_table
from ottorch.neat.config import ACTIVATIONS, AGGREGATIONS
from ottorch.neat.genome import Genome
from ottorch.neat.table import GenomeTable

_ARRAY_ACTIVATIONS = [ACTIVATION_FUNCTIONS[name][0] for name in ACTIVATIONS]
_ARRAY_AGGREGATIONS = [AGGREGATION_FUNCTIONS[name][0] for name in AGGREGATIONS]


def scalar_twin(array_fn: Callable, math_fn: Callable) -> Callable[[float], float]:
    """A function of one Python float that gives ``array_fn``'s bits: ``math_fn`` when it agrees with
    ``array_fn`` on a probe of 4,096 values over six decades (numpy may use its own SIMD code, which
    differs in the last bit on ~30% of values), else ``array_fn`` on the single value (~1 us slower)."""
    probe = np.random.default_rng(0).standard_normal(4096) * np.logspace(-3, 3, 4096)
    if np.array_equal(array_fn(probe), np.array([math_fn(v) for v in probe.tolist()])):
        return math_fn
    return lambda v: float(array_fn(v))


sin = scalar_twin(np.sin, math.sin)
cos = scalar_twin(np.cos, math.cos)
_tanh = scalar_twin(np.tanh, math.tanh)


def _sigmoid(z: float) -> float:
    return 0.5 * (_tanh(2.5 * z) + 1.0)  # activations._sigmoid, operation for operation


def _scalar_activation(index: int) -> Callable[[float], float]:
    name = ACTIVATIONS[index]
    if name == "sigmoid":
        return _sigmoid
    if name == "tanh":
        return lambda z: _tanh(2.5 * z)
    if name == "identity":
        return lambda z: z
    f = _ARRAY_ACTIVATIONS[index]
    # on a one-element array, not a numpy scalar: ``z ** 2`` of an array squares, of a scalar calls pow()
    return lambda z: float(f(np.array([z]))[0])


_SCALAR_ACTIVATIONS = [_scalar_activation(i) for i in range(len(ACTIVATIONS))]


def _scalar_aggregation(index: int) -> Callable[[list[float]], float] | None:
    """The aggregation of a list of terms (None for a sum, which the float policy adds inline)."""
    if index == 0:
        return None
    f = _ARRAY_AGGREGATIONS[index]
    return lambda terms: float(f(np.array([terms], dtype=np.float64), np.ones((1, len(terms)), dtype=bool))[0])


_SCALAR_AGGREGATIONS = [_scalar_aggregation(i) for i in range(len(AGGREGATIONS))]


class BatchedPolicy:
    """The networks of ``len(genomes)`` genomes, each run in ``lanes`` independent episodes at once.

    ``policy(obs)`` takes observations ``(L, inputs)`` (lane ``g * lanes + e`` is genome g's episode e)
    and returns the outputs ``(L, outputs)``; delay-1 edges read the lane's previous call, zeros at
    the start. ``keep(mask)`` drops finished lanes; ``lane_genome`` maps each lane left to its index
    in ``genomes`` (indices into the compiled table). ``float_policy(lane)`` continues one lane on
    Python floats with its recurrent state. Networks of different padded sizes are merged into one
    set of lanes, padded to the largest.
    """

    def __init__(self, networks: Sequence[BatchedNetwork], lanes: int = 1) -> None:
        if not networks:
            raise ValueError("a BatchedPolicy needs at least one network")
        first = networks[0]
        I, O = first.num_inputs, first.num_outputs
        N = max(net.size for net in networks)
        C = I + N
        self.recurrent = any(net.is_recurrent for net in networks)
        K = 2 * C if self.recurrent else C
        G = sum(net.num_genomes for net in networks)
        weight = np.zeros((G, N, K))
        present = np.zeros((G, N, K), dtype=bool)
        bias = np.zeros((G, N))
        response = np.ones((G, N))
        depth = np.zeros((G, N), dtype=np.int64)  # 0: padding, or not evaluated
        act = np.zeros((G, N), dtype=np.int64)
        agg = np.zeros((G, N), dtype=np.int64)
        at = 0
        for net in networks:
            g, n = net.num_genomes, net.size
            # a padded network's columns are its inputs then its n nodes; here they are spread to C
            cols = np.r_[np.arange(I), I + np.arange(n)]
            ff_mask, rec_mask = net.masks()
            rows = slice(at, at + g)
            weight[rows, :n, cols] = net.weight.detach().numpy()
            present[rows, :n, cols] = ff_mask != 0
            if net.weight_rec is not None:
                weight[rows, :n, C + cols] = net.weight_rec.detach().numpy()
                present[rows, :n, C + cols] = rec_mask != 0
            bias[rows, :n] = net.bias.detach().numpy()
            if net.response is not None:
                response[rows, :n] = net.response.reshape(g, n)
            local, position = net.node_at
            depth[at + local, position] = net.node_depth
            act[at + local, position] = net.node_act
            agg[at + local, position] = net.node_agg
            at += g
        self.genomes = np.concatenate([net.genomes for net in networks])
        self.num_inputs, self.num_outputs, self.columns = I, O, C
        self.lane_genome = np.repeat(np.arange(G), lanes)
        self._weight, self._present = weight, present
        self._bias, self._depth, self._act, self._agg = bias, depth, act, agg
        self._response = None if (response == 1.0).all() else response
        self._buffer = np.zeros((len(self.lane_genome), K))
        self._index_lanes()

    @classmethod
    def from_genome(cls, genome: Genome, net=None, lanes: int = 1) -> BatchedPolicy:
        """``genome``'s network in ``lanes`` episodes, with its own float64 weights, or with ``net``'s
        (possibly trained) weights and biases when given (a ``GenomeNetwork``). Raises ``ValueError``
        when the genome cannot be compiled."""
        table = GenomeTable.from_genomes([genome])
        if net is not None:
            weights, biases = net.export()
            table.c_weight = np.array([weights.get(int(i), w) for i, w in zip(table.c_innov, table.c_weight)])
            table.n_bias = np.array([biases.get(int(i), b) for i, b in zip(table.n_id, table.n_bias)])
        networks, errors, _ = compile_table(table, dtype=ottorch.float64)
        if errors:
            raise ValueError(errors[0])
        return cls(networks, lanes)

    def _index_lanes(self) -> None:
        """Per depth level, the (lane, node) pairs it computes and their terms: the columns any of them
        reads, weights and presence (columns, pairs), biases, responses, activation groups and the
        groups of pairs that do not sum their terms."""
        g = self.lane_genome
        depth, act, agg = self._depth[g], self._act[g], self._agg[g]
        self.levels = []
        for d in np.unique(depth[depth > 0]).tolist():
            lane, node = np.nonzero(depth == d)
            genome = g[lane]
            present = self._present[genome, node]
            cols = np.flatnonzero(present.any(axis=0))
            weight = np.ascontiguousarray(self._weight[genome, node][:, cols].T)
            response = None if self._response is None else self._response[genome, node]
            kinds = act[lane, node]
            groups = [(_ARRAY_ACTIVATIONS[a], kinds == a) for a in np.unique(kinds).tolist()]
            combine = agg[lane, node]
            aggregated = [(_ARRAY_AGGREGATIONS[a], combine == a) for a in np.unique(combine).tolist() if a != 0]
            self.levels.append((cols[:, None], lane, self.num_inputs + node, weight,
                                np.ascontiguousarray(present[:, cols].T), self._bias[genome, node], response, groups,
                                aggregated))

    def __len__(self) -> int:
        return len(self.lane_genome)

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        buffer, I, C = self._buffer, self.num_inputs, self.columns
        if obs.shape != (len(buffer), I):
            raise ValueError(f"expected observations of shape ({len(buffer)}, {I}), got {obs.shape}")
        buffer[:, :I] = obs
        with np.errstate(all="ignore"):
            for cols, lane, col, weight, present, bias, response, groups, aggregated in self.levels:
                # each node's input summed strictly left to right over its columns (accumulate fixes the
                # order; a sum may add pairwise); an absent connection adds exactly 0, not 0 * value,
                # which is NaN for an infinite value
                if len(cols):
                    terms = weight * buffer[lane, cols]
                    z = np.add.accumulate(np.where(present, terms, 0.0), axis=0)[-1]
                else:  # nothing connected at this level: the float sum's 0.0
                    terms, z = np.zeros((0, len(lane))), np.zeros(len(lane))
                for f, where in aggregated:
                    z[where] = f(terms[:, where].T, present[:, where].T)
                if response is not None:
                    z = z * response
                z = z + bias
                if len(groups) == 1:
                    buffer[lane, col] = groups[0][0](z)
                else:
                    values = np.empty_like(z)
                    for f, where in groups:
                        values[where] = f(z[where])
                    buffer[lane, col] = values
        if self.recurrent:
            buffer[:, C:] = buffer[:, :C]
        return buffer[:, I:I + self.num_outputs].copy()

    def keep(self, mask: np.ndarray) -> None:
        """Keep only the lanes where ``mask`` is true (in order)."""
        self.lane_genome = self.lane_genome[mask]
        self._buffer = self._buffer[mask]
        self._index_lanes()

    def float_policy(self, lane: int) -> FloatPolicy:
        """Lane ``lane`` continued on Python floats: same outputs, bit for bit, from the same state."""
        g = self.lane_genome[lane]
        program = []
        for d in np.unique(self._depth[g][self._depth[g] > 0]).tolist():
            for node in np.flatnonzero(self._depth[g] == d).tolist():
                sources = np.flatnonzero(self._present[g, node])
                terms = tuple(zip(sources.tolist(), self._weight[g, node, sources].tolist()))
                response = 1.0 if self._response is None else float(self._response[g, node])
                program.append((self.num_inputs + node, terms, float(self._bias[g, node]), response,
                                _SCALAR_ACTIVATIONS[int(self._act[g, node])],
                                _SCALAR_AGGREGATIONS[int(self._agg[g, node])]))
        policy = FloatPolicy(program, self.num_inputs, self.num_outputs, self.columns, self.recurrent)
        policy.buffer[:] = self._buffer[lane].tolist()
        return policy


class FloatPolicy:
    """One genome's network on Python floats, one observation per call: ``policy(obs)`` takes
    ``num_inputs`` floats and returns the list of outputs; delay-1 edges read the previous call's node
    values, zeros after ``reset()``. Build it with ``FloatPolicy.from_genome`` or
    ``BatchedPolicy.float_policy``; it computes ``BatchedPolicy``'s bits (1-2 us per call for the small
    networks control tasks evolve)."""

    def __init__(self, program: list, num_inputs: int, num_outputs: int, columns: int, recurrent: bool) -> None:
        self._program = program
        self.num_inputs, self.num_outputs = num_inputs, num_outputs
        self._columns, self._recurrent = columns, recurrent
        #: Node values of this call, then (recurrent networks) those of the previous call.
        self.buffer = [0.0] * (2 * columns if recurrent else columns)

    @classmethod
    def from_genome(cls, genome: Genome, net=None) -> FloatPolicy:
        """The network of ``genome`` (see ``BatchedPolicy.from_genome``)."""
        return BatchedPolicy.from_genome(genome, net).float_policy(0)

    def reset(self) -> None:
        """Forget the recurrent state (the next call sees zeros on delayed edges)."""
        self.buffer[:] = [0.0] * len(self.buffer)

    def __call__(self, obs: Sequence[float]) -> list[float]:
        I = self.num_inputs
        if len(obs) != I:
            raise ValueError(f"expected {I} observation values, got {len(obs)}")
        buffer = self.buffer
        buffer[:I] = obs
        for col, terms, bias, response, act, aggregate in self._program:
            if aggregate is None:
                s = 0.0
                for j, w in terms:
                    s += w * buffer[j]
            else:
                s = aggregate([w * buffer[j] for j, w in terms])
            buffer[col] = act(s * response + bias)
        if self._recurrent:
            buffer[self._columns:] = buffer[:self._columns]
        return buffer[I:I + self.num_outputs]

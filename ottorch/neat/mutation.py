"""Mutation operators: pure functions of (pool, config, rng[, tracker]) that edit a pool in place.

Attribute mutations (weights, biases, responses, activations, aggregations, enable flags) run vectorised over
every gene of the pool at once. Structural mutations (add/delete node, add/delete connection) edit one
genome at a time as Python lists (``GeneLists``); they are rare (a few percent of offspring), and
the pool's tables are rebuilt once for all of them.
All randomness comes from the ``numpy.random.Generator`` passed in.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass

import numpy as np

from ottorch.neat.config import RANDOM_DEFAULTS, GenomeConfig
from ottorch.neat.innovation import InnovationTracker
from ottorch.neat.pool import _ACT_INDEX, _AGG_INDEX, GenePool, segment_index


def init_values(rng: np.random.Generator, shape, mean: float, stdev: float, kind: str,
                low: float, high: float) -> np.ndarray:
    """Fresh attribute values: Gaussian (clipped) or uniform over mean +- 2 stdev (neat-python's rule).
    ``shape=None`` gives one Python float (the same draw, without numpy's per-call overhead)."""
    if kind == "uniform":
        lo, hi = max(low, mean - 2 * stdev), min(high, mean + 2 * stdev)
        return rng.uniform(lo, hi, shape)
    value = rng.normal(mean, stdev, shape)
    return min(max(value, low), high) if shape is None else np.clip(value, low, high)


def _mutate_values(values: np.ndarray, chosen: np.ndarray, rng: np.random.Generator, replace_rate: float,
                   power: float, fresh) -> np.ndarray:
    """Perturb the ``chosen`` genes by N(0, power), or replace some of them with ``fresh(n)``."""
    replace = chosen & (rng.random(len(values)) < replace_rate)
    perturb = chosen & ~replace
    out = values + perturb * rng.normal(0.0, power, len(values)) if power else values.copy()
    return np.where(replace, fresh(len(values)), out)


def _chosen(rng: np.random.Generator, rows: np.ndarray, n_rows: int, rate: float, per_genome: bool) -> np.ndarray:
    """Which genes mutate: those of whole genomes chosen with probability ``rate`` (NEAT paper), or
    each gene on its own."""
    if per_genome:
        return (rng.random(n_rows) < rate)[rows]
    return rng.random(len(rows)) < rate


def mutate_weights(pool: GenePool, cfg: GenomeConfig, rng: np.random.Generator) -> None:
    """Connection weights of every genome in ``pool``: with ``weight_mutate_rate`` a genome (or gene)
    mutates; each mutating weight is perturbed, or replaced with probability ``weight_replace_rate``."""
    chosen = _chosen(rng, pool.c_row, len(pool), cfg.weight_mutate_rate, cfg.mutate_per_genome)
    fresh = lambda n: init_values(rng, n, cfg.weight_init_mean, cfg.weight_init_stdev,  # noqa: E731
                                  cfg.weight_init_type, cfg.weight_min_value, cfg.weight_max_value)
    w = _mutate_values(pool.c_weight, chosen, rng, cfg.weight_replace_rate, cfg.weight_mutate_power, fresh)
    pool.c_weight = np.clip(w, cfg.weight_min_value, cfg.weight_max_value)


def mutate_biases(pool: GenePool, cfg: GenomeConfig, rng: np.random.Generator) -> None:
    chosen = _chosen(rng, pool.n_row, len(pool), cfg.bias_mutate_rate, cfg.mutate_per_genome)
    fresh = lambda n: init_values(rng, n, cfg.bias_init_mean, cfg.bias_init_stdev,  # noqa: E731
                                  cfg.bias_init_type, cfg.bias_min_value, cfg.bias_max_value)
    b = _mutate_values(pool.n_bias, chosen, rng, cfg.bias_replace_rate, cfg.bias_mutate_power, fresh)
    pool.n_bias = np.clip(b, cfg.bias_min_value, cfg.bias_max_value)


def mutate_responses(pool: GenePool, cfg: GenomeConfig, rng: np.random.Generator) -> None:
    if cfg.response_mutate_rate == 0:
        return
    chosen = _chosen(rng, pool.n_row, len(pool), cfg.response_mutate_rate, cfg.mutate_per_genome)
    fresh = lambda n: init_values(rng, n, cfg.response_init_mean, cfg.response_init_stdev,  # noqa: E731
                                  cfg.response_init_type, cfg.response_min_value, cfg.response_max_value)
    r = _mutate_values(pool.n_response, chosen, rng, cfg.response_replace_rate, cfg.response_mutate_power, fresh)
    pool.n_response = np.clip(r, cfg.response_min_value, cfg.response_max_value)


def mutate_activations(pool: GenePool, cfg: GenomeConfig, rng: np.random.Generator, num_outputs: int) -> None:
    """Each node switches, with ``activation_mutate_rate``, to a random choice of ``activation_options``
    (output nodes are left alone when ``output_activation`` pins them)."""
    if cfg.activation_mutate_rate == 0 or len(cfg.activation_options) < 2:
        return
    change = rng.random(len(pool.n_act)) < cfg.activation_mutate_rate
    if cfg.output_activation is not None:
        change &= pool.n_id >= num_outputs
    options = np.array([_ACT_INDEX[a] for a in cfg.activation_options], dtype=pool.n_act.dtype)
    pool.n_act = np.where(change, options[rng.integers(0, len(options), len(change))], pool.n_act)


def mutate_aggregations(pool: GenePool, cfg: GenomeConfig, rng: np.random.Generator) -> None:
    """Each node switches, with ``aggregation_mutate_rate``, to a random choice of ``aggregation_options``."""
    if cfg.aggregation_mutate_rate == 0 or len(cfg.aggregation_options) < 2:
        return
    change = rng.random(len(pool.n_agg)) < cfg.aggregation_mutate_rate
    options = np.array([_AGG_INDEX[a] for a in cfg.aggregation_options], dtype=pool.n_agg.dtype)
    pool.n_agg = np.where(change, options[rng.integers(0, len(options), len(change))], pool.n_agg)


def mutate_enabled(pool: GenePool, cfg: GenomeConfig, rng: np.random.Generator) -> None:
    """Flip the enabled flag of each connection gene with ``enabled_mutate_rate``, plus
    ``enabled_rate_to_false_add`` for an enabled gene or ``enabled_rate_to_true_add`` for a disabled one."""
    on = cfg.enabled_mutate_rate + cfg.enabled_rate_to_false_add
    off = cfg.enabled_mutate_rate + cfg.enabled_rate_to_true_add
    if on == 0 and off == 0:
        return
    rate = np.where(pool.c_enabled, on, off) if on != off else on
    pool.c_enabled = pool.c_enabled ^ (rng.random(len(pool.c_enabled)) < rate)


def new_node_functions(cfg: GenomeConfig, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Activation and aggregation indices of ``n`` new nodes: the defaults, or draws from the options
    where a default is "random" (no draw otherwise, so other configs keep their random streams)."""
    functions = []
    for default, options, index in ((cfg.activation_default, cfg.activation_options, _ACT_INDEX),
                                    (cfg.aggregation_default, cfg.aggregation_options, _AGG_INDEX)):
        if default in RANDOM_DEFAULTS:
            choices = np.array([index[name] for name in options], dtype=np.int16)
            functions.append(choices[rng.integers(0, len(choices), n)])
        else:
            functions.append(np.full(n, index[default], dtype=np.int16))
    return functions[0], functions[1]


# ----------------------------------------------------------------------------- structure


@dataclass(slots=True)
class GeneLists:
    """One genome's genes as editable lists: structural mutations edit these, and the pool is
    rebuilt once for all edited genomes (``GenePool.with_rows``)."""

    innovs: list[int]
    weights: list[float]
    enabled: list[bool]
    nodes: list[int]
    biases: list[float]
    responses: list[float]
    acts: list[int]
    aggs: list[int]

    @classmethod
    def of(cls, pool: GenePool, row: int) -> GeneLists:
        return cls.rows_of(pool, [row])[0]

    @classmethod
    def rows_of(cls, pool: GenePool, rows: list[int]) -> list[GeneLists]:
        """The genes of each of ``rows``; the rows' genes become Python lists once, not once per row."""
        rows = np.asarray(rows, dtype=np.int64)
        columns = []
        for which, names in (("c", ("c_innov", "c_weight", "c_enabled")),
                             ("n", ("n_id", "n_bias", "n_response", "n_act", "n_agg"))):
            starts = pool.starts(which)
            sizes = starts[rows + 1] - starts[rows]
            index = segment_index(starts[rows], sizes)
            bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
            columns.append((bounds, [getattr(pool, name)[index].tolist() for name in names]))
        (cb, (innov, weight, enabled)), (nb, (node, bias, response, act, agg)) = columns
        return [cls(innov[c0:c1], weight[c0:c1], enabled[c0:c1], node[n0:n1], bias[n0:n1], response[n0:n1],
                    act[n0:n1], agg[n0:n1])
                for c0, c1, n0, n1 in zip(cb, cb[1:], nb, nb[1:])]

    def edges(self, tracker: InnovationTracker) -> list[tuple[int, int, bool]]:
        """``(in, out, recurrent)`` of each connection gene, in list order."""
        conn_in, conn_out, recurrent = tracker.conn_in, tracker.conn_out, tracker.conn_recurrent
        return [(conn_in[i], conn_out[i], recurrent[i]) for i in self.innovs]

    def add_connection_gene(self, innovation: int, weight: float) -> None:
        self.innovs.append(innovation)
        self.weights.append(weight)
        self.enabled.append(True)

    def remove_connections(self, keep: list[bool]) -> None:
        for name in ("innovs", "weights", "enabled"):
            setattr(self, name, [v for v, k in zip(getattr(self, name), keep) if k])

    def remove_nodes(self, gone: set[int]) -> None:
        keep = [n not in gone for n in self.nodes]
        for name in ("nodes", "biases", "responses", "acts", "aggs"):
            setattr(self, name, [v for v, k in zip(getattr(self, name), keep) if k])


def creates_cycle(edges: list[tuple[int, int]], in_node: int, out_node: int) -> bool:
    """Whether adding ``in_node -> out_node`` to the feed-forward ``edges`` closes a cycle."""
    if in_node == out_node:
        return True
    successors: dict[int, list[int]] = {}
    for a, b in edges:
        successors.setdefault(a, []).append(b)
    stack, seen = [out_node], {out_node}
    while stack:
        node = stack.pop()
        for nxt in successors.get(node, ()):
            if nxt == in_node:
                return True
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return False


def add_node(g: GeneLists, cfg: GenomeConfig, rng: np.random.Generator, tracker: InnovationTracker) -> bool:
    """Split a random enabled connection: it is disabled, the new node gets an in-edge of weight 1
    and an out-edge with the old weight, so the network computes nearly the same function. Without an
    enabled connection, a "surer" config adds a connection instead."""
    candidates = [i for i, on in enumerate(g.enabled) if on]
    if not candidates:
        return _surer(cfg) and add_connection(g, cfg, rng, tracker)
    i = candidates[int(rng.integers(len(candidates)))]
    node, innov_in, innov_out = tracker.split(g.innovs[i])
    g.enabled[i] = False
    g.nodes.append(node)
    g.biases.append(0.0)
    g.responses.append(cfg.response_init_mean)
    act, agg = new_node_functions(cfg, rng, 1)
    g.acts.append(int(act[0]))
    g.aggs.append(int(agg[0]))
    g.add_connection_gene(innov_in, 1.0)
    g.add_connection_gene(innov_out, g.weights[i])
    return True


def add_connection(g: GeneLists, cfg: GenomeConfig, rng: np.random.Generator, tracker: InnovationTracker) -> bool:
    """Connect a random source (input, hidden, or output unless ``output_sources`` is off) to a random
    hidden or output node.

    An existing gene is enabled instead when the config is "surer" (else nothing changes). An edge that
    would close a cycle is rejected in feed-forward genomes and becomes a recurrent (delay-1) edge
    otherwise.
    """
    if not g.nodes:
        return False
    sources = g.nodes if cfg.output_sources else [n for n in g.nodes if n >= tracker.num_outputs]
    source = int(rng.integers(tracker.num_inputs + len(sources)))  # inputs first, then the nodes
    in_node = -(source + 1) if source < tracker.num_inputs else sources[source - tracker.num_inputs]
    out_node = g.nodes[int(rng.integers(len(g.nodes)))]
    conn_in, conn_out, conn_recurrent = tracker.conn_in, tracker.conn_out, tracker.conn_recurrent
    for i, innovation in enumerate(g.innovs):
        if conn_out[innovation] == out_node and conn_in[innovation] == in_node:
            if _surer(cfg):
                g.enabled[i] = True
            return _surer(cfg)
    # an input has no way in, so a new edge from it closes no cycle
    recurrent = in_node == out_node or (in_node >= 0 and creates_cycle(
        [(conn_in[i], conn_out[i]) for i in g.innovs if not conn_recurrent[i]], in_node, out_node))
    if recurrent and cfg.feed_forward:
        return False
    weight = float(init_values(rng, None, cfg.weight_init_mean, cfg.weight_init_stdev, cfg.weight_init_type,
                               cfg.weight_min_value, cfg.weight_max_value))
    g.add_connection_gene(tracker.connection(in_node, out_node, recurrent), weight)
    return True


def _surer(cfg: GenomeConfig) -> bool:
    if cfg.structural_mutation_surer == "default":
        return cfg.single_structural_mutation
    return cfg.structural_mutation_surer == "true"


def delete_connection(g: GeneLists, rng: np.random.Generator, tracker: InnovationTracker) -> bool:
    """Remove a random connection gene, then prune hidden nodes left dangling."""
    if not g.innovs:
        return False
    gone = int(rng.integers(len(g.innovs)))
    del g.innovs[gone], g.weights[gone], g.enabled[gone]
    prune_dangling(g, tracker)
    return True


def delete_node(g: GeneLists, rng: np.random.Generator, tracker: InnovationTracker) -> bool:
    """Remove a random hidden node with all its connections, then prune what is left dangling."""
    hidden = [n for n in g.nodes if n >= tracker.num_outputs]
    if not hidden:
        return False
    node = hidden[int(rng.integers(len(hidden)))]
    g.remove_nodes({node})
    g.remove_connections([node not in (a, b) for a, b, _ in g.edges(tracker)])
    prune_dangling(g, tracker)
    return True


def prune_dangling(g: GeneLists, tracker: InnovationTracker) -> None:
    """Drop hidden nodes without an incoming or an outgoing connection gene (and their genes),
    repeating until none is left, so deletions never leave dead structure behind."""
    while True:
        edges = [(a, b) for a, b, _ in g.edges(tracker) if a != b]  # self-loops are no way in or out
        has_in, has_out = {b for _, b in edges}, {a for a, _ in edges}
        gone = {n for n in g.nodes if n >= tracker.num_outputs and not (n in has_in and n in has_out)}
        if not gone:
            return
        g.remove_nodes(gone)
        g.remove_connections([a not in gone and b not in gone for a, b, _ in g.edges(tracker)])


def mutate(pool: GenePool, cfg: GenomeConfig, rng: np.random.Generator, tracker: InnovationTracker) -> GenePool:
    """All mutations of one generation's offspring (every row of ``pool``): structure genome by
    genome on editable lists, then the attributes of all genes at once. Returns the mutated pool."""
    probs = np.array([cfg.node_add_prob, cfg.conn_add_prob, cfg.node_delete_prob, cfg.conn_delete_prob])
    if cfg.single_structural_mutation:
        # neat-python: one draw picks at most one mutation, with probabilities scaled to add up to <= 1
        bounds = np.cumsum(probs) / max(1.0, probs.sum())
        pick = np.searchsorted(bounds, rng.random(len(pool)), side="right")
        happens = pick[:, None] == np.arange(4)
    else:
        happens = rng.random((len(pool), 4)) < probs
    rows = np.flatnonzero(happens.any(axis=1))
    # Many short-lived lists, none in a reference cycle: the cyclic garbage collector would scan them
    # again and again (two thirds of this loop's time at 50,000 genomes), so it waits until the end.
    collecting = gc.isenabled()
    gc.disable()
    try:
        edited = GeneLists.rows_of(pool, rows.tolist())
        for g, ops in zip(edited, happens[rows].tolist()):
            for op, on in zip(_STRUCTURAL, ops):
                if on:
                    op(g, cfg, rng, tracker)
        if edited:
            pool = pool.with_rows(rows, edited)
        del edited
    finally:
        if collecting:
            gc.enable()
    mutate_weights(pool, cfg, rng)
    mutate_biases(pool, cfg, rng)
    mutate_responses(pool, cfg, rng)
    mutate_activations(pool, cfg, rng, tracker.num_outputs)
    mutate_aggregations(pool, cfg, rng)
    mutate_enabled(pool, cfg, rng)
    return pool


_STRUCTURAL = (
    add_node,
    add_connection,
    lambda g, cfg, rng, tracker: delete_node(g, rng, tracker),
    lambda g, cfg, rng, tracker: delete_connection(g, rng, tracker),
)

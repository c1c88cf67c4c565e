"""The first generation: minimal genomes as the configuration's ``initial_connection`` describes."""

from __future__ import annotations

import numpy as np

from ottorch.neat.config import GenomeConfig
from ottorch.neat.innovation import InnovationTracker
from ottorch.neat.mutation import init_values, new_node_functions
from ottorch.neat.pool import _ACT_INDEX, GenePool


def _pairs(kind: str, inputs: list[int], hidden: list[int], outputs: list[int]) -> list[tuple[int, int]]:
    direct = [(i, o) for i in inputs for o in outputs]
    via_hidden = [(i, h) for i in inputs for h in hidden] + [(h, o) for h in hidden for o in outputs]
    if kind in ("full_direct", "partial_direct"):
        return via_hidden + direct
    if kind in ("full_nodirect", "partial_nodirect", "full"):
        return via_hidden if hidden else direct
    return []  # "unconnected", and the FS-NEAT modes, which pick their connections per genome


def initial_pool(size: int, cfg: GenomeConfig, rng: np.random.Generator, tracker: InnovationTracker,
                 first_key: int = 0) -> GenePool:
    """``size`` genomes sharing one topology (inputs, outputs, ``num_hidden`` hidden nodes and the
    initial connections), each with its own random weights and biases."""
    inputs = [-k for k in range(1, cfg.num_inputs + 1)]
    outputs = list(range(cfg.num_outputs))
    hidden = [tracker.next_node_id + i for i in range(cfg.num_hidden)]
    tracker.next_node_id += cfg.num_hidden
    kind, _, fraction = cfg.initial_connection.partition(" ")
    innovations = np.array(sorted(tracker.connection(a, b) for a, b in _pairs(kind, inputs, hidden, outputs)),
                           dtype=np.int64)
    rows = np.repeat(np.arange(size), len(innovations))
    innov = np.tile(innovations, size)
    if kind.startswith("partial"):
        keep = rng.random(len(innov)) < float(fraction or 0.5)
        rows, innov = rows[keep], innov[keep]
    elif kind == "fs_neat":
        # FS-NEAT: every genome starts with one random input connected to each output
        chosen = rng.integers(1, cfg.num_inputs + 1, (size, cfg.num_outputs))
        table = np.array([[row, tracker.connection(-int(chosen[row, o]), o)] for row in range(size)
                          for o in outputs], dtype=np.int64).reshape(-1, 2)
        table = table[np.lexsort((table[:, 1], table[:, 0]))]
        rows, innov = table[:, 0], table[:, 1]
    elif kind in ("fs_neat_nohidden", "fs_neat_hidden"):
        # neat-python's FS-NEAT: one random input per genome, connected to every output (and hidden node)
        chosen = rng.integers(1, cfg.num_inputs + 1, size)
        targets = outputs + (hidden if kind == "fs_neat_hidden" else [])
        table = np.array([[row, tracker.connection(-int(chosen[row]), t)] for row in range(size) for t in targets],
                         dtype=np.int64).reshape(-1, 2)
        table = table[np.lexsort((table[:, 1], table[:, 0]))]
        rows, innov = table[:, 0], table[:, 1]
    weights = init_values(rng, len(innov), cfg.weight_init_mean, cfg.weight_init_stdev, cfg.weight_init_type,
                          cfg.weight_min_value, cfg.weight_max_value)
    nodes = np.array(outputs + hidden, dtype=np.int64)
    acts, aggs = (a.reshape(size, len(nodes)) for a in new_node_functions(cfg, rng, size * len(nodes)))
    if cfg.output_activation is not None:
        acts[:, : len(outputs)] = _ACT_INDEX[cfg.output_activation]
    return GenePool(
        np.arange(first_key, first_key + size),
        c_row=rows, c_innov=innov, c_weight=weights, c_enabled=np.full(len(innov), cfg.enabled_default),
        n_row=np.repeat(np.arange(size), len(nodes)), n_id=np.tile(nodes, size),
        n_bias=init_values(rng, size * len(nodes), cfg.bias_init_mean, cfg.bias_init_stdev, cfg.bias_init_type,
                           cfg.bias_min_value, cfg.bias_max_value),
        n_response=_responses(rng, size * len(nodes), cfg), n_act=acts.ravel(), n_agg=aggs.ravel(),
    )


def _responses(rng: np.random.Generator, n: int, cfg: GenomeConfig) -> np.ndarray:
    """Initial node responses: drawn like biases when they vary (neat-python's response_init_*), else the
    mean, without a draw (so configs without varying responses keep their random streams)."""
    if cfg.response_init_stdev == 0:
        return np.full(n, cfg.response_init_mean)
    return init_values(rng, n, cfg.response_init_mean, cfg.response_init_stdev, cfg.response_init_type,
                       cfg.response_min_value, cfg.response_max_value)

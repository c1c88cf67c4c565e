"""Controllers stepped one observation at a time: ``BatchedPolicy`` on arrays and ``FloatPolicy`` on
floats give the same bits, whatever the genome (every activation and aggregation, recurrent edges,
overflowing nodes)."""

import math

import numpy as np
import pytest

import ottorch
from ottorch.neat import Population
from ottorch.neat.batch_eval import TableResults
from ottorch.neat.batched import compile_table
from ottorch.neat.config import ACTIVATIONS, AGGREGATIONS, GenomeConfig, NEATConfig
from ottorch.neat.phenotype import compile_genome
from ottorch.neat.policy import BatchedPolicy, FloatPolicy, scalar_twin


def mixed_table(seed=0, generations=5):
    """Recurrent genomes with hidden nodes of every activation and aggregation, after a few generations of
    mutation."""
    cfg = NEATConfig(pop_size=120, genome=GenomeConfig(
        num_inputs=3, num_outputs=2, feed_forward=False, activation_options=tuple(ACTIVATIONS),
        activation_mutate_rate=0.5, node_add_prob=0.5, conn_add_prob=0.8, aggregation_options=AGGREGATIONS,
        aggregation_mutate_rate=0.2))
    pop = Population(cfg, seed=seed)
    rng = np.random.default_rng(seed)
    for _ in range(generations):
        table, _ = pop.ask_table()
        results = TableResults.start(table, 0.0)
        results.fitness[:] = rng.random(len(table))
        pop.tell(results)
        pop.advance()
    return pop.ask_table()[0]


def test_float_policies_continue_lanes_bit_for_bit():
    table = mixed_table()
    networks, errors, _ = compile_table(table, dtype=ottorch.float64)
    assert not errors and len(networks) > 1  # several padded sizes, merged into one set of lanes
    policy = BatchedPolicy(networks, lanes=2)
    assert len(policy) == 2 * len(table) and sorted(policy.genomes.tolist()) == list(range(len(table)))
    obs = np.random.default_rng(1).normal(size=(16, len(policy), 3)) * 3
    with np.errstate(all="ignore"):
        for o in obs[:8]:
            policy(o)
        floats = [policy.float_policy(lane) for lane in range(len(policy))]
        for o in obs[8:]:
            out = policy(o)
            alone = np.array([f(row.tolist()) for f, row in zip(floats, o)])
            np.testing.assert_array_equal(out, alone)  # NaN where both overflowed
    assert np.isinf(out).any() or np.isnan(out).any()  # square and cube nodes did overflow somewhere


def test_keep_drops_lanes_and_from_genome_matches_the_table():
    table = mixed_table(seed=2, generations=2)
    networks, _, _ = compile_table(table, dtype=ottorch.float64)
    policy = BatchedPolicy(networks)
    obs = np.random.default_rng(3).normal(size=(6, len(policy), 3))
    policy(obs[0])
    mask = np.arange(len(policy)) % 3 != 0
    kept = policy.lane_genome[mask]
    policy.keep(mask)
    assert policy.lane_genome.tolist() == kept.tolist()
    out = policy(obs[1][mask])
    # a genome's own policy, fed the same observations from the start, gives the same outputs
    for lane in (0, 5, len(policy) - 1):
        genome_index = int(policy.genomes[policy.lane_genome[lane]])
        alone = FloatPolicy.from_genome(table.genome(genome_index))
        alone(obs[0][np.flatnonzero(mask | ~mask)[np.flatnonzero(mask)[lane]]].tolist())
        assert alone(obs[1][mask][lane].tolist()) == out[lane].tolist()
    with pytest.raises(ValueError, match="expected observations of shape"):
        policy(obs[2])
    with pytest.raises(ValueError, match="at least one network"):
        BatchedPolicy([])


def test_float_policy_uses_trained_weights_and_resets():
    table = mixed_table(seed=4, generations=1)
    genome = table.genome(0)
    net = compile_genome(genome)
    policy = FloatPolicy.from_genome(genome)
    first = policy([0.1, 0.2, 0.3])
    policy([0.3, 0.2, 0.1])
    policy.reset()
    assert policy([0.1, 0.2, 0.3]) == first
    net.bias.data[:] = 5.0
    assert FloatPolicy.from_genome(genome, net)([0.1, 0.2, 0.3]) != first
    with pytest.raises(ValueError, match="expected 3 observation values, got 2"):
        policy([0.0, 1.0])


def test_scalar_twin_gives_numpy_bits():
    for array_fn, math_fn in ((np.sin, math.sin), (np.cos, math.cos), (np.tanh, math.tanh)):
        twin = scalar_twin(array_fn, math_fn)
        x = np.random.default_rng(5).normal(size=2000) * 10
        assert np.array_equal(array_fn(x), np.array([twin(v) for v in x.tolist()]))
    # a "math" function that disagrees is replaced by numpy on one value
    assert scalar_twin(np.sin, lambda v: math.sin(v) + 1e-300 * 0 + 1e-17)(0.5) == float(np.sin(0.5))


def test_nodes_without_inputs_output_their_activated_bias():
    cfg = NEATConfig(pop_size=30, genome=GenomeConfig(num_inputs=2, num_outputs=2, initial_connection="unconnected"))
    table, _ = Population(cfg, seed=0).ask_table()
    networks, _, _ = compile_table(table, dtype=ottorch.float64)
    policy = BatchedPolicy(networks)
    out = policy(np.ones((len(policy), 2)))
    bias = np.array([table.genome(int(i)).nodes[0].bias for i in policy.genomes])
    np.testing.assert_array_equal(out[:, 0], 0.5 * (np.tanh(2.5 * bias) + 1.0))
    assert policy.float_policy(3)([1.0, 1.0]) == out[3].tolist()

"""NEAT operators: innovation tracking, each mutation, crossover and compatibility distance."""

from dataclasses import replace

import numpy as np
import pytest

from ottorch.neat import GenomeConfig, InnovationTracker
from ottorch.neat.crossover import crossover
from ottorch.neat.distance import distance, distance_matrix, distances, genes
from ottorch.neat.initial import initial_pool
from ottorch.neat.mutation import (
    GeneLists,
    add_connection,
    add_node,
    creates_cycle,
    delete_connection,
    delete_node,
    mutate,
    mutate_activations,
    mutate_biases,
    mutate_enabled,
    mutate_weights,
    prune_dangling,
)
from ottorch.neat.pool import GenePool


def make(n=4, **overrides):
    cfg = GenomeConfig(**{"num_inputs": 2, "num_outputs": 1, **overrides})
    tracker = InnovationTracker(cfg.num_inputs, cfg.num_outputs)
    pool = initial_pool(n, cfg, np.random.default_rng(0), tracker)
    return pool, cfg, tracker


def conns(pool, row, tracker):
    return {(c.in_node, c.out_node): c for c in pool.genome(row, tracker).connections.values()}


def edit(pool, row, op, *args):
    """Apply a structural operator to one genome and splice it back; returns (new pool, op result)."""
    g = GeneLists.of(pool, row)
    result = op(g, *args)
    return pool.with_rows(np.array([row]), [g]), result


def test_initial_population_is_minimal_and_shares_innovations():
    pool, cfg, tracker = make(3)
    for row in range(3):
        g = pool.genome(row, tracker)
        assert sorted(conns(pool, row, tracker)) == [(-2, 0), (-1, 0)]
        assert g.input_keys == [-1, -2] and g.output_keys == [0] and g.hidden_keys == []
    assert tracker.num_innovations == 2
    assert not np.allclose(pool.c_weight[pool.conn_slice(0)], pool.c_weight[pool.conn_slice(1)])  # own weights
    hidden_pool, _, hidden_tracker = make(2, num_hidden=2, initial_connection="full_nodirect")
    assert sorted(conns(hidden_pool, 0, hidden_tracker)) == [(-2, 1), (-2, 2), (-1, 1), (-1, 2), (1, 0), (2, 0)]
    none_pool, _, none_tracker = make(2, initial_connection="unconnected")
    assert conns(none_pool, 0, none_tracker) == {}
    fs_pool, _, fs_tracker = make(5, num_inputs=4, initial_connection="fs_neat")
    assert all(len(conns(fs_pool, r, fs_tracker)) == 1 for r in range(5))
    # neat-python's FS-NEAT modes: one input per genome, to every output (and, with _hidden, every hidden node)
    for kind, targets in (("fs_neat_nohidden", {0, 1}), ("fs_neat_hidden", {0, 1, 2, 3})):
        fs_pool, _, fs_tracker = make(6, num_inputs=4, num_outputs=2, num_hidden=2, initial_connection=kind)
        sources = set()
        for r in range(6):
            edges = conns(fs_pool, r, fs_tracker)
            assert {b for _, b in edges} == targets and len({a for a, _ in edges}) == 1
            sources |= {a for a, _ in edges}
        assert len(sources) > 1  # each genome draws its own input


def test_innovation_tracker_reuses_numbers_within_a_generation():
    tracker = InnovationTracker(2, 1)
    a = tracker.connection(-1, 0)
    assert tracker.connection(-1, 0) == a
    assert tracker.split(a) == tracker.split(a)
    node, i1, i2 = tracker.split(a)
    assert node == 1 and (tracker.conn_in[i1], tracker.conn_out[i1]) == (-1, 1)
    assert (tracker.conn_in[i2], tracker.conn_out[i2]) == (1, 0)
    tracker.new_generation()
    assert tracker.connection(-1, 0) != a  # a later generation's change gets a fresh number
    assert tracker.split(a)[0] == 2
    restored = InnovationTracker.from_state_dict(tracker.state_dict())
    assert restored.state_dict() == tracker.state_dict()


def test_add_node_splits_a_connection():
    pool, cfg, tracker = make(2)
    old = dict(conns(pool, 0, tracker))
    rng = np.random.default_rng(1)
    pool, ok = edit(pool, 0, add_node, cfg, rng, tracker)
    assert ok
    g = pool.genome(0, tracker)
    assert g.hidden_keys == [1]
    new = conns(pool, 0, tracker)
    split = [k for k, c in old.items() if not new[k].enabled]
    assert len(split) == 1
    src, dst = split[0]
    assert new[(src, 1)].weight == 1.0 and new[(1, dst)].weight == old[split[0]].weight
    # the same split in another genome of the same generation gets the same numbers
    pool, _ = edit(pool, 1, add_node, cfg, np.random.default_rng(1), tracker)
    assert pool.genome(1, tracker).hidden_keys == [1]
    assert set(pool.genome(1, tracker).connections) == set(g.connections)


def test_add_connection_feed_forward_and_recurrent():
    pool, cfg, tracker = make(1, num_hidden=1, initial_connection="full_nodirect")
    rng = np.random.default_rng(0)
    g = GeneLists.of(pool, 0)
    for _ in range(30):
        add_connection(g, cfg, rng, tracker)
    pool = pool.with_rows(np.array([0]), [g])
    assert not any(c.recurrent for c in pool.genome(0, tracker).connections.values())
    assert (-1, 0) in conns(pool, 0, tracker)  # a direct connection was added
    rpool, rcfg, rtracker = make(1, num_hidden=1, initial_connection="full_nodirect", feed_forward=False)
    rg = GeneLists.of(rpool, 0)
    for _ in range(40):
        add_connection(rg, rcfg, rng, rtracker)
    rpool = rpool.with_rows(np.array([0]), [rg])
    genome = rpool.genome(0, rtracker)
    recurrent = [c for c in genome.connections.values() if c.recurrent]
    forward = [(c.in_node, c.out_node) for c in genome.connections.values() if not c.recurrent]
    assert recurrent
    assert all(creates_cycle(forward, c.in_node, c.out_node) for c in recurrent)
    assert not any(creates_cycle([e for e in forward if e != (a, b)], a, b) for a, b in forward)


def test_creates_cycle():
    edges = [(-1, 2), (2, 3), (3, 0)]
    assert creates_cycle(edges, 0, 2) and creates_cycle(edges, 2, 2)
    assert not creates_cycle(edges, -1, 3) and not creates_cycle(edges, 2, 0)


def test_delete_connection_and_node_prune_dangling_nodes():
    pool, cfg, tracker = make(1)
    rng = np.random.default_rng(0)
    pool, _ = edit(pool, 0, add_node, cfg, rng, tracker)
    hidden = pool.genome(0, tracker).hidden_keys
    pool, ok = edit(pool, 0, delete_node, rng, tracker)
    g = pool.genome(0, tracker)
    assert ok and g.hidden_keys == [] and all(hidden[0] not in (c.in_node, c.out_node) for c in g.connections.values())
    pool, _ = edit(pool, 0, add_node, cfg, rng, tracker)
    node = pool.genome(0, tracker).hidden_keys[0]
    lists = GeneLists.of(pool, 0)
    lists.remove_connections([b != node for _, b, _ in lists.edges(tracker)])  # cut the way in
    prune_dangling(lists, tracker)
    assert node not in lists.nodes and all(node not in (a, b) for a, b, _ in lists.edges(tracker))
    before = len(pool.genome(0, tracker).connections)
    pool, ok = edit(pool, 0, delete_connection, rng, tracker)
    assert ok and len(pool.genome(0, tracker).connections) < before
    empty, _, empty_tracker = make(1, initial_connection="unconnected")
    lists = GeneLists.of(empty, 0)
    assert not delete_connection(lists, rng, empty_tracker) and not delete_node(lists, rng, empty_tracker)
    # without connections, a "surer" config adds a connection instead of a node; otherwise nothing changes
    assert not add_node(lists, replace(cfg, structural_mutation_surer="false"), rng, empty_tracker)
    assert not lists.innovs
    assert add_node(lists, cfg, rng, empty_tracker) and len(lists.innovs) == 1 and lists.nodes == [0]


def test_weight_mutation_perturbs_or_replaces():
    pool, cfg, tracker = make(200)
    before = pool.c_weight.copy()
    mutate_weights(pool, cfg, np.random.default_rng(0))
    changed = np.bincount(pool.c_row, weights=pool.c_weight != before) > 0
    assert 0.7 < changed.mean() < 0.9  # 80% of genomes mutate their weights (NEAT paper)
    per_gene = GenomeConfig(mutate_per_genome=False, weight_mutate_rate=0.5)
    pool2, _, _ = make(300)
    b2 = pool2.c_weight.copy()
    mutate_weights(pool2, per_gene, np.random.default_rng(0))
    assert 0.4 < (pool2.c_weight != b2).mean() < 0.6
    assert np.all(np.abs(pool.c_weight) <= cfg.weight_max_value)
    assert len(pool.c_weight) == 400  # mutation never adds or removes genes


def test_bias_activation_and_enable_mutations():
    pool, cfg, tracker = make(100)
    b = pool.n_bias.copy()
    mutate_biases(pool, cfg, np.random.default_rng(0))
    assert 0.6 < (pool.n_bias != b).mean() < 0.8
    act_cfg = GenomeConfig(activation_options=("sigmoid", "tanh", "relu"), activation_mutate_rate=1.0)
    mutate_activations(pool, act_cfg, np.random.default_rng(0), tracker.num_outputs)
    assert {pool.genome(r, tracker).nodes[0].activation for r in range(100)} == {"sigmoid", "tanh", "relu"}
    pinned = GenomeConfig(activation_options=("sigmoid", "tanh"), activation_mutate_rate=1.0,
                          output_activation="identity")
    fresh, _, fresh_tracker = make(10, output_activation="identity")
    mutate_activations(fresh, pinned, np.random.default_rng(0), fresh_tracker.num_outputs)
    assert {fresh.genome(r, fresh_tracker).nodes[0].activation for r in range(10)} == {"identity"}
    mutate_enabled(pool, GenomeConfig(enabled_mutate_rate=1.0), np.random.default_rng(0))
    assert not pool.c_enabled.any()


def test_mutate_is_deterministic_for_a_seed():
    a, cfg, ta = make(20, node_add_prob=0.5, conn_add_prob=0.5, node_delete_prob=0.1, conn_delete_prob=0.1)
    b, _, tb = make(20, node_add_prob=0.5, conn_add_prob=0.5, node_delete_prob=0.1, conn_delete_prob=0.1)
    for gen in range(5):
        ta.new_generation()
        tb.new_generation()
        a = mutate(a, cfg, np.random.default_rng(gen), ta)
        b = mutate(b, cfg, np.random.default_rng(gen), tb)
    assert [a.genome(r, ta).to_dict() for r in range(20)] == [b.genome(r, tb).to_dict() for r in range(20)]


def _two_parents():
    pool, cfg, tracker = make(2)
    pool, _ = edit(pool, 0, add_node, cfg, np.random.default_rng(0), tracker)  # excess genes for parent 0
    pool.c_weight[pool.conn_slice(1)] = [10.0, 20.0]
    return pool, cfg, tracker


def test_crossover_aligns_genes_and_takes_structure_from_the_fitter_parent():
    pool, _, tracker = _two_parents()
    child = crossover(pool, np.array([0] * 200), np.array([1] * 200), np.random.default_rng(0))
    assert set(child.genome(0, tracker).connections) == set(pool.genome(0, tracker).connections)
    first = child.c_innov == 0
    assert 0.4 < (child.c_weight[first] == 10.0).mean() < 0.6  # matching genes are inherited at random
    excess = child.c_innov >= 2
    parent = pool.genome(0, tracker).connections
    assert np.all(child.c_weight[excess] == [parent[i].weight for i in child.c_innov[excess]])
    reverse = crossover(pool, np.array([1]), np.array([0]), np.random.default_rng(0))
    assert set(reverse.genome(0, tracker).connections) == {0, 1}


def test_crossover_keeps_disabled_genes_disabled_75_percent():
    pool, _, tracker = _two_parents()
    split = [i for i, c in pool.genome(0, tracker).connections.items() if not c.enabled][0]
    child = crossover(pool, np.zeros(4000, dtype=np.int64), np.ones(4000, dtype=np.int64), np.random.default_rng(1))
    assert abs((~child.c_enabled[child.c_innov == split]).mean() - 0.75) < 0.03
    other = [i for i in (0, 1) if i != split][0]
    assert child.c_enabled[child.c_innov == other].all()


def test_compatibility_distance_matches_the_formula():
    pool, cfg, tracker = _two_parents()
    c1, c3 = cfg.compatibility_excess_coefficient, cfg.compatibility_weight_coefficient
    a, b = pool.genome(0, tracker).connections, pool.genome(1, tracker).connections
    w = np.mean([abs(a[i].weight - b[i].weight) for i in b])
    n_excess = len(pool.genome(0, tracker).connections) - 2  # the two new genes lie beyond genome 1's last
    assert distance(pool, 0, 1, cfg) == pytest.approx(c1 * n_excess + c3 * w)
    assert distance(pool, 1, 0, cfg) == pytest.approx(distance(pool, 0, 1, cfg))
    assert distance(pool, 0, 0, cfg) == 0.0
    normalised = GenomeConfig(compatibility_normalize_threshold=0)
    assert distance(pool, 0, 1, normalised) == pytest.approx((c1 * n_excess) / 4 + c3 * w)
    d = distances(pool, *genes(pool, 1), cfg)
    assert d[1] == 0.0 and d[0] == pytest.approx(distance(pool, 0, 1, cfg))
    matrix = distance_matrix(pool, [genes(pool, 0), genes(pool, 1)], cfg)
    assert matrix.shape == (2, 2) and matrix[0, 1] == pytest.approx(distance(pool, 0, 1, cfg))


def test_disjoint_genes_are_counted_separately_from_excess():
    # genome 0 has innovations 0 and 2; genome 1 has 0, 1 and 3: 1 and 2 are disjoint, 3 is excess
    pool = GenePool(np.array([0, 1]), c_row=[0, 0, 1, 1, 1], c_innov=[0, 2, 0, 1, 3], c_weight=[0.0] * 5,
                    c_enabled=[True] * 5)
    weights = GenomeConfig(compatibility_excess_coefficient=10.0, compatibility_disjoint_coefficient=1.0)
    assert distance(pool, 0, 1, weights) == pytest.approx(10.0 * 1 + 1.0 * 2)
    assert distance(pool, 1, 0, weights) == pytest.approx(10.0 * 1 + 1.0 * 2)


def test_pool_take_concat_and_genome_round_trip():
    pool, cfg, tracker = _two_parents()
    genomes = [pool.genome(r, tracker) for r in range(2)]
    rebuilt = GenePool.from_genomes(genomes)
    assert [rebuilt.genome(r, tracker).to_dict() for r in range(2)] == [g.to_dict() for g in genomes]
    both = GenePool.concat([pool.take(np.array([1])), pool.take(np.array([0, 0]))])
    assert both.keys.tolist() == [pool.keys[1], pool.keys[0], pool.keys[0]]
    assert both.genome(2, tracker).to_dict() == genomes[0].to_dict()
    pool.write_back(0, {0: 5.5}, {0: -1.5})
    assert pool.genome(0, tracker).connections[0].weight == 5.5 and pool.genome(0, tracker).nodes[0].bias == -1.5


def test_crossover_with_mates_without_connections():
    pool, cfg, tracker = make(2)
    empty, _, _ = make(1, initial_connection="unconnected")
    both = GenePool.concat([pool.take(np.array([0])), empty])
    child = crossover(both, np.array([0]), np.array([1]), np.random.default_rng(0))
    assert set(child.genome(0, tracker).connections) == set(pool.genome(0, tracker).connections)
    none = crossover(both, np.array([1]), np.array([0]), np.random.default_rng(0))
    assert none.genome(0, tracker).connections == {}


def test_attributes_fixed_by_equal_bounds_stay_fixed_through_mutation():
    from ottorch.neat import Population
    from ottorch.neat.batch_eval import TableResults
    from ottorch.neat.config import FineTuneConfig, NEATConfig

    genome = GenomeConfig(num_inputs=2, num_outputs=1, weight_min_value=2.0, weight_max_value=2.0,
                          bias_min_value=0.5, bias_max_value=0.5, node_add_prob=0.5, conn_add_prob=0.5)
    pop = Population(NEATConfig(pop_size=30, genome=genome, fine_tune=FineTuneConfig(mode="none")), seed=0)
    rng = np.random.default_rng(0)
    for _ in range(5):
        table, _ = pop.ask_table()
        results = TableResults.start(table, 0.0)
        results.fitness[:] = rng.random(len(table))
        pop.tell(results)
        pop.advance()
    assert pop.pool.c_weight.tolist() == [2.0] * len(pop.pool.c_weight) and len(pop.pool.c_weight) > 60
    assert set(pop.pool.n_bias.tolist()) == {0.5}

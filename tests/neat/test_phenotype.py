"""Genome -> network: agreement with the per-node reference evaluator, gradients, gene mapping,
fine-tuning with write-back and rollback, failure handling."""

from dataclasses import replace

import numpy as np
import pytest

import ottorch
from ottorch.autograd import gradcheck
from ottorch.neat import (
    ConnectionGene,
    FineTuneConfig,
    Genome,
    GenomeConfig,
    InnovationTracker,
    NodeGene,
    compile_genome,
    evaluate_genome,
    evaluation_seed,
    reference_forward,
)
from ottorch.neat.config import AGGREGATIONS
from ottorch.neat.initial import initial_pool
from ottorch.neat.mutation import mutate
from ottorch.neat.tasks.supervised import XORTask

ACTS = ("sigmoid", "tanh", "relu", "identity", "sin", "gauss", "abs", "softplus", "elu", "clamped", "lelu", "selu",
        "hat")


def evolved_genomes(feed_forward=True, n=12, generations=10):
    cfg = GenomeConfig(num_inputs=3, num_outputs=2, num_hidden=1, feed_forward=feed_forward, node_add_prob=0.5,
                       conn_add_prob=0.8, activation_options=ACTS, activation_mutate_rate=0.3,
                       enabled_mutate_rate=0.05, response_mutate_rate=0.2, response_mutate_power=0.3,
                       aggregation_options=AGGREGATIONS, aggregation_mutate_rate=0.3)
    tracker = InnovationTracker(3, 2)
    rng = np.random.default_rng(0)
    pool = initial_pool(n, cfg, rng, tracker)
    for _ in range(generations):
        tracker.new_generation()
        pool = mutate(pool, cfg, rng, tracker)
    return [pool.genome(r, tracker) for r in range(n)]


@pytest.mark.parametrize("feed_forward", [True, False])
def test_compiled_network_agrees_with_the_reference_evaluator(feed_forward):
    rng = np.random.default_rng(1)
    for g in evolved_genomes(feed_forward):
        net = compile_genome(g, ottorch.float64)
        x = rng.normal(size=(5, 3)) * 0.5
        np.testing.assert_allclose(net(ottorch.tensor(x)).detach().numpy(), reference_forward(g, x), atol=1e-10)
        seq = rng.normal(size=(3, 4, 3)) * 0.5
        np.testing.assert_allclose(net(ottorch.tensor(seq)).detach().numpy(), reference_forward(g, seq), atol=1e-10)
        policy = net.policy()
        steps = np.stack([policy(seq[:, t]) for t in range(4)], axis=1)
        np.testing.assert_allclose(steps, reference_forward(g, seq), atol=1e-10)


def test_gradients_of_the_genome_primitive_through_time():
    for g in evolved_genomes(feed_forward=False, n=6):
        net = compile_genome(g, ottorch.float64)
        x = ottorch.tensor(np.random.default_rng(2).normal(size=(2, 3, 3)) * 0.3, requires_grad=True)
        assert gradcheck(lambda x, w, b, net=net: net(x), (x, net.weight, net.bias), atol=1e-5, rtol=1e-3)


def _xor_genome(w=(1.0, 1.0), bias=0.0):
    nodes = {-1: NodeGene(-1, "input"), -2: NodeGene(-2, "input"), 0: NodeGene(0, "output", "sigmoid", bias)}
    conns = {0: ConnectionGene(0, -1, 0, w[0]), 1: ConnectionGene(1, -2, 0, w[1]),
             5: ConnectionGene(5, -2, 0, 9.0, enabled=False)}
    return Genome(7, nodes, conns)


def test_parameters_map_back_to_genes_and_compiling_never_changes_the_genome():
    g = _xor_genome()
    before = g.to_dict()
    net = compile_genome(g)
    assert net.weight_keys.tolist() == [0, 1] and net.bias_keys.tolist() == [0]
    with ottorch.no_grad():
        net.weight.copy_(ottorch.tensor([0.5, -2.0]))
    weights, biases = net.export()
    assert weights == {0: 0.5, 1: -2.0} and biases == {0: 0.0}
    assert g.to_dict() == before


def test_dead_ends_are_not_compiled():
    g = _xor_genome()
    g.nodes[3] = NodeGene(3, "hidden", "tanh")
    g.connections[9] = ConnectionGene(9, -1, 3, 1.0)  # node 3 reaches no output
    net = compile_genome(g)
    assert 3 not in net.node_order and 9 not in net.weight_keys.tolist()
    with pytest.raises(ValueError, match=r"expected input \(N, 2\)"):
        net(ottorch.ones(4, 3))


def test_lamarckian_write_back_darwinian_and_none():
    task = XORTask()
    cfg = FineTuneConfig(lr=0.5, steps=40, batch_size=4)
    g = _xor_genome()
    result = evaluate_genome(g, task, cfg, seed=1)
    assert result.gradient_steps == 40 and result.fitness >= result.fitness_before
    assert set(result.weights) == {0, 1} and set(result.biases) == {0}
    assert result.weights[0] != 1.0
    darwin = evaluate_genome(g, task, replace(cfg, mode="darwinian"), seed=1)
    assert darwin.weights is None and darwin.fitness == pytest.approx(result.fitness)
    pure = evaluate_genome(g, task, replace(cfg, mode="none"), seed=1)
    assert pure.gradient_steps == 0 and pure.fitness == pytest.approx(result.fitness_before)


def test_rollback_when_training_hurts():
    task = XORTask()
    # a genome already at the best a linear network can do, trained with an absurd step size
    g = _xor_genome(w=(0.0, 0.0), bias=0.0)
    result = evaluate_genome(g, task, FineTuneConfig(lr=50.0, steps=3, batch_size=4, optimizer="sgd"), seed=0)
    if result.stats.get("rolled_back"):
        assert result.weights is None and result.fitness == result.fitness_before
    else:
        assert result.fitness >= result.fitness_before


def test_nan_loss_and_exceptions_give_the_worst_fitness():
    task = XORTask()
    g = _xor_genome(w=(np.nan, 1.0))
    r = evaluate_genome(g, task, FineTuneConfig(steps=5, batch_size=4), seed=0)
    assert r.fitness == task.worst_fitness and "FloatingPointError" in r.error
    broken = _xor_genome()
    broken.nodes[0].activation = "no-such"
    r = evaluate_genome(broken, task, FineTuneConfig(mode="none"), seed=0)
    assert r.fitness == task.worst_fitness and "KeyError" in r.error


def test_evaluation_seed_depends_only_on_run_generation_and_key():
    assert evaluation_seed(1, 2, 3) == evaluation_seed(1, 2, 3)
    assert len({evaluation_seed(1, 2, k) for k in range(100)}) == 100
    assert evaluation_seed(1, 2, 3) != evaluation_seed(1, 3, 2)


def test_genome_dict_round_trip_and_validation():
    g = _xor_genome()
    assert Genome.from_dict(g.to_dict()).to_dict() == g.to_dict()
    assert g.size() == (0, 2) and not g.is_recurrent
    bad = g.to_dict()
    bad["connections"][0]["in_node"] = 42
    with pytest.raises(ValueError, match="missing node"):
        Genome.from_dict(bad)
    with pytest.raises(ValueError, match="not a genome dict"):
        Genome.from_dict({"key": 1})

"""Playground NEAT tasks: data splits, registry, batched evaluation agreeing with the per-genome
reference, and a tiny evolution run."""

from dataclasses import replace

import numpy as np
import pytest

from ottorch.neat import InnovationTracker, Population, SerialEvaluator, compile_genome
from ottorch.neat.batched import compile_table
from ottorch.neat.initial import initial_pool
from ottorch.neat.mutation import mutate
from ottorch.neat.table import GenomeTable
from ottorch.neat.tasks import TASKS, make_task
from ottorch.neat.tasks.playground import CircleTask, GaussianTask, SpiralTask, XOR2DTask

TASK_CLASSES = [CircleTask, XOR2DTask, GaussianTask, SpiralTask]
NAMES = ["circle", "xor2d", "gaussian", "spiral"]


@pytest.fixture(scope="module")
def tasks():
    return {cls.name: cls() for cls in TASK_CLASSES}


def evolved_genomes(task, n=12, generations=4, seed=0):
    """``n`` genomes of the task's default genome config, grown by a few rounds of mutation."""
    cfg = replace(task.default_config().genome, node_add_prob=0.5, conn_add_prob=0.8, activation_mutate_rate=0.3)
    tracker = InnovationTracker(cfg.num_inputs, cfg.num_outputs)
    rng = np.random.default_rng(seed)
    pool = initial_pool(n, cfg, rng, tracker)
    for _ in range(generations):
        tracker.new_generation()
        pool = mutate(pool, cfg, rng, tracker)
    return [pool.genome(row, tracker) for row in range(len(pool))]


def test_registered_with_their_names():
    assert [name for name in TASKS if name in NAMES] == NAMES
    for cls, name in zip(TASK_CLASSES, NAMES):
        assert cls.name == name and isinstance(make_task(name), cls)


@pytest.mark.parametrize("name", NAMES)
def test_splits_inputs_and_labels(tasks, name):
    task = tasks[name]
    assert (task.num_inputs, task.num_outputs, task.loss_kind) == (2, 1, "bce")
    for x, y, n in ((task.x_train, task.y_train, 200), (task.x_val, task.y_val, 200), (task.x_test, task.y_test, 400)):
        assert x.shape == (n, 2) and y.shape == (n,)
        assert np.abs(x.numpy()).max() < 1.5  # coordinates scaled to about [-1, 1]
        assert set(np.unique(y.numpy()).tolist()) == {0.0, 1.0}
    assert not np.array_equal(task.x_train.numpy(), task.x_val.numpy())
    np.testing.assert_array_equal(type(task)().x_test.numpy(), task.x_test.numpy())  # fixed seed: same data


@pytest.mark.parametrize("name", NAMES)
def test_default_config_fits_the_task(tasks, name):
    task = tasks[name]
    cfg = task.default_config()
    assert (cfg.genome.num_inputs, cfg.genome.num_outputs) == (2, 1)
    assert cfg.genome.output_activation == "sigmoid" and cfg.fine_tune.mode == "lamarckian"
    assert cfg.fitness_threshold == task.fitness_threshold
    assert task.default_config("darwinian").fine_tune.mode == "darwinian"


@pytest.mark.parametrize("name", NAMES)
def test_batched_interface_matches_the_per_genome_one(tasks, name):
    task = tasks[name]
    assert task.supports_batches()
    genomes = evolved_genomes(task)
    assert max(g.size()[0] for g in genomes) > 0  # some genomes have hidden nodes
    nets, errors, unbatched = compile_table(GenomeTable.from_genomes(genomes))
    assert not errors and not len(unbatched) and sum(net.num_genomes for net in nets) == len(genomes)
    for net in nets:
        rngs = [np.random.default_rng(i) for i in range(net.num_genomes)]
        fitness = task.batch_fitness(net, rngs)
        metric = task.batch_test_metric(net)
        x, y = next(task.batch_minibatches(rngs, 32))
        loss = task.batch_loss(net, x, y).detach().numpy()
        for j, i in enumerate(net.genomes):
            single = compile_genome(genomes[i])
            assert fitness[j] == pytest.approx(task.fitness(single, genomes[i], rngs[j]), abs=1e-5)
            expected = task.test_metric(single, genomes[i])
            for key in expected:
                assert metric[key][j] == pytest.approx(expected[key], abs=1e-5)
            xs, ys = next(task.batches(np.random.default_rng(j), 32))
            np.testing.assert_array_equal(xs.numpy(), x.numpy()[j])
            assert loss[j] == pytest.approx(task.loss(single, xs, ys).item(), abs=1e-5)


def test_a_tiny_circle_run_evolves_without_errors():
    task = CircleTask()
    cfg = task.default_config()
    cfg = cfg.replace(pop_size=10, fine_tune=replace(cfg.fine_tune, steps=5))
    pop = Population(cfg, seed=0)
    champion = pop.run(SerialEvaluator(task, cfg.fine_tune), 3)
    assert len(pop.history) >= 1 and all(h.errors == 0 for h in pop.history)
    assert pop.gradient_steps == 5 * pop.evaluations > 0
    assert 0.5 < champion.fitness <= 1.0
    assert 0.0 <= task.test_metric(compile_genome(champion), champion)["accuracy"] <= 1.0

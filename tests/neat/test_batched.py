"""Batched phenotype and batched evaluation: agreement with the per-genome reference path, and
bit-identical results whatever a genome's batch-mates, the batch cap or the evaluator."""

from dataclasses import replace

import numpy as np
import pytest

import ottorch
from ottorch.neat import (
    FineTuneConfig,
    GenomeConfig,
    InnovationTracker,
    Population,
    SerialEvaluator,
    Task,
    compile_genome,
    reference_forward,
)
from ottorch.neat.batch_eval import TableResults, evaluate_table
from ottorch.neat.batched import MAX_BATCHED_WORK, compile_table, padded_size
from ottorch.neat.config import ACTIVATIONS
from ottorch.neat.initial import initial_pool
from ottorch.neat.mutation import mutate
from ottorch.neat.table import GenomeTable
from ottorch.neat.tasks.supervised import IrisTask, ParityTask, SineTask, XORTask


def evolved_table(num_inputs=3, num_outputs=2, feed_forward=True, n=40, generations=8, acts=ACTIVATIONS, seed=0,
                  output_activation=None):
    cfg = GenomeConfig(num_inputs=num_inputs, num_outputs=num_outputs, num_hidden=1, feed_forward=feed_forward,
                       node_add_prob=0.5, conn_add_prob=0.8, activation_options=acts, activation_mutate_rate=0.3,
                       enabled_mutate_rate=0.05, response_mutate_rate=0.2, response_mutate_power=0.3,
                       output_activation=output_activation)
    tracker = InnovationTracker(num_inputs, num_outputs)
    rng = np.random.default_rng(seed)
    pool = initial_pool(n, cfg, rng, tracker)
    for _ in range(generations):
        tracker.new_generation()
        pool = mutate(pool, cfg, rng, tracker)
    return GenomeTable.from_pool(pool, tracker)


def seeds_for(table):
    return [1000 + int(k) for k in table.keys]


def assert_same_bits(a: TableResults, b: TableResults):
    for name in ("fitness", "fitness_before", "gradient_steps", "written", "c_weight", "n_bias", "final_loss",
                 "rolled_back"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.errors == b.errors


# ----------------------------------------------------------------------------- phenotype


@pytest.mark.parametrize("feed_forward", [True, False])
def test_batched_forward_agrees_with_the_reference_evaluator_for_every_activation(feed_forward):
    table = evolved_table(feed_forward=feed_forward)
    nets, errors, _ = compile_table(table, dtype=ottorch.float64)
    assert not errors and sum(n.num_genomes for n in nets) == len(table)
    assert {a for n in nets for level in n.levels for a in [g[0] for g in level.groups]}
    rng = np.random.default_rng(1)
    x = rng.normal(size=(5, 3)) * 0.5
    seq = rng.normal(size=(5, 4, 3)) * 0.5
    for net in nets:
        out = net(ottorch.tensor(x[None])).detach().numpy()
        out_seq = net(ottorch.tensor(seq[None])).detach().numpy()
        for j, i in enumerate(net.genomes):
            genome = table.genome(i)
            np.testing.assert_allclose(out[j], reference_forward(genome, x), atol=1e-9)
            np.testing.assert_allclose(out_seq[j], reference_forward(genome, seq), atol=1e-9)


def test_every_activation_appears_in_the_phenotype_test():
    table = evolved_table()
    used = set(table.n_act.tolist())
    assert used == set(range(len(ACTIVATIONS)))


@pytest.mark.parametrize("feed_forward", [True, False])
def test_batched_gradients_agree_with_the_genome_network_and_masks_get_none(feed_forward):
    table = evolved_table(feed_forward=feed_forward)  # every activation
    nets, _, _ = compile_table(table, dtype=ottorch.float64)
    seq = np.random.default_rng(2).normal(size=(4, 3, 3)) * 0.5
    for net in nets:
        out = net(ottorch.tensor(seq[None]))
        (out**2).sum().backward()
        grads = {False: net.weight.grad.numpy(), True: None if net.weight_rec is None else net.weight_rec.grad.numpy()}
        ff_mask, rec_mask = net.masks()
        assert np.all(grads[False][ff_mask == 0] == 0)
        if grads[True] is not None:
            assert np.all(grads[True][rec_mask == 0] == 0)
        for j, i in enumerate(net.genomes):
            ref = compile_genome(table.genome(i), ottorch.float64)
            (ref(ottorch.tensor(seq)) ** 2).sum().backward()
            expected = dict(zip(ref.weight_keys.tolist(), ref.weight.grad.numpy().tolist()))
            mine = {}
            for k in np.flatnonzero(net.conn_at[0] == j):
                at = (j, net.conn_at[1][k], net.conn_at[2][k])
                mine[int(table.c_innov[net.conn_index[k]])] = grads[bool(net.conn_rec[k])][at]
            assert mine.keys() == expected.keys()
            np.testing.assert_allclose([mine[k] for k in expected], list(expected.values()), rtol=1e-8, atol=1e-10)
            bias = dict(zip(ref.bias_keys.tolist(), ref.bias.grad.numpy().tolist()))
            for k in np.flatnonzero(net.node_at[0] == j):
                np.testing.assert_allclose(net.bias.grad.numpy()[j, net.node_at[1][k]],
                                           bias[int(table.n_id[net.node_index[k]])], rtol=1e-8, atol=1e-10)


def test_padding_depends_only_on_the_genome_and_groups_equal_shapes():
    assert padded_size(np.array([0, 1, 8, 9, 17, 33, 65, 131, 1000])).tolist() == [8, 8, 8, 16, 24, 40, 80, 160, 1024]
    table = evolved_table(feed_forward=False, n=30)
    nets, _, _ = compile_table(table, cap=lambda size, recurrent: 4)
    assert all(n.num_genomes <= 4 for n in nets)
    alone = {int(i): (n.size, n.is_recurrent) for n in nets for i in n.genomes}
    for i in range(len(table)):
        (single,), _, _ = compile_table(table.take([i]))
        assert (single.size, single.is_recurrent) == alone[i]


def test_genomes_bound_by_arithmetic_are_evaluated_one_at_a_time_exactly_as_the_reference():
    iris = IrisTask()
    genome = GenomeConfig(num_inputs=4, num_outputs=3, num_hidden=300, initial_connection="full_nodirect",
                          activation_default="tanh", activation_options=("tanh",), output_activation="identity")
    big = Population(iris.default_config().replace(pop_size=2, genome=genome), seed=0).ask_table()[0]
    table = GenomeTable.from_genomes([big.genome(0)] + [TASK_TABLES[1][1].genome(i) for i in range(3)])
    nets, errors, single = compile_table(table, max_work=MAX_BATCHED_WORK)
    assert single.tolist() == [0] and sorted(int(i) for n in nets for i in n.genomes) == [1, 2, 3]
    cfg = FineTuneConfig(steps=3, batch_size=16)
    mixed = evaluate_table(table, seeds_for(table), iris, cfg)
    reference = evaluate_table(table, seeds_for(table), iris, replace(cfg, batched=False))
    assert mixed.fitness[0] == reference.fitness[0] and mixed.final_loss[0] == reference.final_loss[0]


def test_a_genome_with_a_feed_forward_cycle_gets_the_worst_fitness_and_the_reason():
    table = evolved_table(num_inputs=2, num_outputs=1, n=3, generations=0, acts=("sigmoid",))
    # add a hidden node 5 with 0 -> 5 -> 0, a feed-forward cycle through the output
    arrays = table.arrays()
    rows = [0, 0]
    for name, extra in (("c_row", rows), ("c_innov", [100, 101]), ("c_in", [0, 5]), ("c_out", [5, 0]),
                        ("c_rec", [False, False]), ("c_weight", [1.0, 1.0]), ("c_enabled", [True, True])):
        arrays[name] = np.concatenate([arrays[name], extra])
    order = np.lexsort((arrays["c_innov"], arrays["c_row"]))
    for name in ("c_row", "c_innov", "c_in", "c_out", "c_rec", "c_weight", "c_enabled"):
        arrays[name] = arrays[name][order]
    for name, extra in (("n_row", [0]), ("n_id", [5]), ("n_bias", [0.0]), ("n_response", [1.0]), ("n_act", [0]),
                        ("n_agg", [0])):
        arrays[name] = np.concatenate([arrays[name], extra])
    order = np.lexsort((arrays["n_id"], arrays["n_row"]))
    for name in ("n_row", "n_id", "n_bias", "n_response", "n_act", "n_agg"):
        arrays[name] = arrays[name][order]
    broken = GenomeTable.from_arrays(arrays)
    task = XORTask()
    results = evaluate_table(broken, seeds_for(broken), task, task.default_config().fine_tune)
    assert "cycle" in results.errors[0] and results.fitness[0] == task.worst_fitness
    assert set(results.errors) == {0} and np.all(results.fitness[1:] > 0)


# ----------------------------------------------------------------------------- evaluation


def _task_tables():
    yield XORTask(), evolved_table(2, 1, n=24, acts=("sigmoid", "tanh", "relu"), output_activation="sigmoid")
    yield IrisTask(), evolved_table(4, 3, n=24, acts=("tanh", "relu", "identity", "elu", "selu", "softplus"))
    yield SineTask(), evolved_table(1, 1, n=24, acts=("tanh", "sin", "gauss", "abs", "hat", "lelu", "clamped"),
                                    output_activation="identity")
    yield ParityTask(), evolved_table(1, 1, feed_forward=False, n=24, acts=("tanh", "sigmoid"),
                                      output_activation="sigmoid")
    yield SineTask(), evolved_table(1, 1, feed_forward=False, n=40, output_activation="identity", seed=3)  # all


TASK_TABLES = list(_task_tables())
TASK_IDS = ["xor", "iris", "sine", "parity", "every-activation-recurrent"]


@pytest.mark.parametrize(("task", "table"), TASK_TABLES, ids=TASK_IDS)
def test_batched_evaluation_matches_the_per_genome_reference(task, table):
    cfg = replace(task.default_config().fine_tune, steps=10, mode="lamarckian")
    batched = evaluate_table(table, seeds_for(table), task, cfg)
    reference = evaluate_table(table, seeds_for(table), task, replace(cfg, batched=False))
    assert batched.errors == reference.errors
    np.testing.assert_allclose(batched.fitness, reference.fitness, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(batched.fitness_before, reference.fitness_before, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(batched.gradient_steps, reference.gradient_steps)
    np.testing.assert_allclose(batched.c_weight, reference.c_weight, rtol=1e-3, atol=1e-4)
    np.testing.assert_allclose(batched.n_bias, reference.n_bias, rtol=1e-3, atol=1e-4)
    agree = batched.written == reference.written
    assert agree.mean() > 0.9  # a near-tie of fitness before / after may round either way


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd", "rmsprop", "adagrad"])
@pytest.mark.parametrize("grad_clip", [0.0, 0.5])
def test_every_optimizer_and_per_genome_clipping_match_the_reference(optimizer, grad_clip):
    task, table = TASK_TABLES[1]
    cfg = FineTuneConfig(mode="darwinian", optimizer=optimizer, lr=0.05, steps=8, batch_size=16, grad_clip=grad_clip)
    batched = evaluate_table(table, seeds_for(table), task, cfg)
    reference = evaluate_table(table, seeds_for(table), task, replace(cfg, batched=False))
    np.testing.assert_allclose(batched.fitness, reference.fitness, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(batched.final_loss, reference.final_loss, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize(("task", "table"), TASK_TABLES, ids=TASK_IDS)
def test_a_genomes_numbers_do_not_depend_on_its_batch(task, table):
    cfg = replace(task.default_config().fine_tune, steps=12, mode="lamarckian")
    seeds = seeds_for(table)
    whole = evaluate_table(table, seeds, task, cfg)
    for cap in (1, 3):
        assert_same_bits(evaluate_table(table, seeds, task, replace(cfg, max_batch_genomes=cap)), whole)
    # any other mix: every second genome, in reverse order
    index = np.arange(len(table))[::-2].copy()
    part = evaluate_table(table.take(index), [seeds[i] for i in index], task, cfg)
    assert_same_bits(part, _sub(whole, table, index))


def _sub(results: TableResults, table: GenomeTable, index: np.ndarray) -> TableResults:
    """The rows ``index`` of ``results`` as results of ``table.take(index)``."""
    sub = table.take(index)
    out = TableResults.start(sub, 0.0)
    cs, ns = table.starts("c"), table.starts("n")
    for name in ("keys", "fitness", "fitness_before", "gradient_steps", "written", "final_loss", "rolled_back"):
        getattr(out, name)[:] = getattr(results, name)[index]
    out.c_weight[:] = np.concatenate([results.c_weight[cs[i]:cs[i + 1]] for i in index])
    out.n_bias[:] = np.concatenate([results.n_bias[ns[i]:ns[i + 1]] for i in index])
    out.errors = {j: results.errors[i] for j, i in enumerate(index.tolist()) if i in results.errors}
    return out


def test_memory_budget_caps_the_batch_without_changing_results():
    task, table = TASK_TABLES[1]
    cfg = replace(task.default_config().fine_tune, steps=5)
    assert_same_bits(evaluate_table(table, seeds_for(table), task, replace(cfg, max_batch_mb=0.01)),
                     evaluate_table(table, seeds_for(table), task, cfg))


def test_a_genome_whose_loss_explodes_fails_alone_and_leaves_its_batch_unchanged():
    task, table = TASK_TABLES[2]
    seeds = seeds_for(table)
    cfg = FineTuneConfig(lr=0.02, steps=15, batch_size=16)
    clean = evaluate_table(table, seeds, task, cfg)
    poisoned = table.take(np.arange(len(table)))
    victim = 5
    cs = poisoned.starts("c")
    poisoned.c_weight[cs[victim]:cs[victim + 1]] = 1e30  # its outputs overflow to inf
    results = evaluate_table(poisoned, seeds, task, cfg)
    assert results.fitness[victim] == task.worst_fitness
    assert "FloatingPointError" in results.errors[victim] and "is inf" in results.errors[victim] or \
        "is nan" in results.errors[victim]
    others = np.arange(len(table)) != victim
    np.testing.assert_array_equal(results.fitness[others], clean.fitness[others])
    np.testing.assert_array_equal(results.final_loss[others], clean.final_loss[others])
    keep = np.repeat(others, np.diff(cs))
    np.testing.assert_array_equal(results.c_weight[keep], clean.c_weight[keep])


def test_fine_tuning_modes_none_and_darwinian_and_steps_zero():
    task, table = TASK_TABLES[0]
    seeds = seeds_for(table)
    for cfg in (FineTuneConfig(mode="none"), FineTuneConfig(steps=0), FineTuneConfig(mode="darwinian", steps=5)):
        batched = evaluate_table(table, seeds, task, cfg)
        reference = evaluate_table(table, seeds, task, replace(cfg, batched=False))
        np.testing.assert_allclose(batched.fitness, reference.fitness, rtol=1e-5, atol=1e-5)
        assert not batched.written.any() and not reference.written.any()
        np.testing.assert_array_equal(batched.gradient_steps, reference.gradient_steps)


# ----------------------------------------------------------------------------- tasks and evaluators


class PerGenomeXOR(Task):
    """A user task with only the per-genome methods."""

    name, num_inputs, num_outputs = "user-xor", 2, 1
    x = ottorch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    y = ottorch.tensor([[0.0], [1.0], [1.0], [0.0]])

    def fitness(self, net, genome, rng):
        with ottorch.no_grad():
            return 4.0 - float(((net(self.x) - self.y) ** 2).sum().item())

    def batches(self, rng, batch_size):
        while True:
            yield self.x, self.y

    def loss(self, net, x, y):
        return ((net(x) - y) ** 2).mean()


class XORWithOwnFitness(XORTask):
    def fitness(self, net, genome, rng):
        return 1.0


def test_tasks_without_a_matching_batched_interface_fall_back_per_genome():
    assert XORTask().supports_batches() and IrisTask().supports_batches() and ParityTask().supports_batches()
    assert not PerGenomeXOR().supports_batches()
    assert not XORWithOwnFitness().supports_batches()
    _, table = TASK_TABLES[0]
    results = evaluate_table(table, seeds_for(table), XORWithOwnFitness(), FineTuneConfig(steps=2, batch_size=4))
    assert np.all(results.fitness == 1.0)
    user = evaluate_table(table, seeds_for(table), PerGenomeXOR(), FineTuneConfig(steps=3, batch_size=4))
    reference = evaluate_table(table, seeds_for(table), XORTask(), FineTuneConfig(steps=3, batch_size=4, batched=False))
    np.testing.assert_allclose(user.fitness, reference.fitness, rtol=1e-5)


def test_table_results_round_trip_through_eval_results():
    task, table = TASK_TABLES[0]
    results = evaluate_table(table, seeds_for(table), task, FineTuneConfig(lr=0.3, steps=5, batch_size=4))
    assert results.written.any()
    again = TableResults.from_list(results.to_list(table), table)
    again.seconds = results.seconds
    assert_same_bits(again, results)
    assert_same_bits(TableResults.from_arrays(results.arrays()), results)


class ListOnlyEvaluator:
    """An evaluator that implements only the per-genome-list protocol."""

    def __init__(self, task, cfg):
        self.inner = SerialEvaluator(task, cfg)

    def evaluate(self, genomes, seeds, progress=None):
        return self.inner.evaluate(genomes, seeds)


def test_population_runs_identically_through_tables_and_through_genome_lists():
    task = XORTask()
    cfg = task.default_config().replace(pop_size=20)
    a, b = Population(cfg, seed=4), Population(cfg, seed=4)
    a.run(SerialEvaluator(task, cfg.fine_tune), generations=4)
    b.run(ListOnlyEvaluator(task, cfg.fine_tune), generations=4)
    assert [vars(h) | {"eval_seconds": 0} for h in a.history] == [vars(h) | {"eval_seconds": 0} for h in b.history]
    np.testing.assert_array_equal(a.pool.c_weight, b.pool.c_weight)

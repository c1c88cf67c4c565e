"""RayEvaluator: identical results to SerialEvaluator, and fault tolerance (killed workers, poison
genomes, raising genomes)."""

import os
import signal
import threading
import time
from dataclasses import replace

import numpy as np
import pytest

from ottorch.distributed import RayEvaluator
from ottorch.neat import FineTuneConfig, Population, SerialEvaluator
from ottorch.neat.tasks.supervised import XORTask


def xor_config(mode="lamarckian"):
    task = XORTask()
    cfg = task.default_config()
    cfg = cfg.replace(pop_size=24, no_fitness_termination=True,
                      genome=replace(cfg.genome, node_add_prob=0.3, conn_add_prob=0.5),
                      fine_tune=FineTuneConfig(mode=mode, lr=0.3, steps=8, batch_size=4))
    return task, cfg


def history(pop):
    return [(h.best_fitness, h.mean_fitness, h.num_species, h.gradient_steps) for h in pop.history]


@pytest.mark.parametrize("mode", ["none", "lamarckian"])
def test_ray_equals_serial_for_any_number_of_workers(local_ray, mode):
    task, cfg = xor_config(mode)
    serial = Population(cfg, seed=7)
    serial.run(SerialEvaluator(task, cfg.fine_tune), 4)
    for workers in (1, 2):
        with RayEvaluator(task, cfg.fine_tune, workers=workers, shards_per_worker=3) as ev:
            assert not ev.started_ray  # it joined the module's Ray and will leave it running
            pop = Population(cfg, seed=7)
            pop.run(ev, 4)
        assert history(pop) == history(serial)
        assert pop.best_genome.to_dict() == serial.best_genome.to_dict()


class SlowXOR(XORTask):
    """XOR whose evaluation takes a while, so a worker can be killed mid-generation."""

    def fitness(self, net, genome, rng):
        time.sleep(0.02)
        return super().fitness(net, genome, rng)


def test_killed_worker_mid_generation_loses_nothing(local_ray):
    task = SlowXOR()
    _, cfg = xor_config("none")
    reference = SerialEvaluator(task, cfg.fine_tune)
    pop = Population(cfg, seed=3)
    genomes, seeds = pop.ask()
    expected = [r.fitness for r in reference.evaluate(genomes, seeds)]
    with RayEvaluator(task, cfg.fine_tune, workers=2, shards_per_worker=2) as ev:
        victim = local_ray.get(ev._actors[0].pid.remote())
        killer = threading.Timer(0.15, os.kill, (victim, signal.SIGKILL))
        killer.start()
        results = ev.evaluate(genomes, seeds)
        killer.join()
        assert ev.restarts == 1
    assert [r.fitness for r in results] == expected
    assert all(r.error is None for r in results)


class PoisonXOR(XORTask):
    """Kills the worker process whenever it evaluates one particular genome."""

    poison_key = 5

    def fitness(self, net, genome, rng):
        if genome.key == self.poison_key:
            os._exit(1)
        return super().fitness(net, genome, rng)


def test_poison_genome_gets_the_worst_fitness_and_the_run_goes_on(local_ray):
    task = PoisonXOR()
    _, cfg = xor_config("none")
    with RayEvaluator(task, cfg.fine_tune, workers=2) as ev:
        pop = Population(cfg, seed=1)
        genomes, seeds = pop.ask()
        results = ev.evaluate(genomes, seeds)
        poisoned = [r for r in results if r.key == PoisonXOR.poison_key]
        assert poisoned[0].fitness == task.worst_fitness and "worker died" in poisoned[0].error
        assert "2 times" in poisoned[0].error
        healthy = [r for r in results if r.key != PoisonXOR.poison_key]
        assert all(r.error is None for r in healthy) and len(healthy) == len(genomes) - 1
        assert ev.restarts == 2
        pop.tell(results)
        pop.advance()  # the generation completed and evolution continues
        assert len(pop.ask()[0]) == cfg.pop_size


class RaisingXOR(XORTask):
    def fitness(self, net, genome, rng):
        if genome.key % 4 == 0:
            raise RuntimeError("task bug")
        return super().fitness(net, genome, rng)


def test_raising_genomes_and_nan_get_the_worst_fitness(local_ray):
    task = RaisingXOR()
    _, cfg = xor_config("lamarckian")
    pop = Population(cfg, seed=2)
    genomes, seeds = pop.ask()
    genomes[1].connections[min(genomes[1].connections)].weight = float("nan")
    with RayEvaluator(task, cfg.fine_tune, workers=2) as ev:
        results = ev.evaluate(genomes, seeds)
    for g, r in zip(genomes, results):
        if g.key % 4 == 0:
            assert r.fitness == task.worst_fitness and "task bug" in r.error
    assert "FloatingPointError" in results[1].error
    assert np.isfinite([r.fitness for r in results]).all()


def test_resume_with_ray_equals_the_uninterrupted_serial_run(local_ray, tmp_path):
    from ottorch.neat import Checkpointer, load_checkpoint

    task, cfg = xor_config("lamarckian")
    full = Population(cfg, seed=4, reporters=[Checkpointer(tmp_path)])
    full.run(SerialEvaluator(task, cfg.fine_tune), 5)
    resumed = load_checkpoint(tmp_path / "gen-0002.json")
    with RayEvaluator(task, cfg.fine_tune, workers=2) as ev:
        resumed.run(ev, 2)
    assert history(resumed) == history(full)
    assert resumed.best_genome.to_dict() == full.best_genome.to_dict()


def test_plan_shards_puts_the_costliest_first_and_ends_with_single_genomes():
    from ottorch.distributed.ray_evaluator import plan_shards

    costs = [5, 50, 7, 30] * 25
    shards = plan_shards(costs, workers=2, shards_per_worker=4)
    assert sorted(i for shard in shards for i in shard) == list(range(100))
    sizes = [len(s) for s in shards]
    assert sizes == sorted(sizes, reverse=True) and sizes[0] == 13 and sizes[-1] == 1
    assert {costs[i] for i in shards[0]} == {50}
    assert plan_shards([], 2, 4) == []


def test_array_shards_give_bit_identical_results_to_serial(local_ray):
    from ottorch.neat.tasks.supervised import IrisTask

    task = IrisTask(split_seed=4)  # not the default split: the workers must be shipped this task's data
    cfg = task.default_config().replace(pop_size=40, no_fitness_termination=True)
    cfg = cfg.replace(fine_tune=replace(cfg.fine_tune, steps=15))
    pop = Population(cfg, seed=2)
    pop.run(SerialEvaluator(task, cfg.fine_tune), 2)
    pop.advance()
    table, seeds = pop.ask_table()
    serial = SerialEvaluator(task, cfg.fine_tune).evaluate_table(table, seeds)
    with RayEvaluator(task, cfg.fine_tune, workers=2, shards_per_worker=3) as ev:
        sharded = ev.evaluate_table(table, seeds)
    for name in ("fitness", "fitness_before", "gradient_steps", "written", "c_weight", "n_bias", "final_loss"):
        np.testing.assert_array_equal(getattr(sharded, name), getattr(serial, name), err_msg=name)
    assert sharded.errors == serial.errors

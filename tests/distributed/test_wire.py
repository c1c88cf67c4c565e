"""The compact wire form of shards and results restores the exact arrays; workers evaluate it bit for
bit as the plain form, and RayEvaluator counts the bytes it ships."""

from dataclasses import replace

import numpy as np
import pytest

from ottorch.distributed.wire import nbytes, pack_results, pack_table, unpack_results, unpack_table
from ottorch.neat import Population, SerialEvaluator
from ottorch.neat.tasks import make_task


def _generations(name: str, mode: str, size: int = 120, generations: int = 3):
    task = make_task(name)
    cfg = task.default_config(mode).replace(pop_size=size, no_fitness_termination=True)
    cfg = cfg.replace(fine_tune=replace(cfg.fine_tune, steps=min(cfg.fine_tune.steps, 5)))
    pop = Population(cfg, seed=4)
    evaluator = SerialEvaluator(task, cfg.fine_tune)
    for _ in range(generations):
        if pop.fitness is not None:
            pop.advance()
        table, seeds = pop.ask_table()
        results = evaluator.evaluate_table(table, seeds)
        yield task, cfg, table, seeds, results
        pop.tell(results)


@pytest.mark.parametrize("name, mode", [("xor", "none"), ("iris", "lamarckian"), ("sine", None)])
def test_pack_and_unpack_restore_tables_and_results_exactly(name, mode):
    for _, _, table, _, results in _generations(name, mode):
        packed = pack_table(table)
        back = unpack_table(packed)
        for column, value in table.arrays().items():
            restored = back.arrays()[column]
            assert np.array_equal(value, restored) and np.asarray(value).dtype == np.asarray(restored).dtype, column
        assert nbytes(packed) < 0.65 * nbytes(table.arrays())
        packed = pack_results(results, table)
        back = unpack_results(packed, table)
        for column, value in results.arrays().items():
            restored = getattr(back, column)
            if column == "errors":
                assert restored == value
            else:
                np.testing.assert_array_equal(restored, value, err_msg=column)
                assert restored.dtype == value.dtype, column
        if mode == "none":  # nothing written back: no genes travel
            assert len(packed["c_weight"]) == 0 and len(packed["n_bias"]) == 0


def test_worker_evaluates_packed_shards_as_plain_ones():
    pytest.importorskip("cloudpickle")
    from ottorch.distributed.ray_evaluator import _serialise_task
    from ottorch.distributed.worker import EvalWorker

    for task, cfg, table, seeds, _ in _generations("iris", "lamarckian", size=40, generations=2):
        worker = EvalWorker(_serialise_task(task), {k: getattr(cfg.fine_tune, k) for k in cfg.fine_tune.__dataclass_fields__})
        plain = worker.evaluate_table(table.arrays(), seeds)
        packed = unpack_results(worker.evaluate_packed(pack_table(table), seeds), table)
        for column in ("fitness", "fitness_before", "gradient_steps", "written", "c_weight", "n_bias", "final_loss"):
            np.testing.assert_array_equal(getattr(packed, column), plain[column], err_msg=column)


def test_ray_evaluator_counts_the_bytes_it_ships(local_ray):
    from ottorch.distributed import RayEvaluator

    task, cfg, table, seeds, expected = next(_generations("xor", "none", size=200, generations=1))
    with RayEvaluator(task, cfg.fine_tune, workers=2, shards_per_worker=2) as ev:
        results = ev.evaluate_table(table, seeds)
        sent, received = ev.bytes_sent, ev.bytes_received
        ev.evaluate_table(table, seeds)
        assert (ev.bytes_sent, ev.bytes_received) == (sent, received)  # per call, and the same again
        assert (ev.total_bytes_sent, ev.total_bytes_received) == (2 * sent, 2 * received)
    np.testing.assert_array_equal(results.fitness, expected.fitness)
    # every shard's packed table and seeds, whatever the cut; results: per-genome arrays, no genes
    assert nbytes(pack_table(table)) + seeds.nbytes <= sent < nbytes(pack_table(table)) + seeds.nbytes + 2000
    assert received == nbytes(pack_results(expected, table))


def test_plan_shards_keeps_cheap_shards_above_a_minimum_cost():
    from ottorch.distributed.ray_evaluator import plan_shards

    costs = [5, 50, 7, 30] * 25
    shards = plan_shards(costs, workers=2, shards_per_worker=4, min_cost=400)
    assert sorted(i for shard in shards for i in shard) == list(range(100))
    assert all(sum(costs[i] for i in shard) >= 400 for shard in shards[:-1])
    assert len(shards) < len(plan_shards(costs, workers=2, shards_per_worker=4))
    assert [len(s) for s in plan_shards(costs, 2, 4, min_cost=10**9)] == [100]


def test_shard_times_are_fitted_as_a_fixed_part_plus_a_part_per_cost():
    from ottorch.distributed.ray_evaluator import _fit_shard_times

    fixed, per_cost = _fit_shard_times([(c, 0.02 + 1e-4 * c) for c in (100, 400, 900, 1600)])
    assert fixed == pytest.approx(0.02) and per_cost == pytest.approx(1e-4)
    assert _fit_shard_times([(500, 0.1)]) == (0.0, pytest.approx(2e-4))  # one shard: no fixed part to tell
    assert _fit_shard_times([]) is None

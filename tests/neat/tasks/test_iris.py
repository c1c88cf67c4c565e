"""IrisTask: the data split chosen by ``split_seed``, the same split on Ray workers, and batched fitness
agreeing with the per-genome reference on it."""

from dataclasses import replace

import numpy as np
import pytest

from ottorch.datasets import load_iris
from ottorch.neat import Population
from ottorch.neat.batch_eval import evaluate_table
from ottorch.neat.tasks.supervised import IrisTask

PARTS = ("train", "val", "test")
ARRAYS = [f"{xy}_{part}" for part in PARTS for xy in "xy"]


def sorted_rows(x: np.ndarray) -> np.ndarray:
    return x[np.lexsort(x.T[::-1])]


def raw_parts(task: IrisTask) -> dict[str, np.ndarray]:
    """The flowers of each part with the training split's scaling undone: one affine map scaled the three
    parts, so the statistics of all 150 flowers recover it."""
    x = load_iris().x.numpy().astype(np.float64)
    parts = {name: getattr(task, f"x_{name}").numpy().astype(np.float64) for name in PARTS}
    scaled = np.concatenate(list(parts.values()))
    scale = x.std(axis=0) / scaled.std(axis=0)
    shift = x.mean(axis=0) - scale * scaled.mean(axis=0)
    return {name: part * scale + shift for name, part in parts.items()}


def test_split_is_a_stratified_partition_standardised_on_the_training_flowers():
    task = IrisTask(split_seed=3)
    assert [len(getattr(task, f"x_{name}")) for name in PARTS] == [60, 60, 30]
    for name in PARTS:
        y = getattr(task, f"y_{name}").numpy()
        assert np.bincount(y, minlength=3).tolist() == [len(y) // 3] * 3
    train = task.x_train.numpy()
    np.testing.assert_allclose(train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=0), 1, atol=1e-4)
    restored = np.concatenate(list(raw_parts(task).values()))
    np.testing.assert_allclose(sorted_rows(restored), sorted_rows(load_iris().x.numpy()), atol=1e-4)


def test_split_seed_chooses_the_split_and_the_default_is_split_0():
    a, b, c = IrisTask(split_seed=5), IrisTask(split_seed=5), IrisTask(split_seed=6)
    default, zero = IrisTask(), IrisTask(split_seed=0)
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(a, name).numpy(), getattr(b, name).numpy())
        np.testing.assert_array_equal(getattr(default, name).numpy(), getattr(zero, name).numpy())
    assert not np.allclose(sorted_rows(raw_parts(a)["test"]), sorted_rows(raw_parts(c)["test"]), atol=1e-4)
    assert a.split_seed == 5 and default.split_seed == 0


def test_ray_workers_receive_the_same_split():
    pytest.importorskip("cloudpickle")
    from ottorch.distributed.ray_evaluator import _serialise_task
    from ottorch.distributed.worker import load_task

    task = IrisTask(split_seed=7)
    shipped = load_task(_serialise_task(task))
    assert shipped.split_seed == 7
    for name in ARRAYS:
        np.testing.assert_array_equal(getattr(shipped, name).numpy(), getattr(task, name).numpy())


def test_batched_fitness_matches_the_per_genome_reference_on_another_split():
    task = IrisTask(split_seed=2)
    cfg = task.default_config()
    table, seeds = Population(cfg.replace(pop_size=12), seed=1).ask_table()
    fine_tune = replace(cfg.fine_tune, steps=10)
    batched = evaluate_table(table, seeds, task, fine_tune)
    reference = evaluate_table(table, seeds, task, replace(fine_tune, batched=False))
    np.testing.assert_allclose(batched.fitness, reference.fitness, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(batched.fitness_before, reference.fitness_before, rtol=1e-5, atol=1e-5)

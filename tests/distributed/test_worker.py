"""EvalWorker without Ray: shards are genome-table arrays in, result arrays out."""

import numpy as np
import pytest

from ottorch.neat import Population, SerialEvaluator
from ottorch.neat.tasks.supervised import XORTask

pytest.importorskip("cloudpickle")


def test_worker_takes_and_returns_arrays_only():
    from ottorch.distributed.ray_evaluator import _serialise_task
    from ottorch.distributed.worker import EvalWorker

    task = XORTask()
    cfg = task.default_config().replace(pop_size=12)
    table, seeds = Population(cfg, seed=1).ask_table()
    worker = EvalWorker(_serialise_task(task), {k: getattr(cfg.fine_tune, k) for k in cfg.fine_tune.__dataclass_fields__})
    out = worker.evaluate_table(table.arrays(), seeds)
    assert all(isinstance(v, np.ndarray) for k, v in out.items() if k != "errors") and out["errors"] == {}
    expected = SerialEvaluator(task, cfg.fine_tune).evaluate_table(table, seeds)
    np.testing.assert_array_equal(out["fitness"], expected.fitness)
    np.testing.assert_array_equal(out["c_weight"], expected.c_weight)

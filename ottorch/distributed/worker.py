"""``EvalWorker``: the per-process evaluator a Ray actor wraps. It receives the task once, then
evaluates shards (``GenomeTable`` arrays and seeds) with exactly the function ``SerialEvaluator``
uses, and returns ``TableResults`` arrays: no per-genome Python objects cross the wire. The coordinator
sends and receives the compact forms of ``ottorch.distributed.wire``."""

from __future__ import annotations

import os

from ottorch.distributed.wire import pack_results, unpack_table
from ottorch.neat.batch_eval import evaluate_table
from ottorch.neat.config import FineTuneConfig
from ottorch.neat.evaluator import single_threaded_blas
from ottorch.neat.table import GenomeTable


def load_task(task_bytes: bytes):
    """The task object the coordinator serialised with cloudpickle (Ray transport, never files)."""
    import cloudpickle

    return cloudpickle.loads(task_bytes)


class EvalWorker:
    """Holds the task for the life of the actor and evaluates shards of genome tables."""

    def __init__(self, task_bytes: bytes, fine_tune: dict) -> None:
        self.task = load_task(task_bytes)
        self.fine_tune = FineTuneConfig(**fine_tune)

    def evaluate_table(self, table: dict, seeds) -> dict:
        """``TableResults`` arrays of the genomes of ``table`` (``GenomeTable.arrays()``), in order."""
        with single_threaded_blas():
            return evaluate_table(GenomeTable.from_arrays(table), seeds, self.task, self.fine_tune).arrays()

    def evaluate_packed(self, packed: dict, seeds) -> dict:
        """The same for a shard in the compact wire form (``wire.pack_table``), results packed too."""
        table = unpack_table(packed)
        with single_threaded_blas():
            return pack_results(evaluate_table(table, seeds, self.task, self.fine_tune), table)

    def pid(self) -> int:
        return os.getpid()

    def node_id(self) -> str:
        """The Ray node this actor runs on, so the coordinator can tell a lost node from a crash."""
        import ray

        return ray.get_runtime_context().get_node_id()

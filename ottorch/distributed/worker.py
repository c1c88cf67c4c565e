"""``EvalWorker``: the per-process evaluator a Ray actor wraps. It receives the task once, then
evaluates shards of genome payloads with exactly the function ``SerialEvaluator`` uses."""

from __future__ import annotations

import os
from dataclasses import asdict

from ottorch.neat.config import FineTuneConfig
from ottorch.neat.evaluator import single_threaded_blas
from ottorch.neat.finetune import evaluate_genome
from ottorch.neat.genome import Genome


def load_task(task_bytes: bytes):
    """The task object the coordinator serialised with cloudpickle (Ray transport, never files)."""
    import cloudpickle

    return cloudpickle.loads(task_bytes)


class EvalWorker:
    """Holds the task for the life of the actor and evaluates shards ``[(genome dict, seed), ...]``."""

    def __init__(self, task_bytes: bytes, fine_tune: dict) -> None:
        self.task = load_task(task_bytes)
        self.fine_tune = FineTuneConfig(**fine_tune)

    def evaluate(self, shard: list[tuple[dict, int]]) -> list[dict]:
        """One result dict per (genome, seed), in order."""
        with single_threaded_blas():
            return [asdict(evaluate_genome(Genome.from_dict(g), self.task, self.fine_tune, seed)) for g, seed in shard]

    def pid(self) -> int:
        return os.getpid()

"""The ``Evaluator`` protocol and ``SerialEvaluator``, the reference every other evaluator must match.

An evaluator takes genomes and their seeds and returns one ``EvalResult`` per genome, in order.
BLAS runs single-threaded during evaluation (when ``threadpoolctl`` is installed), as on Ray
workers, so float32 results are identical whichever evaluator ran them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol

from ottorch.neat.config import FineTuneConfig
from ottorch.neat.finetune import EvalResult, evaluate_genome
from ottorch.neat.genome import Genome
from ottorch.neat.tasks.base import Task


class Evaluator(Protocol):
    def evaluate(self, genomes: list[Genome], seeds: list[int],
                 progress: Callable[[int], None] | None = None) -> list[EvalResult]: ...

    def close(self) -> None: ...


def single_threaded_blas():
    """A context in which numpy's BLAS uses one thread (no-op without threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)


class SerialEvaluator:
    """Evaluates genomes one after the other in this process."""

    def __init__(self, task: Task, fine_tune: FineTuneConfig) -> None:
        self.task, self.fine_tune = task, fine_tune

    def evaluate(self, genomes: list[Genome], seeds: list[int],
                 progress: Callable[[int], None] | None = None) -> list[EvalResult]:
        """One result per genome, in order; ``progress(1)`` is called after each."""
        results = []
        with single_threaded_blas():
            for g, s in zip(genomes, seeds):
                results.append(evaluate_genome(g, self.task, self.fine_tune, s))
                if progress is not None:
                    progress(1)
        return results

    def close(self) -> None:
        pass

    def __enter__(self) -> SerialEvaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

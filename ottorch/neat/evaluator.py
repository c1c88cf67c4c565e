"""The ``Evaluator`` protocol and ``SerialEvaluator``, the reference every other evaluator must match.

An evaluator takes genomes and their seeds and returns one ``EvalResult`` per genome, in order
(``evaluate``). Evaluators that also implement ``evaluate_table`` take a ``GenomeTable`` (the genes
as arrays) and return ``TableResults``; ``Population.run`` prefers that form, which never builds a
Python object per genome. BLAS runs single-threaded during evaluation (when ``threadpoolctl`` is
installed), as on Ray workers, so float32 results are identical whichever evaluator ran them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Protocol

from ottorch.neat.batch_eval import TableResults, evaluate_table
from ottorch.neat.config import FineTuneConfig
from ottorch.neat.finetune import EvalResult
from ottorch.neat.genome import Genome
from ottorch.neat.table import GenomeTable
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
    """Evaluates genomes in this process: in batches (``evaluate_table``) when the task supports it and
    ``fine_tune.batched`` is on, else one after the other."""

    def __init__(self, task: Task, fine_tune: FineTuneConfig) -> None:
        self.task, self.fine_tune = task, fine_tune

    def evaluate(self, genomes: list[Genome], seeds: list[int],
                 progress: Callable[[int], None] | None = None) -> list[EvalResult]:
        """One result per genome, in order; ``progress(n)`` is called as genomes finish."""
        table = GenomeTable.from_genomes(genomes)
        return self.evaluate_table(table, seeds, progress).to_list(table)

    def evaluate_table(self, table: GenomeTable, seeds, progress: Callable[[int], None] | None = None) -> TableResults:
        """The results of every genome of ``table``, in order."""
        with single_threaded_blas():
            return evaluate_table(table, seeds, self.task, self.fine_tune, progress)

    def close(self) -> None:
        pass

    def __enter__(self) -> SerialEvaluator:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

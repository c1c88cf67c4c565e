"""A check shared by the lock-step task tests: batched fitness equals each genome's fitness alone."""

import numpy as np

from ottorch.neat.batch_eval import evaluate_table
from ottorch.neat.table import GenomeTable


def assert_lock_step_equals_each_genome_alone(task, genomes: list, fine_tune, distinct: int) -> None:
    """``evaluate_table`` gives every genome the fitness ``task.fitness`` gives it alone, bit for bit, on
    the whole table and on half of it (so not its batch-mates'); more than ``distinct`` values differ."""
    table = GenomeTable.from_genomes(genomes)
    seeds = np.arange(len(genomes)) * 7 + 1
    batched = evaluate_table(table, seeds, task, fine_tune)
    assert not batched.errors
    alone = [task.fitness(None, g, np.random.default_rng(int(s))) for g, s in zip(genomes, seeds)]
    assert batched.fitness.tolist() == alone
    assert len(set(alone)) > distinct
    half = np.arange(0, len(genomes), 2)
    assert evaluate_table(table.take(half), seeds[half], task, fine_tune).fitness.tolist() == alone[::2]

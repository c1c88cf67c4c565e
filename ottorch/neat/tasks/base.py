"""``Task``: how a genome is evaluated (data or environment, loss, fitness, held-out metric)."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ottorch._tensor import Tensor
from ottorch.neat.config import NEATConfig
from ottorch.neat.genome import Genome


class Task:
    """Base class of evaluation tasks; subclasses set the attributes and implement the methods.

    Supervised tasks are ``differentiable``: ``batches`` yields training mini-batches and ``loss``
    gives a differentiable loss, so genomes can be fine-tuned before ``fitness`` is measured on the
    validation data. Control tasks only implement ``fitness`` (evaluated with fine-tuning "none").
    Fitness is always maximised; ``fitness_threshold`` is the default "solved" level.
    """

    name: str = "task"
    num_inputs: int = 1
    num_outputs: int = 1
    #: The task needs recurrent (delay-1) connections: its inputs are sequences.
    recurrent: bool = False
    differentiable: bool = True
    fitness_threshold: float = np.inf
    #: The value given to a genome whose evaluation failed or produced NaN.
    worst_fitness: float = -1e9

    def default_config(self, mode: str | None = None) -> NEATConfig:
        """A configuration that solves this task (used when the user gives none). ``mode`` is the
        fine-tuning mode it is for, when a task tunes pure NEAT differently; None means its default."""
        raise NotImplementedError

    def fitness(self, net, genome: Genome, rng: np.random.Generator) -> float:
        """Fitness of the (possibly fine-tuned) network ``net`` of ``genome``; higher is better."""
        raise NotImplementedError

    def batches(self, rng: np.random.Generator, batch_size: int) -> Iterator[tuple[Tensor, Tensor]]:
        """An endless stream of training mini-batches ``(x, y)``."""
        raise NotImplementedError(f"task {self.name} is not differentiable")

    def loss(self, net, x: Tensor, y: Tensor) -> Tensor:
        raise NotImplementedError(f"task {self.name} is not differentiable")

    def test_metric(self, net, genome: Genome) -> dict[str, float]:
        """The task's metric on held-out data, for reporting the champion."""
        return {}

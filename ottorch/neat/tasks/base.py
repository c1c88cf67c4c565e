"""``Task``: how a genome is evaluated (data or environment, loss, fitness, held-out metric).

A task has two interfaces. The per-genome one (``fitness``, ``loss``, ``batches``, ``test_metric``)
takes one ``GenomeNetwork``; every task implements it and it is the reference. The batched one
(``batch_fitness``, ``batch_loss``, ``batch_minibatches``, ``batch_test_metric``) takes a
``BatchedNetwork`` of G genomes and returns one value per genome; evaluators use it when
``supports_batches()`` says the task's batched methods are at least as specific as its per-genome
ones, and fall back to one genome at a time otherwise, so a user task that only implements the
per-genome methods keeps working unchanged.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

import ottorch
from ottorch._functions import stack
from ottorch._tensor import Tensor
from ottorch.neat.config import NEATConfig
from ottorch.neat.genome import Genome

#: supports_batches() per (task class, differentiable): the answer depends on the class only.
_BATCHED: dict[tuple[type, bool], bool] = {}


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
    #: The dtype of the ``BatchedNetwork``s the batched interface receives.
    dtype = ottorch.float32

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

    def solves(self, genome: Genome) -> bool:
        """Whether a generation's champion that reached the fitness threshold solves the task: a further
        test, such as the double pole benchmark's long run and generalisation test (True by default)."""
        return True

    # ------------------------------------------------------------------ batched interface

    def batch_fitness(self, net, rngs: Sequence[np.random.Generator]) -> np.ndarray:
        """Fitness (G,) of the G genomes of the ``BatchedNetwork`` ``net``; ``rngs[i]`` is genome i's
        evaluation generator (the one ``fitness`` would get)."""
        raise NotImplementedError(f"task {self.name} has no batched fitness")

    def batch_loss(self, net, x: Tensor, y: Tensor) -> Tensor:
        """Differentiable loss (G,) of each genome on its mini-batch (``x``, ``y`` with a leading genome
        dimension, of size G or 1); summing it and calling ``backward`` trains every genome at once."""
        raise NotImplementedError(f"task {self.name} has no batched loss")

    def batch_minibatches(self, rngs: Sequence[np.random.Generator],
                          batch_size: int) -> Iterator[tuple[Tensor, Tensor]]:
        """An endless stream of stacked mini-batches ``(x (G, B, ...), y (G, B, ...))``, genome i's drawn
        with ``rngs[i]`` exactly as ``batches`` would draw them (this default stacks ``batches``)."""
        streams = [self.batches(rng, batch_size) for rng in rngs]
        while True:
            xs, ys = zip(*(next(s) for s in streams))
            yield stack(list(xs)), stack(list(ys))

    def batch_test_metric(self, net) -> dict[str, np.ndarray]:
        """``test_metric`` of each genome of ``net``: name -> values (G,)."""
        raise NotImplementedError(f"task {self.name} has no batched test metric")

    def evaluation_samples(self, batch_size: int) -> int:
        """Samples (batch x time steps) in one genome's largest pass, for the batch memory budget."""
        return 1024

    def supports_batches(self) -> bool:
        """Whether evaluators may use the batched interface: each batched method must be defined in the
        class that defines its per-genome counterpart, or in a subclass of it."""
        key = (type(self), self.differentiable)
        found = _BATCHED.get(key)
        if found is None:
            found = _BATCHED[key] = self._batched_methods_agree()
        return found

    def _batched_methods_agree(self) -> bool:
        pairs = [("fitness", "batch_fitness")]
        if self.differentiable:
            pairs += [("loss", "batch_loss"), ("batches", "batch_minibatches")]
        mro = type(self).__mro__
        for single, batched in pairs:
            owner = next(c for c in mro if single in vars(c))
            batched_owner = next(c for c in mro if batched in vars(c))
            # Task's own batch_minibatches stacks whatever ``batches`` yields, so it always agrees.
            generic = batched_owner is Task and batched == "batch_minibatches"
            if not generic and (batched_owner is Task or not issubclass(batched_owner, owner)):
                return False
        return True

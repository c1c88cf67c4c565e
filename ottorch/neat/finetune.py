"""Evaluate one genome: compile it, optionally fine-tune it by gradient descent, measure fitness.

``lamarckian``: train, and return the trained weights for writing back into the genome; if training
made the validation fitness worse, the pre-training weights and fitness are kept. ``darwinian``:
the fitness after training, genes unchanged. ``none``: pure NEAT. A NaN/infinite loss or an
exception gives the task's worst fitness and the reason, never an exception.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np

from ottorch.neat.config import FineTuneConfig
from ottorch.neat.genome import Genome
from ottorch.neat.phenotype import compile_genome
from ottorch.neat.tasks.base import Task
from ottorch.nn.utils import clip_grad_norm_
from ottorch.optim import SGD, Adagrad, Adam, AdamW, RMSprop

OPTIMIZERS = {"adam": Adam, "adamw": AdamW, "sgd": SGD, "rmsprop": RMSprop, "adagrad": Adagrad}


@dataclass
class EvalResult:
    """What an evaluation sends back: fitness, trained genes (Lamarckian) and counters."""

    key: int
    fitness: float
    weights: dict[int, float] | None = None
    biases: dict[int, float] | None = None
    gradient_steps: int = 0
    fitness_before: float | None = None
    error: str | None = None
    seconds: float = 0.0
    stats: dict = field(default_factory=dict)


_GOLDEN = 0x9E3779B97F4A7C15
_MASK = 2**64 - 1


def _splitmix(z: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser on uint64 arrays: a bijection whose outputs look independent."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _splitmix_int(z: int) -> int:
    """``_splitmix`` of one value on Python ints (an array of one costs ten times as much)."""
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def evaluation_seeds(run_seed: int, generation: int, genome_keys) -> np.ndarray:
    """The seeds (int64, non-negative) of evaluations of ``genome_keys`` in ``generation``: a hash of
    (run seed, generation, genome key) only, so results never depend on which worker ran them or in
    what order. Genome ``k`` gets element ``k`` of a SplitMix64 stream whose start hashes the run seed
    and the generation; a whole population's seeds cost one numpy pass."""
    start = _splitmix_int((run_seed * _GOLDEN + generation) & _MASK)
    keys = np.asarray(genome_keys, dtype=np.int64).astype(np.uint64)
    with np.errstate(over="ignore"):
        h = _splitmix(np.uint64(start) + (keys + np.uint64(1)) * np.uint64(_GOLDEN))
    return (h >> np.uint64(1)).astype(np.int64)


def evaluation_seed(run_seed: int, generation: int, genome_key: int) -> int:
    """The seed of one evaluation (see ``evaluation_seeds``)."""
    return int(evaluation_seeds(run_seed, generation, [genome_key])[0])


def evaluate_genome(genome: Genome, task: Task, cfg: FineTuneConfig, seed: int) -> EvalResult:
    """Fitness of ``genome`` on ``task`` with the fine-tuning of ``cfg`` (see the module doc)."""
    start = time.perf_counter()
    rng = np.random.default_rng(seed)
    steps = 0
    try:
        net = compile_genome(genome)
        before = _checked(task.fitness(net, genome, rng), "fitness")
        mode = cfg.mode if task.differentiable else "none"
        if mode == "none" or cfg.steps == 0 or net.weight.numel() + net.bias.numel() == 0:
            return EvalResult(genome.key, before, fitness_before=before, seconds=time.perf_counter() - start)
        params = [net.weight, net.bias] if cfg.train_biases else [net.weight]
        opt = OPTIMIZERS[cfg.optimizer](params, lr=cfg.lr)
        batches = task.batches(rng, cfg.batch_size)
        loss_value = math.nan
        for _ in range(cfg.steps):
            x, y = next(batches)
            opt.zero_grad()
            loss = task.loss(net, x, y)
            loss_value = _checked(loss.item(), f"loss at step {steps}")
            loss.backward()
            if cfg.grad_clip:
                clip_grad_norm_(params, cfg.grad_clip)
            opt.step()
            steps += 1
        after = _checked(task.fitness(net, genome, rng), "fitness after training")
        result = EvalResult(genome.key, after, gradient_steps=steps, fitness_before=before,
                            stats={"final_loss": loss_value})
        if mode == "lamarckian":
            if after >= before:
                result.weights, result.biases = net.export()
            else:  # training hurt: keep the genome's own weights and their fitness
                result.fitness = before
                result.stats["rolled_back"] = True
    except Exception as e:  # noqa: BLE001 - any failure of a genome is data, not a crash
        result = EvalResult(genome.key, task.worst_fitness, gradient_steps=steps, error=f"{type(e).__name__}: {e}")
    result.seconds = time.perf_counter() - start
    return result


def _checked(value: float, what: str) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise FloatingPointError(f"{what} is {value}")
    return value

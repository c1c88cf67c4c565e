"""Evaluate a ``GenomeTable``: fitness and gradient fine-tuning of many genomes as one computation.

``evaluate_table`` compiles the table into ``BatchedNetwork``s (genomes of equal padded size
together, at most ``max_batch_genomes`` / ``max_batch_mb`` per batch) and, for each, runs the
semantics of ``evaluate_genome`` for all its genomes at once: fitness before training, ``steps``
optimizer steps in which every genome draws its own mini-batches from its own evaluation seed,
gradients clipped per genome, then fitness after training with a per-genome Lamarckian roll-back.
The optimizer is one ``ottorch.optim`` optimizer over the stacked parameters, so its state is kept
per genome (per element). A genome whose loss or fitness turns NaN or infinite gets the worst
fitness and the reason; it is frozen at zero so the rest of its batch runs on unchanged.

Tasks without a batched interface (``Task.supports_batches``), and ``fine_tune.batched = false``,
take the per-genome reference path, ``evaluate_genome``, one genome at a time; so do genomes so large
and deep that they are bound by arithmetic (``batched.MAX_BATCHED_WORK``), where batching saves no
per-call cost worth its padding, and genomes with nodes that aggregate by anything but a sum. The
choice depends on the genome alone, so results still do not depend on a genome's batch-mates.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

import ottorch
from ottorch.neat.batched import MAX_BATCHED_WORK, BatchedNetwork, compile_table, estimate_bytes
from ottorch.neat.config import FineTuneConfig
from ottorch.neat.finetune import OPTIMIZERS, EvalResult, evaluate_genome
from ottorch.neat.pool import segment_index
from ottorch.neat.table import GenomeTable
from ottorch.neat.tasks.base import Task

log = logging.getLogger("ottorch.neat")


@dataclass
class TableResults:
    """The evaluation of a table's G genomes, as arrays.

    Per genome: ``fitness``, ``fitness_before`` (NaN when not measured), ``gradient_steps``,
    ``written`` (trained weights were written back: Lamarckian and not rolled back),
    ``final_loss`` (NaN when not trained), ``rolled_back``, ``seconds``; ``errors`` maps a genome
    index to the reason it got the worst fitness. ``c_weight`` / ``n_bias`` are the table's
    weight and bias columns with the written-back values in place.
    """

    keys: np.ndarray
    fitness: np.ndarray
    fitness_before: np.ndarray
    gradient_steps: np.ndarray
    written: np.ndarray
    c_weight: np.ndarray
    n_bias: np.ndarray
    final_loss: np.ndarray
    rolled_back: np.ndarray
    seconds: np.ndarray
    errors: dict[int, str] = field(default_factory=dict)

    @classmethod
    def start(cls, table: GenomeTable, worst: float) -> TableResults:
        """Every genome at the worst fitness, nothing trained or written yet."""
        G = len(table)
        return cls(table.keys.copy(), np.full(G, float(worst)), np.full(G, np.nan), np.zeros(G, dtype=np.int64),
                   np.zeros(G, dtype=bool), table.c_weight.copy(), table.n_bias.copy(), np.full(G, np.nan),
                   np.zeros(G, dtype=bool), np.zeros(G))

    def __len__(self) -> int:
        return len(self.keys)

    # ------------------------------------------------------------------ conversions

    @classmethod
    def from_list(cls, results: list[EvalResult], table: GenomeTable) -> TableResults:
        """Results of the per-genome path, in table order."""
        out = cls.start(table, 0.0)
        cs, ns = table.starts("c"), table.starts("n")
        for i, r in enumerate(results):
            if r.key != table.keys[i]:
                raise ValueError(f"result {i} is for genome {r.key}, expected genome {int(table.keys[i])}")
            out.fitness[i] = r.fitness
            out.fitness_before[i] = np.nan if r.fitness_before is None else r.fitness_before
            out.gradient_steps[i] = r.gradient_steps
            out.final_loss[i] = r.stats.get("final_loss", np.nan)
            out.rolled_back[i] = bool(r.stats.get("rolled_back", False))
            out.seconds[i] = r.seconds
            if r.error is not None:
                out.errors[i] = r.error
            if r.weights is not None:
                out.written[i] = True
                seg = slice(cs[i], cs[i + 1])
                innovs = np.fromiter(r.weights, dtype=np.int64, count=len(r.weights))
                out.c_weight[seg.start + np.searchsorted(table.c_innov[seg], innovs)] = list(r.weights.values())
                seg = slice(ns[i], ns[i + 1])
                ids = np.fromiter(r.biases or {}, dtype=np.int64, count=len(r.biases or {}))
                out.n_bias[seg.start + np.searchsorted(table.n_id[seg], ids)] = list((r.biases or {}).values())
        return out

    def to_list(self, table: GenomeTable) -> list[EvalResult]:
        """One ``EvalResult`` per genome (written-back genes as dicts by innovation / node id)."""
        cs, ns = table.starts("c"), table.starts("n")
        results = []
        for i in range(len(self)):
            stats = {}
            if not math.isnan(self.final_loss[i]):
                stats["final_loss"] = float(self.final_loss[i])
            if self.rolled_back[i]:
                stats["rolled_back"] = True
            r = EvalResult(int(self.keys[i]), float(self.fitness[i]), gradient_steps=int(self.gradient_steps[i]),
                           fitness_before=None if math.isnan(self.fitness_before[i]) else float(self.fitness_before[i]),
                           error=self.errors.get(i), seconds=float(self.seconds[i]), stats=stats)
            if self.written[i]:
                c, n = slice(cs[i], cs[i + 1]), slice(ns[i], ns[i + 1])
                r.weights = dict(zip(table.c_innov[c].tolist(), self.c_weight[c].tolist()))
                r.biases = dict(zip(table.n_id[n].tolist(), self.n_bias[n].tolist()))
            results.append(r)
        return results

    def arrays(self) -> dict:
        """Plain arrays (and the error dict) for transport between processes."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_arrays(cls, arrays: dict) -> TableResults:
        return cls(**arrays)

    def place(self, table: GenomeTable, index: np.ndarray, part: TableResults) -> None:
        """Write ``part``, the results of ``table.take(index)``, into these results of ``table``."""
        cs, ns = table.starts("c"), table.starts("n")
        for name in ("keys", "fitness", "fitness_before", "gradient_steps", "written", "final_loss", "rolled_back",
                     "seconds"):
            getattr(self, name)[index] = getattr(part, name)
        self.c_weight[segment_index(cs[index], cs[index + 1] - cs[index])] = part.c_weight
        self.n_bias[segment_index(ns[index], ns[index + 1] - ns[index])] = part.n_bias
        for i in index.tolist():
            self.errors.pop(i, None)
        self.errors.update({int(index[i]): message for i, message in part.errors.items()})


class _Generators(Sequence):
    """Each genome's evaluation generator, made when first used (most tasks never draw)."""

    def __init__(self, seeds: np.ndarray) -> None:
        self.seeds = seeds
        self._made: dict[int, np.random.Generator] = {}

    def __len__(self) -> int:
        return len(self.seeds)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        rng = self._made.get(i)
        if rng is None:
            rng = self._made[i] = np.random.default_rng(int(self.seeds[i]))
        return rng

    def __iter__(self) -> Iterator[np.random.Generator]:
        return (self[i] for i in range(len(self)))


def evaluate_table(table: GenomeTable, seeds: Sequence[int], task: Task, cfg: FineTuneConfig,
                   progress: Callable[[int], None] | None = None) -> TableResults:
    """Fitness and fine-tuning of every genome of ``table`` (see the module doc); ``seeds[i]`` is genome
    i's evaluation seed. ``progress(n)`` is called as genomes finish."""
    seeds = np.asarray(seeds, dtype=np.int64)
    out = TableResults.start(table, task.worst_fitness)
    if not cfg.batched or not task.supports_batches():
        _evaluate_singly(table, np.arange(len(table)), seeds, task, cfg, out, progress)
        return out
    samples = task.evaluation_samples(cfg.batch_size)
    budget = cfg.max_batch_mb * 2**20

    def cap(size: int, recurrent: bool) -> int:
        return min(cfg.max_batch_genomes, int(budget // estimate_bytes(table.num_inputs, size, recurrent, samples)))

    networks, errors, single = compile_table(table, cap, task.dtype, MAX_BATCHED_WORK, sum_only=True)
    out.errors.update(errors)
    if errors and progress is not None:
        progress(len(errors))
    if len(single):
        _evaluate_singly(table, single, seeds, task, cfg, out, progress)
    for net in networks:
        start = time.perf_counter()
        try:
            # overflow is expected from a diverging genome; its non-finite loss is caught and reported
            with np.errstate(over="ignore", invalid="ignore"):
                _evaluate_network(net, seeds[net.genomes], task, cfg, out)
        except Exception as e:  # noqa: BLE001 - a failing batched method falls back to one genome at a time
            log.warning("batched evaluation of %d genomes failed (%s: %s); evaluating them one at a time",
                        net.num_genomes, type(e).__name__, e)
            _evaluate_singly(table, net.genomes, seeds, task, cfg, out, None)
        else:
            out.seconds[net.genomes] = (time.perf_counter() - start) / net.num_genomes
        if progress is not None:
            progress(net.num_genomes)
    return out


def _evaluate_singly(table: GenomeTable, index: np.ndarray, seeds: np.ndarray, task: Task, cfg: FineTuneConfig,
                     out: TableResults, progress: Callable[[int], None] | None) -> None:
    """The per-genome path for the genomes ``index`` of ``table``, written into ``out``."""
    sub = table.take(index)
    results = []
    for i, seed in enumerate(seeds[index].tolist()):
        results.append(evaluate_genome(sub.genome(i), task, cfg, seed))
        if progress is not None:
            progress(1)
    out.place(table, index, TableResults.from_list(results, sub))


def _fail(out: TableResults, genomes: np.ndarray, local: np.ndarray, values: np.ndarray, what: str,
          steps: int) -> None:
    for j in local.tolist():
        out.errors[int(genomes[j])] = f"FloatingPointError: {what} is {float(values[j])}"
    out.gradient_steps[genomes[local]] = steps


def _freeze(net: BatchedNetwork, opt, dead: np.ndarray) -> None:
    """Zero the parameters and optimizer state of failed genomes, so they compute on finite numbers."""
    for p in net.parameters():
        p.detach().numpy()[dead] = 0
        for value in opt.state.get(p, {}).values():
            array = value.numpy() if hasattr(value, "numpy") else value
            if isinstance(array, np.ndarray) and array.shape == p.shape:
                array[dead] = 0


def _clip_per_genome(params: list, max_norm: float) -> None:
    """``clip_grad_norm_`` of each genome's gradients on their own."""
    grads = [p.grad.numpy() for p in params if p.grad is not None]
    G = grads[0].shape[0]
    total = sum(np.square(g).reshape(G, -1).sum(axis=1).astype(np.float64) for g in grads) ** 0.5
    coef = max_norm / (total + 1e-6)
    scale = np.where(coef < 1, coef, 1.0).astype(grads[0].dtype)
    for g in grads:
        g *= scale.reshape((G,) + (1,) * (g.ndim - 1))


def _evaluate_network(net: BatchedNetwork, seeds: np.ndarray, task: Task, cfg: FineTuneConfig,
                      out: TableResults) -> None:
    genomes = net.genomes
    rngs = _Generators(seeds)
    with ottorch.no_grad():
        before = np.asarray(task.batch_fitness(net, rngs), dtype=np.float64)
    _check_shape(before, net, "batch_fitness")
    alive = np.isfinite(before)
    if not alive.all():
        _fail(out, genomes, np.flatnonzero(~alive), before, "fitness", 0)
    mode = cfg.mode if task.differentiable else "none"
    if mode == "none" or cfg.steps == 0:
        out.fitness[genomes[alive]] = before[alive]
        out.fitness_before[genomes[alive]] = before[alive]
        return
    params = net.parameters_to_train(cfg.train_biases)
    opt = OPTIMIZERS[cfg.optimizer](params, lr=cfg.lr)
    stream = task.batch_minibatches(rngs, cfg.batch_size)
    if not alive.all():
        _freeze(net, opt, ~alive)
    for step in range(cfg.steps):
        x, y = next(stream)
        opt.zero_grad()
        loss = task.batch_loss(net, x, y)
        values = loss.detach().numpy()
        _check_shape(values, net, "batch_loss")
        bad = alive & ~np.isfinite(values)
        if bad.any():
            _fail(out, genomes, np.flatnonzero(bad), values, f"loss at step {step}", step)
            alive &= ~bad
            if not alive.any():
                return
        loss.sum().backward()
        if not alive.all():
            for p in params:
                p.grad.numpy()[~alive] = 0
        if cfg.grad_clip:
            _clip_per_genome(params, cfg.grad_clip)
        opt.step()
        if not alive.all():
            _freeze(net, opt, ~alive)
    last_loss = values  # the final step's losses (those of failed genomes are not reported)
    with ottorch.no_grad():
        after = np.asarray(task.batch_fitness(net, rngs), dtype=np.float64)
    bad = alive & ~np.isfinite(after)
    if bad.any():
        _fail(out, genomes, np.flatnonzero(bad), after, "fitness after training", cfg.steps)
        alive &= ~bad
    done = genomes[alive]
    out.gradient_steps[done] = cfg.steps
    out.fitness_before[done] = before[alive]
    out.final_loss[done] = last_loss[alive]
    if mode == "darwinian":
        out.fitness[done] = after[alive]
        return
    improved = alive & (after >= before)
    out.fitness[done] = np.where(improved, after, before)[alive]
    out.rolled_back[genomes[alive & ~improved]] = True
    out.written[genomes[improved]] = True
    weights, biases = net.export()
    conns = improved[net.conn_at[0]]
    out.c_weight[net.conn_index[conns]] = weights[conns]
    nodes = improved[net.node_at[0]]
    out.n_bias[net.node_index[nodes]] = biases[nodes]


def _check_shape(values: np.ndarray, net: BatchedNetwork, what: str) -> None:
    if values.shape != (net.num_genomes,):
        raise ValueError(f"{what} must give one value per genome, shape ({net.num_genomes},); got {values.shape}")

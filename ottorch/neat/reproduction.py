"""Stagnation, fitness sharing, offspring allocation and breeding of the next generation.

Each step is a small function: ``update_stagnation`` drops species that stopped improving (the best
``species_elitism`` are protected), ``allocate_offspring`` turns shared fitness into offspring
counts that sum exactly to the population size, and ``reproduce`` copies each species' elites
unchanged and fills the rest with children of its best members (crossover or mutated copies,
occasionally mating across species), all mutated.
"""

from __future__ import annotations

import math

import numpy as np

from ottorch.neat.config import NEATConfig
from ottorch.neat.crossover import crossover
from ottorch.neat.innovation import InnovationTracker
from ottorch.neat.mutation import mutate
from ottorch.neat.pool import GenePool
from ottorch.neat.species import SpeciesSet

_AGGREGATE = {"max": np.max, "min": np.min, "mean": np.mean, "median": np.median}


class CompleteExtinctionError(RuntimeError):
    """Every species stagnated and ``reset_on_extinction`` is off."""


def update_stagnation(species_set: SpeciesSet, fitness: np.ndarray, generation: int, cfg: NEATConfig) -> list[int]:
    """Record each species' fitness; return the keys of stagnant species to remove."""
    agg = _AGGREGATE[cfg.stagnation.species_fitness_func]
    scored = []
    for key, s in species_set.species.items():
        value = float(agg(fitness[s.members]))
        s.fitness_history.append(value)
        if value > s.best_fitness:
            s.best_fitness, s.last_improved = value, generation
        scored.append((value, key))
    # The best species_elitism species never stagnate (ties broken by the older species).
    protected = {key for _, key in sorted(scored, key=lambda vk: (-vk[0], vk[1]))[: cfg.stagnation.species_elitism]}
    return [key for key, s in species_set.species.items()
            if key not in protected and generation - s.last_improved >= cfg.stagnation.max_stagnation]


def allocate_offspring(adjusted: np.ndarray, sizes: np.ndarray, pop_size: int, min_size: int,
                       smooth: bool) -> np.ndarray:
    """Offspring per species, proportional to ``adjusted`` fitness and summing exactly to ``pop_size``.

    With ``smooth`` (neat-python's "normalized" scheme) each species moves half way from its current
    size towards its share, which damps oscillations. Every species gets at least ``min_size`` while
    the population has room for it (the fittest species first otherwise).
    """
    adjusted = np.maximum(adjusted, 0.0)
    total = adjusted.sum()
    share = adjusted / total * pop_size if total > 0 else np.full(len(adjusted), pop_size / len(adjusted))
    if smooth:
        step = (share - sizes) * 0.5
        rounded = np.round(step)
        share = sizes + np.where(rounded != 0, rounded, np.sign(step))
    share = np.maximum(share, min_size)
    quota = share / share.sum() * pop_size
    counts = np.floor(quota).astype(np.int64)
    floor = min(min_size, pop_size // len(counts))
    counts = np.maximum(counts, floor)
    order = np.argsort(-(quota - counts), kind="stable")  # largest remainder first
    i = 0
    while counts.sum() < pop_size:
        counts[order[i % len(order)]] += 1
        i += 1
    by_size = np.argsort(quota - counts, kind="stable")
    i = 0
    while counts.sum() > pop_size:
        j = by_size[i % len(by_size)]
        if counts[j] > floor:
            counts[j] -= 1
        i += 1
    return counts


def adjusted_fitness(species_fitness: list[np.ndarray], method: str) -> np.ndarray:
    """Fitness sharing: the mean fitness of each species, shifted (and for "normalized" scaled) by
    the population's fitness range so it is non-negative."""
    everything = np.concatenate(species_fitness)
    low, high = float(everything.min()), float(everything.max())
    means = np.array([f.mean() for f in species_fitness])
    if method == "normalized":
        return (means - low) / max(1.0, high - low)
    return means - low + 1e-12


def reproduce(pool: GenePool, fitness: np.ndarray, species_set: SpeciesSet, generation: int, cfg: NEATConfig,
              rng: np.random.Generator, tracker: InnovationTracker, next_key: int) -> tuple[GenePool, int]:
    """The next generation's pool (exactly ``pop_size`` rows) and the next free genome key."""
    removed = update_stagnation(species_set, fitness, generation, cfg)
    for key in removed:
        del species_set.species[key]
    if not species_set.species:
        raise CompleteExtinctionError("all species stagnated")
    rc = cfg.reproduction
    keys = sorted(species_set.species)
    members = [species_set.species[k].members[np.argsort(-fitness[species_set.species[k].members], kind="stable")]
               for k in keys]
    adjusted = adjusted_fitness([fitness[m] for m in members], rc.fitness_sharing)
    for k, a in zip(keys, adjusted):
        species_set.species[k].adjusted_fitness = float(a)
    sizes = np.array([len(m) for m in members], dtype=np.float64)
    counts = allocate_offspring(adjusted, sizes, cfg.pop_size, rc.min_species_size, rc.fitness_sharing == "normalized")

    elites, fitter, other, clones = [], [], [], []
    parent_pools = [m[: max(2, math.ceil(rc.survival_threshold * len(m)))] for m in members]
    all_parents = np.concatenate(parent_pools)
    for m, parents, count in zip(members, parent_pools, counts):
        n_elite = min(rc.elitism, len(m), int(count))
        elites.extend(m[:n_elite].tolist())
        n_children = int(count) - n_elite
        if n_children <= 0:
            continue
        first = parents[rng.integers(0, len(parents), n_children)]
        cross = rng.random(n_children) < rc.crossover_rate
        foreign = cross & (rng.random(n_children) < rc.interspecies_crossover_prob)
        second = np.where(foreign, all_parents[rng.integers(0, len(all_parents), n_children)],
                          parents[rng.integers(0, len(parents), n_children)])
        # the fitter parent leads; ties keep the first draw
        swap = fitness[second] > fitness[first]
        lead, follow = np.where(swap, second, first), np.where(swap, first, second)
        fitter.extend(lead[cross].tolist())
        other.extend(follow[cross].tolist())
        clones.extend(first[~cross].tolist())

    parts = [pool.take(np.asarray(elites, dtype=np.int64))]
    children = GenePool.concat([crossover(pool, np.asarray(fitter, dtype=np.int64), np.asarray(other, dtype=np.int64),
                                          rng, cfg.genome.disable_inherited_prob),
                                pool.take(np.asarray(clones, dtype=np.int64))])
    children.keys = np.arange(next_key, next_key + len(children), dtype=np.int64)
    tracker.new_generation()
    parts.append(mutate(children, cfg.genome, rng, tracker))
    return GenePool.concat(parts), next_key + len(children)

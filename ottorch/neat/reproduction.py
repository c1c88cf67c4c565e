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
    how = cfg.stagnation.species_fitness_func
    species = list(species_set.species.items())
    if how in ("max", "min") and species:  # exact as a segment reduction
        sizes = [len(s.members) for _, s in species]
        ufunc = np.maximum if how == "max" else np.minimum
        values = ufunc.reduceat(fitness[np.concatenate([s.members for _, s in species])],
                                np.concatenate([[0], np.cumsum(sizes)[:-1]])).tolist()
    else:
        agg = _AGGREGATE[how]
        values = [float(agg(fitness[s.members])) for _, s in species]
    scored = []
    for (key, s), value in zip(species, values):
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
    # each species' members, fittest first (ties in row order)
    sizes = np.array([len(species_set.species[k].members) for k in keys])
    everyone = np.concatenate([species_set.species[k].members for k in keys])
    everyone = everyone[np.lexsort((-fitness[everyone], np.repeat(np.arange(len(keys)), sizes)))]
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    members = [everyone[a:b] for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist())]
    adjusted = adjusted_fitness([fitness[m] for m in members], rc.fitness_sharing)
    for k, a in zip(keys, adjusted):
        species_set.species[k].adjusted_fitness = float(a)
    counts = allocate_offspring(adjusted, sizes.astype(np.float64), cfg.pop_size, rc.min_species_size,
                                rc.fitness_sharing == "normalized")

    # the draws, species by species; then parents for all of them at once
    parent_pools = [m[: max(2, math.ceil(rc.survival_threshold * len(m)))] for m in members]
    all_parents = np.concatenate(parent_pools)
    n_parents = np.array([len(p) for p in parent_pools])
    parent_start = np.concatenate([[0], np.cumsum(n_parents)[:-1]])
    elites, draws, owners = [], [], []
    n_all = len(all_parents)
    for j, (m, count, n) in enumerate(zip(members, counts.tolist(), n_parents.tolist())):
        n_elite = min(rc.elitism, len(m), count)
        elites.append(m[:n_elite])
        n_children = count - n_elite
        if n_children <= 0:
            continue
        draws.append((rng.integers(0, n, n_children), rng.random(n_children), rng.random(n_children),
                      rng.integers(0, n_all, n_children), rng.integers(0, n, n_children)))
        owners.append(np.full(n_children, j))
    elites = np.concatenate(elites)
    if draws:
        pick, cross_draw, foreign_draw, anyone, mate = (np.concatenate(d) for d in zip(*draws))
        start = parent_start[np.concatenate(owners)]
        first = all_parents[start + pick]
        cross = cross_draw < rc.crossover_rate
        foreign = cross & (foreign_draw < rc.interspecies_crossover_prob)
        second = np.where(foreign, all_parents[anyone], all_parents[start + mate])
        # the fitter parent leads; ties keep the first draw
        swap = fitness[second] > fitness[first]
        lead, follow = np.where(swap, second, first), np.where(swap, first, second)
        fitter, other, clones = lead[cross], follow[cross], first[~cross]
    else:
        fitter = other = clones = np.zeros(0, dtype=np.int64)

    parts = [pool.take(elites)]
    children = GenePool.concat([crossover(pool, fitter, other, rng, cfg.genome.disable_inherited_prob),
                                pool.take(clones)])
    children.keys = np.arange(next_key, next_key + len(children), dtype=np.int64)
    tracker.new_generation()
    parts.append(mutate(children, cfg.genome, rng, tracker))
    return GenePool.concat(parts), next_key + len(children)

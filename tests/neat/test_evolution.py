"""Speciation, stagnation, reproduction and the population loop: sizes, elites, determinism, resume."""

from dataclasses import replace

import numpy as np
import pytest

from ottorch.neat import (
    CompleteExtinctionError,
    FineTuneConfig,
    GenomeConfig,
    NEATConfig,
    Population,
    ReproductionConfig,
    SerialEvaluator,
    SpeciesConfig,
    StagnationConfig,
)
from ottorch.neat.initial import initial_pool
from ottorch.neat.innovation import InnovationTracker
from ottorch.neat.mutation import GeneLists, add_node
from ottorch.neat.reproduction import allocate_offspring, reproduce, update_stagnation
from ottorch.neat.species import SpeciesSet
from ottorch.neat.tasks.supervised import XORTask

PURE = NEATConfig(pop_size=60, fitness_threshold=3.9, fine_tune=FineTuneConfig(mode="none"),
                  genome=GenomeConfig(num_inputs=2, num_outputs=1))


def _pool(n=30, seed=0, splits=10):
    cfg = GenomeConfig(num_inputs=2, num_outputs=1)
    tracker = InnovationTracker(2, 1)
    rng = np.random.default_rng(seed)
    pool = initial_pool(n, cfg, rng, tracker)
    edited = []
    for row in range(splits):
        tracker.new_generation()
        lists = GeneLists.of(pool, row)
        add_node(lists, cfg, rng, tracker)
        add_node(lists, cfg, rng, tracker)
        edited.append(lists)
    return pool.with_rows(np.arange(splits), edited), cfg, tracker


def test_speciation_assigns_everyone_within_threshold_of_the_representative():
    pool, cfg, _ = _pool()
    species = SpeciesSet(SpeciesConfig(compatibility_threshold=1.0))
    species.speciate(pool, 0, cfg)
    members = np.concatenate([s.members for s in species.species.values()])
    assert sorted(members.tolist()) == list(range(len(pool)))
    assert len(species.species) > 1
    species.speciate(pool, 1, cfg)  # species persist and keep their keys
    assert min(species.species) == 1
    loose = SpeciesSet(SpeciesConfig(compatibility_threshold=100.0))
    loose.speciate(pool, 0, cfg)
    assert len(loose.species) == 1


def test_adaptive_threshold_moves_towards_the_target():
    pool, cfg, _ = _pool()
    species = SpeciesSet(SpeciesConfig(compatibility_threshold=0.01, target_num_species=2, threshold_adjust_rate=0.5))
    species.speciate(pool, 0, cfg)
    assert species.threshold == pytest.approx(0.51)
    few = SpeciesSet(SpeciesConfig(compatibility_threshold=50.0, target_num_species=5, threshold_adjust_rate=1.0))
    few.speciate(pool, 0, cfg)
    assert few.threshold == 49.0


def test_allocate_offspring_sums_exactly_and_respects_the_minimum():
    for adjusted, sizes, pop in [([1.0, 2.0, 3.0], [10, 10, 10], 30), ([0.0, 0.0], [5, 7], 13),
                                 ([5.0, 0.01, 0.01, 0.01], [40, 1, 1, 1], 150), ([1.0] * 7, [1] * 7, 10)]:
        for smooth in (True, False):
            counts = allocate_offspring(np.array(adjusted), np.array(sizes, float), pop, 2, smooth)
            assert counts.sum() == pop
            assert counts.min() >= min(2, pop // len(adjusted))
    counts = allocate_offspring(np.array([1.0, 3.0]), np.array([10.0, 10.0]), 20, 1, False)
    assert counts.tolist() == [5, 15]


def test_stagnant_species_are_removed_except_the_best():
    pool, cfg, _ = _pool()
    species = SpeciesSet(SpeciesConfig(compatibility_threshold=1.0))
    species.speciate(pool, 0, cfg)
    neat_cfg = replace(PURE, stagnation=StagnationConfig(max_stagnation=3, species_elitism=1))
    fitness = np.zeros(len(pool))
    for generation in range(4):
        removed = update_stagnation(species, fitness, generation, neat_cfg)
    assert len(removed) == len(species.species) - 1


def test_reproduce_keeps_population_size_and_elites():
    pool, cfg, tracker = _pool(40)
    neat_cfg = replace(PURE, pop_size=40, reproduction=ReproductionConfig(elitism=2))
    species = SpeciesSet(SpeciesConfig(compatibility_threshold=1.0))
    species.speciate(pool, 0, cfg)
    fitness = np.random.default_rng(0).random(40)
    elites = {int(pool.keys[m[np.argsort(-fitness[m])][:2]][i]) for s in species.species.values()
              for m in [s.members] for i in range(min(2, len(m)))}
    new, next_key = reproduce(pool, fitness, species, 0, neat_cfg, np.random.default_rng(1), tracker, 40)
    assert len(new) == 40 and len(set(new.keys.tolist())) == 40
    for key in elites:
        row_old = int(np.flatnonzero(pool.keys == key)[0])
        row_new = int(np.flatnonzero(new.keys == key)[0])
        assert new.genome(row_new, tracker).to_dict() == pool.genome(row_old, tracker).to_dict()
    assert next_key == 40 + 40 - len(elites)


def test_complete_extinction_raises_or_resets():
    pool, cfg, tracker = _pool()
    species = SpeciesSet(SpeciesConfig())
    species.speciate(pool, 0, cfg)
    strict = replace(PURE, stagnation=StagnationConfig(max_stagnation=1, species_elitism=0))
    species.species[min(species.species)].last_improved = -5
    species.species[min(species.species)].best_fitness = 10.0
    with pytest.raises(CompleteExtinctionError):
        for generation in range(3):
            reproduce(pool, np.zeros(len(pool)), species, generation, strict, np.random.default_rng(0), tracker, 99)


def test_same_seed_same_run_and_pure_neat_solves_xor():
    task = XORTask()
    a, b = Population(PURE, seed=1), Population(PURE, seed=1)
    a.run(SerialEvaluator(task, PURE.fine_tune), 40)
    b.run(SerialEvaluator(task, PURE.fine_tune), 40)
    assert [h.best_fitness for h in a.history] == [h.best_fitness for h in b.history]
    assert a.best_genome.to_dict() == b.best_genome.to_dict()
    c = Population(PURE, seed=2)
    c.run(SerialEvaluator(task, PURE.fine_tune), 3)
    assert [h.best_fitness for h in c.history] != [h.best_fitness for h in a.history][:3]
    # each generation's species sizes (the speciation picture) cover the population
    for h in a.history:
        assert sum(size for _, size in h.species_sizes) == PURE.pop_size and len(h.species_sizes) == h.num_species


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pure_neat_solves_xor_within_150_generations(seed):
    cfg = replace(PURE, pop_size=150)
    pop = Population(cfg, seed=seed)
    pop.run(SerialEvaluator(XORTask(), cfg.fine_tune), 150)
    assert pop.solved()


def test_lamarckian_xor_solves_in_a_handful_of_generations():
    task = XORTask()
    cfg = task.default_config()
    pop = Population(cfg, seed=0)
    pop.run(SerialEvaluator(task, cfg.fine_tune), 12)
    assert pop.solved() and pop.generation <= 10
    assert pop.gradient_steps > 0


def test_tell_rejects_mismatched_results():
    pop = Population(PURE, seed=0)
    genomes, seeds = pop.ask()
    results = SerialEvaluator(XORTask(), PURE.fine_tune).evaluate(genomes, seeds)
    with pytest.raises(ValueError, match="expected 60 results"):
        pop.tell(results[:-1])
    with pytest.raises(ValueError, match="is for genome"):
        pop.tell(results[::-1])
    with pytest.raises(RuntimeError, match="call tell"):
        pop.advance()

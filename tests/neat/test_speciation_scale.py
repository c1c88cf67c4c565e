"""Speciation with structure groups and lower bounds gives exactly what the dense genomes x
representatives distance matrix gives: same species, members and representatives."""

import copy
from dataclasses import replace

import numpy as np
import pytest

from ottorch.neat import Population, SerialEvaluator
from ottorch.neat.distance import (
    GeneSets,
    PairStructure,
    StructureIndex,
    distance_matrix,
    distances,
    genes,
    structure_groups,
)
from ottorch.neat.pool import GenePool
from ottorch.neat.reproduction import reproduce
from ottorch.neat.species import Species, SpeciesSet
from ottorch.neat.tasks import make_task


def dense_speciate(species_set: SpeciesSet, pool: GenePool, generation: int, cfg) -> None:
    """The reference: every distance from the dense matrix, the rules of ``SpeciesSet.speciate``."""
    n = len(pool)
    owner = np.full(n, -1, dtype=np.int64)
    survivors = {}
    keys = sorted(species_set.species)
    old = distance_matrix(pool, [(species_set.species[k].rep_innovs, species_set.species[k].rep_weights)
                                 for k in keys], cfg)
    for j, key in enumerate(keys[:n]):
        best = int(np.argmin(np.where(owner < 0, old[:, j], np.inf)))
        s = species_set.species[key]
        s.rep_innovs, s.rep_weights = genes(pool, best)
        owner[best] = key
        survivors[key] = s
    free = np.flatnonzero(owner < 0)
    if survivors and free.size:
        keys = sorted(survivors)
        table = distance_matrix(pool, [(survivors[k].rep_innovs, survivors[k].rep_weights) for k in keys], cfg)[free]
        closest = np.argmin(table, axis=1)
        fits = table[np.arange(free.size), closest] < species_set.threshold
        owner[free[fits]] = np.asarray(keys)[closest[fits]]
    while (owner < 0).any():
        free = np.flatnonzero(owner < 0)
        founder = int(free[0])
        s = Species(species_set.next_key, generation, *genes(pool, founder), last_improved=generation)
        species_set.next_key += 1
        d = distances(pool, s.rep_innovs, s.rep_weights, cfg, free)
        owner[free[(d < species_set.threshold) | (free == founder)]] = s.key
        survivors[s.key] = s
    for key, s in survivors.items():
        s.members = np.flatnonzero(owner == key)
    species_set.species = {k: s for k, s in sorted(survivors.items()) if s.members.size}
    species_set._adapt_threshold()


def _snapshot(species_set: SpeciesSet):
    return {k: (s.members.tolist(), s.rep_innovs.tolist(), s.rep_weights.tolist())
            for k, s in species_set.species.items()}


def _evolving(config, generations: int, seed: int):
    """A population evolved on XOR, yielded after each evaluation (before its next speciation)."""
    task = make_task("xor")
    pop = Population(config, seed=seed)
    evaluator = SerialEvaluator(task, config.fine_tune)
    for _ in range(generations):
        if pop.fitness is not None:
            yield pop
            pop.advance()
        table, seeds = pop.ask_table()
        pop.tell(evaluator.evaluate_table(table, seeds))


CONFIGS = {
    "xor": {},
    # unequal coefficients, distances normalised from 5 genes up, an adaptive threshold, deletions
    "odd": {"genome": {"compatibility_excess_coefficient": 2.0, "compatibility_disjoint_coefficient": 0.7,
                       "compatibility_weight_coefficient": 0.3, "compatibility_normalize_threshold": 5,
                       "node_add_prob": 0.3, "conn_add_prob": 0.4, "conn_delete_prob": 0.3, "node_delete_prob": 0.2},
            "species": {"target_num_species": 15}},
    # every pair normalised (neat-python's import), a loose threshold
    "normalised": {"genome": {"compatibility_normalize_threshold": 0, "conn_delete_prob": 0.5},
                   "species": {"compatibility_threshold": 0.6}},
    # every pair normalised, no deletions: every genome keeps the initial genes, whose weights bound the
    # weight term
    "normalised_core": {"genome": {"compatibility_normalize_threshold": 0, "node_add_prob": 0.4,
                                   "conn_add_prob": 0.5},
                        "species": {"compatibility_threshold": 0.8}},
    # coefficients that allow no bound: every pair is compared
    "unbounded": {"genome": {"compatibility_weight_coefficient": -0.1, "compatibility_excess_coefficient": 0.0}},
}


@pytest.mark.parametrize("name", list(CONFIGS))
def test_speciation_equals_the_dense_matrix(name):
    base = make_task("xor").default_config("none")
    changes = CONFIGS[name]
    config = base.replace(pop_size=600, no_fitness_termination=True,
                          genome=replace(base.genome, **changes.get("genome", {})),
                          species=replace(base.species, **changes.get("species", {})))
    checked = 0
    for pop in _evolving(config, 9, seed=3):
        species, rng, tracker = copy.deepcopy(pop.species), copy.deepcopy(pop.rng), copy.deepcopy(pop.tracker)
        pool, _ = reproduce(pop.pool, pop.fitness, species, pop.generation, config, rng, tracker, pop.next_key)
        fast, dense = copy.deepcopy(species), copy.deepcopy(species)
        fast.speciate(pool, pop.generation + 1, config.genome)
        dense_speciate(dense, pool, pop.generation + 1, config.genome)
        assert _snapshot(fast) == _snapshot(dense)
        assert (fast.next_key, fast.threshold) == (dense.next_key, dense.threshold)
        checked += len(fast.species)
    assert checked > 20


def test_distance_matrix_counts_the_last_gene_before_empty_genomes():
    cfg = make_task("xor").default_config("none").genome
    pool = GenePool(np.array([0, 1]), c_row=[0, 0, 0], c_innov=[0, 1, 2], c_weight=[1.0, 1.0, 1.0],
                    c_enabled=[True] * 3, n_row=[0, 1], n_id=[0, 0], n_bias=[0.0, 0.0], n_response=[1.0, 1.0],
                    n_act=[0, 0])
    d = distance_matrix(pool, [(np.array([0, 1, 2]), np.array([1.0, 1.0, 1.0]))], cfg)
    assert d[:, 0].tolist() == [0.0, 3.0]  # identical, and three excess genes


def test_structure_groups_join_identical_innovation_lists_only():
    lists = [[0, 1], [], [0, 1], [0, 2], [1, 2], [], [5]]
    innov = np.array([i for lst in lists for i in lst], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum([len(lst) for lst in lists])])
    group, first = structure_groups(innov, starts)
    for a in range(len(lists)):
        for b in range(len(lists)):
            assert (group[a] == group[b]) == (lists[a] == lists[b])
    assert sorted(first.tolist()) == [0, 1, 3, 4, 6]  # each group's first list
    assert all(group[first[k]] == k for k in range(len(first)))


@pytest.mark.parametrize("strict", [False, True])
def test_candidates_are_exactly_the_pairs_within_the_limit(strict):
    rng = np.random.default_rng(0)
    span = 40
    sets = [np.sort(rng.choice(span - 2, size=rng.integers(0, 25), replace=False)) for _ in range(300)]
    base = make_task("xor").default_config("none").genome
    for cfg in (base, replace(base, compatibility_excess_coefficient=0.5, compatibility_normalize_threshold=8)):
        structures = GeneSets.of_list([(s, rng.normal(size=len(s))) for s in sets], span)
        reps = GeneSets.of_list([(s, rng.normal(size=len(s))) for s in sets[:40]], span)
        limit = rng.uniform(0, 6, 40)
        limit[:3] = [0.0, np.inf, -1.0]
        u, s, structure = StructureIndex(structures, cfg).candidates(reps, limit, strict)
        all_u, all_s = np.divmod(np.arange(300 * 40), 40)
        value = PairStructure(structures, reps, all_u, all_s, cfg).value
        within = value < limit[all_s] if strict else value <= limit[all_s]
        assert sorted(zip(u.tolist(), s.tolist())) == sorted(zip(all_u[within].tolist(), all_s[within].tolist()))
        np.testing.assert_array_equal(structure.value, value[u * 40 + s])


def test_species_competing_for_the_same_genomes_claim_as_the_dense_matrix_does():
    """Ten species with one representative: each claims the nearest genome the earlier ones left,
    beyond the few nearest that the candidates cover."""
    config = make_task("xor").default_config("none").replace(pop_size=40)
    pop = Population(config, seed=0)
    pool = pop.pool
    species = SpeciesSet(config.species)
    rep = genes(pool, 0)
    species.species = {k: Species(k, 0, rep[0].copy(), rep[1].copy()) for k in range(1, 11)}
    species.next_key = 11
    fast, dense = copy.deepcopy(species), copy.deepcopy(species)
    fast.speciate(pool, 1, config.genome)
    dense_speciate(dense, pool, 1, config.genome)
    assert _snapshot(fast) == _snapshot(dense)
    assert len({tuple(s.members.tolist()) for s in fast.species.values()}) == 10

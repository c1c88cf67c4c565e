"""Speciation by compatibility distance to representatives, with an adaptive threshold.

Each generation every existing species takes as its new representative the genome closest to its
old one; the other genomes join the closest compatible species, or found new species in order.
When ``target_num_species`` is set the threshold moves towards it, because Lamarckian training
moves weights and with them the distances.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ottorch.neat.config import GenomeConfig, SpeciesConfig
from ottorch.neat.distance import distance_matrix, distances, genes
from ottorch.neat.pool import GenePool


@dataclass
class Species:
    """A niche: its representative's genes, its members (rows of the current pool) and history."""

    key: int
    created: int
    rep_innovs: np.ndarray
    rep_weights: np.ndarray
    members: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    last_improved: int = 0
    best_fitness: float = -np.inf
    fitness_history: list[float] = field(default_factory=list)
    adjusted_fitness: float = 0.0

    def to_dict(self) -> dict:
        return {
            "key": self.key, "created": self.created, "members": self.members.tolist(),
            "rep_innovations": self.rep_innovs.tolist(), "rep_weights": self.rep_weights.tolist(),
            "last_improved": self.last_improved, "best_fitness": _json_float(self.best_fitness),
            "fitness_history": [_json_float(f) for f in self.fitness_history],
            "adjusted_fitness": self.adjusted_fitness,
        }

    @classmethod
    def from_dict(cls, d: dict) -> Species:
        return cls(d["key"], d["created"], np.asarray(d["rep_innovations"], dtype=np.int64),
                   np.asarray(d["rep_weights"], dtype=np.float64), np.asarray(d["members"], dtype=np.int64),
                   d["last_improved"], _from_json_float(d["best_fitness"]),
                   [_from_json_float(f) for f in d["fitness_history"]], d["adjusted_fitness"])


def _json_float(x: float):
    return x if np.isfinite(x) else str(x)


def _from_json_float(x) -> float:
    return float(x)


class SpeciesSet:
    """The species of the current generation and the (possibly adapted) compatibility threshold."""

    def __init__(self, cfg: SpeciesConfig) -> None:
        self.cfg = cfg
        self.threshold = cfg.compatibility_threshold
        self.species: dict[int, Species] = {}
        self.next_key = 1

    def speciate(self, pool: GenePool, generation: int, genome_cfg: GenomeConfig) -> None:
        """Assign every row of ``pool`` to a species (creating and emptying species as needed)."""
        n = len(pool)
        owner = np.full(n, -1, dtype=np.int64)
        survivors: dict[int, Species] = {}
        # Existing species, oldest first, claim the genome closest to their old representative.
        keys = sorted(self.species)
        old = distance_matrix(pool, [(self.species[k].rep_innovs, self.species[k].rep_weights) for k in keys],
                              genome_cfg)
        for j, key in enumerate(keys[:n]):
            best = int(np.argmin(np.where(owner < 0, old[:, j], np.inf)))
            s = self.species[key]
            s.rep_innovs, s.rep_weights = genes(pool, best)
            owner[best] = key
            survivors[key] = s
        # Everyone else joins the closest compatible existing species...
        free = np.flatnonzero(owner < 0)
        if survivors and free.size:
            keys = sorted(survivors)
            table = distance_matrix(pool, [(survivors[k].rep_innovs, survivors[k].rep_weights) for k in keys],
                                    genome_cfg)[free]
            closest = np.argmin(table, axis=1)
            fits = table[np.arange(free.size), closest] < self.threshold
            owner[free[fits]] = np.asarray(keys)[closest[fits]]
        # ...or, in row order, founds a new species that the later ones may join.
        while (owner < 0).any():
            free = np.flatnonzero(owner < 0)
            founder = int(free[0])
            s = Species(self.next_key, generation, *genes(pool, founder), last_improved=generation)
            self.next_key += 1
            d = distances(pool, s.rep_innovs, s.rep_weights, genome_cfg, free)
            owner[free[(d < self.threshold) | (free == founder)]] = s.key
            survivors[s.key] = s
        for key, s in survivors.items():
            s.members = np.flatnonzero(owner == key)
        self.species = {k: s for k, s in sorted(survivors.items()) if s.members.size}
        self._adapt_threshold()

    def _adapt_threshold(self) -> None:
        target = self.cfg.target_num_species
        if target is None:
            return
        count = len(self.species)
        if count > target:
            self.threshold += self.cfg.threshold_adjust_rate
        elif count < target:
            self.threshold -= self.cfg.threshold_adjust_rate
        self.threshold = float(np.clip(self.threshold, self.cfg.threshold_min, self.cfg.threshold_max))

    def owner_of(self, n: int) -> np.ndarray:
        """Species key of each of ``n`` rows."""
        owner = np.full(n, -1, dtype=np.int64)
        for key, s in self.species.items():
            owner[s.members] = key
        return owner

    def state_dict(self) -> dict:
        return {"threshold": self.threshold, "next_key": self.next_key,
                "species": [s.to_dict() for s in self.species.values()]}

    def load_state_dict(self, state: dict) -> None:
        self.threshold = state["threshold"]
        self.next_key = state["next_key"]
        self.species = {d["key"]: Species.from_dict(d) for d in state["species"]}

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
from ottorch.neat.distance import GeneSets, PairStructure, StructureIndex, genes, pair_distances, structure_groups
from ottorch.neat.distance_neat_python import FullNearest
from ottorch.neat.pool import CONN_FIELDS, NODE_FIELDS, GenePool, segment_index


@dataclass
class Species:
    """A niche: its representative's genes, its members (rows of the current pool) and history.
    ``rep_genes`` (a one-row pool) holds every gene of the representative, which neat-python's
    distance compares; the NEAT paper's needs only the connection genes' innovations and weights."""

    key: int
    created: int
    rep_innovs: np.ndarray
    rep_weights: np.ndarray
    members: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    last_improved: int = 0
    best_fitness: float = -np.inf
    fitness_history: list[float] = field(default_factory=list)
    adjusted_fitness: float = 0.0
    rep_genes: GenePool | None = None

    def to_dict(self) -> dict:
        out = {
            "key": self.key, "created": self.created, "members": self.members.tolist(),
            "rep_innovations": self.rep_innovs.tolist(), "rep_weights": self.rep_weights.tolist(),
            "last_improved": self.last_improved, "best_fitness": _json_float(self.best_fitness),
            "fitness_history": [_json_float(f) for f in self.fitness_history],
            "adjusted_fitness": self.adjusted_fitness,
        }
        if self.rep_genes is not None:
            out["rep_genes"] = {name: self.rep_genes.arrays()[name].tolist() for name in CONN_FIELDS + NODE_FIELDS}
        return out

    @classmethod
    def from_dict(cls, d: dict) -> Species:
        rep_genes = None
        if "rep_genes" in d:
            columns = {name: np.asarray(v) for name, v in d["rep_genes"].items()}
            rep_genes = GenePool(np.zeros(1, dtype=np.int64), **columns)
        return cls(d["key"], d["created"], np.asarray(d["rep_innovations"], dtype=np.int64),
                   np.asarray(d["rep_weights"], dtype=np.float64), np.asarray(d["members"], dtype=np.int64),
                   d["last_improved"], _from_json_float(d["best_fitness"]),
                   [_from_json_float(f) for f in d["fitness_history"]], d["adjusted_fitness"], rep_genes)


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
        keys = sorted(self.species)[:n]
        dense = genome_cfg.compatibility_distance == "neat-python"
        if dense:
            near = FullNearest(pool, [self._rep_genes(self.species[k]) for k in keys], genome_cfg)
            rep_rows = near.claim_closest(owner, keys)
        else:
            span = int(max([pool.c_innov.max(initial=-1)]
                           + [self.species[k].rep_innovs.max(initial=-1) for k in keys])) + 2
            near = _Nearest(pool, span, genome_cfg)
            old = GeneSets.of_list([(self.species[k].rep_innovs, self.species[k].rep_weights) for k in keys], span)
            rep_rows = near.claim_closest(old, owner, keys)
        for key, best in zip(keys, rep_rows):
            s = self.species[key]
            s.rep_innovs, s.rep_weights = genes(pool, best)
            s.rep_genes = pool.take(np.array([best])) if dense else None
            survivors[key] = s
        # Everyone else joins the closest compatible existing species...
        free = np.flatnonzero(owner < 0)
        if survivors and free.size:
            closest = near.closest_within(free, np.asarray(rep_rows, dtype=np.int64), self.threshold)
            fits = closest >= 0
            owner[free[fits]] = np.asarray(keys)[closest[fits]]
        # ...or, in row order, founds a new species that the later ones may join.
        for founder, members in near.found(np.flatnonzero(owner < 0), self.threshold):
            s = Species(self.next_key, generation, *genes(pool, founder), last_improved=generation,
                        rep_genes=pool.take(np.array([founder])) if dense else None)
            self.next_key += 1
            owner[members] = s.key
            survivors[s.key] = s
        by_owner = np.argsort(owner, kind="stable")
        bounds = np.searchsorted(owner[by_owner], [*survivors, *[k + 1 for k in survivors]])
        for key, lo, hi in zip(survivors, bounds[:len(survivors)], bounds[len(survivors):]):
            survivors[key].members = by_owner[lo:hi]
        self.species = {k: s for k, s in sorted(survivors.items()) if s.members.size}
        self._adapt_threshold()

    @staticmethod
    def _rep_genes(s: Species) -> GenePool:
        """A representative's genes as a one-row pool (connection genes only when the species was made
        under the NEAT paper's distance, which keeps nothing else)."""
        if s.rep_genes is not None:
            return s.rep_genes
        return GenePool(np.zeros(1, dtype=np.int64), c_row=np.zeros(len(s.rep_innovs)), c_innov=s.rep_innovs,
                        c_weight=s.rep_weights, c_enabled=np.ones(len(s.rep_innovs), dtype=bool))

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


class _Nearest:
    """The distance queries of one speciation of ``pool``. Genomes are grouped by structure (their
    list of innovation numbers); the structural part of the distance, a lower bound of it, decides
    which (structure, representative) pairs can matter, and only their genomes get an exact distance.
    Every answer is the one the dense (genomes x representatives) matrix gives, ties included (the
    lowest row, or species, wins)."""

    #: founders' structures looked up at once
    BLOCK = 256
    #: genome pairs from which pairs of one innovation list are computed as a dense block
    BLOCK_PAIRS = 2048
    #: how many of its nearest genomes a representative's candidates cover at least
    NEAREST = 4

    def __init__(self, pool: GenePool, span: int, cfg: GenomeConfig) -> None:
        self.cfg = cfg
        self.n = len(pool)
        self.genomes = GeneSets.of_pool(pool, span)
        self.group, first = structure_groups(pool.c_innov, pool.starts("c"))
        self.structures = self.genomes.take(first)
        self.index = StructureIndex(self.structures, cfg)
        self._core: list[np.ndarray] | None | bool = False  # computed when first needed

    def _core_weights(self) -> list[np.ndarray] | None:
        """The weights of the innovations every genome has (core genes), in innovation order: sums of
        groups of four (float64), then each (float32), both (genomes, columns); None without core
        genes. Their absolute differences, averaged over at most the smaller genome's genes, bound
        the weight term from below."""
        if self._core is False:
            held = np.bincount(self.genomes.innov, minlength=self.genomes.span)
            is_core = held[self.genomes.innov] == self.n
            count = int(is_core.sum()) // max(self.n, 1)
            self._core = None
            if count:
                weights = self.genomes.w32[is_core].reshape(self.n, count)
                padded = np.zeros((self.n, -(-count // 4) * 4))
                padded[:, :count] = weights
                self._core = [padded.reshape(self.n, -1, 4).sum(axis=2), weights]
        return self._core

    def _grouped(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``rows`` (ascending) grouped by structure: the rows, each structure's offset and count."""
        counts = np.bincount(self.group[rows], minlength=len(self.structures))
        return rows[np.argsort(self.group[rows], kind="stable")], np.concatenate([[0], np.cumsum(counts)]), counts

    def _expand(self, u: np.ndarray, grouped: tuple) -> tuple[np.ndarray, np.ndarray]:
        """The genomes (of ``grouped``) of the structure pairs with structures ``u``: genome rows and
        the pair of each."""
        order, first, counts = grouped
        lengths = counts[u]
        return order[segment_index(first[u], lengths)], np.repeat(np.arange(len(u)), lengths)

    def _distances(self, u: np.ndarray, s: np.ndarray, structure: PairStructure, reps: GeneSets,
                   grouped: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Exact distances of the genomes (of ``grouped``) of the structure pairs (``u``, ``s``):
        genome rows, representatives and distances."""
        g, which = self._expand(u, grouped)
        return g, s[which], pair_distances(self.genomes, reps, g, None, self.cfg, structure, which)

    def _block(self, rows: np.ndarray, reps: GeneSets, rep_ids: np.ndarray) -> np.ndarray:
        """Distances (len(rows), len(rep_ids)) of genomes and representatives that all have one
        innovation list, as dense arrays: bit for bit ``pair_distances`` (a float32 sum of the first
        weight difference and the pairwise sum of the others, as numpy's reduceat adds a segment)."""
        cfg = self.cfg
        L = int(self.genomes.size[rows[0]])
        n, m = len(rows), len(rep_ids)
        sums = np.zeros((n, m), dtype=np.float32)
        if L:
            columns = np.arange(L)
            mine = self.genomes.w32[self.genomes.starts[rows][:, None] + columns]
            theirs = reps.w32[reps.starts[rep_ids][:, None] + columns]
            step = max(1, (1 << 21) // (m * L))
            for a in range(0, n, step):
                diff = np.abs(mine[a:a + step, None, :] - theirs[None, :, :])
                sums[a:a + step] = diff[..., 0] + diff[..., 1:].sum(axis=-1) if L > 1 else diff[..., 0]
        zero, n_match = np.zeros(1), np.full(1, float(L))
        norm = np.where(L < cfg.compatibility_normalize_threshold, 1.0, max(L, 1))
        structural = (cfg.compatibility_excess_coefficient * zero
                      + cfg.compatibility_disjoint_coefficient * zero) / norm
        mean_w = np.divide(sums.astype(np.float64), n_match, out=np.zeros((n, m)), where=n_match > 0)
        return structural[0] + cfg.compatibility_weight_coefficient * mean_w

    def _blocks(self, u: np.ndarray, s: np.ndarray, grouped: tuple) -> tuple[list, np.ndarray]:
        """The pairs (structure ``u``, representative ``s``) of identical innovation lists that form dense
        blocks worth it (``BLOCK_PAIRS`` genome pairs or more): a list of (genome rows, representatives)
        per structure, and the indices of the other pairs."""
        order, first, counts = grouped
        by = np.argsort(u, kind="stable")
        blocks, rest = [], [np.zeros(0, dtype=np.int64)]
        for pairs in np.split(by, np.flatnonzero(np.diff(u[by])) + 1) if len(by) else []:
            structure = int(u[pairs[0]])
            if counts[structure] * len(pairs) < self.BLOCK_PAIRS:
                rest.append(pairs)
            else:
                blocks.append((order[first[structure]:first[structure] + counts[structure]], s[pairs]))
        return blocks, np.concatenate(rest)

    def claim_closest(self, reps: GeneSets, owner: np.ndarray, keys: list[int]) -> list[int]:
        """For each representative in turn, the unowned genome closest to it (lowest row on ties),
        which ``owner`` then records as species ``keys[j]``.

        Each representative gets a radius, the distance of its ``NEAREST``-th nearest genome among
        those of its own innovation list (or of the structurally nearest lists, for those without),
        and every genome that may lie within it becomes a candidate; a representative whose
        candidates were all claimed before it looks again."""
        S, K = len(reps), self.NEAREST
        if S == 0:
            return []
        grouped = self._grouped(np.arange(self.n))
        radius = np.full(S, np.inf)
        found: list[tuple] = []  # (rows, representatives, distances) within the radii
        done = np.zeros(0, dtype=np.int64)  # structure pairs computed, as u * S + s
        if self.index.bounded:
            same = self.index.identical(reps)
            with_same = np.flatnonzero(same >= 0)
            u = same[with_same]
            done = u * S + with_same
            blocks, rest = self._blocks(u, with_same, grouped)
            for rows, rep_ids in blocks:
                d = self._block(rows, reps, rep_ids)
                kth = np.partition(d, min(K, len(rows)) - 1, axis=0)[min(K, len(rows)) - 1]
                radius[rep_ids] = kth
                i, j = np.nonzero(d <= kth)
                found.append((rows[i], rep_ids[j], d[i, j]))
            pieces = [(u[rest], with_same[rest])]
            todo = np.flatnonzero(np.isinf(radius))
            todo = todo[~np.isin(todo, with_same[rest])]
            if len(todo):  # no genome has their innovation list: the structurally nearest structures
                u, s = self.index.nearest(reps.take(todo))
                pieces.append((u, todo[s]))
                done = np.concatenate([done, u * S + todo[s]])
            u, s = (np.concatenate(x) for x in zip(*pieces))
            g, s, d = self._distances(u, s, PairStructure(self.structures, reps, u, s, self.cfg), reps, grouped)
            order = np.lexsort((d, s))
            cut = np.searchsorted(s[order], np.arange(S + 1))
            new = np.flatnonzero(np.diff(cut) > 0)
            radius[new] = d[order][np.minimum(cut[new] + K - 1, cut[new + 1] - 1)]
            near = d <= radius[s]
            found.append((g[near], s[near], d[near]))
        # every other structure pair within the radii
        u, s, structure = self.index.candidates(reps, radius, False)
        new = np.flatnonzero(~np.isin(u * S + s, done))
        g, s, d = self._distances(u[new], s[new], structure.take(new), reps, grouped)
        near = d <= radius[s]
        found.append((g[near], s[near], d[near]))
        g, s, d = (np.concatenate(x) for x in zip(*found))
        order = np.lexsort((g, d, s))
        g, d = g[order].tolist(), d[order].tolist()
        ranked = np.searchsorted(s[order], np.arange(S + 1)).tolist()
        radius = radius.tolist()
        best_rows = []
        for j in range(S):
            best, nearest_free = -1, np.inf
            for i in range(ranked[j], ranked[j + 1]):
                if owner[g[i]] < 0:
                    if d[i] <= radius[j]:  # nothing outside the candidates is as close
                        best = g[i]
                    nearest_free = d[i]
                    break
            if best < 0:  # the nearest were taken: every genome as close as the nearest free candidate
                rep = reps.take([j])
                u, _, structure = self.index.candidates(rep, np.array([nearest_free]), False)
                rows, which = self._expand(u, grouped)
                free = np.flatnonzero(owner[rows] < 0)
                rows, which = rows[free], which[free]
                value = structure.value[which]
                # the structurally nearest first; the others only if their structural part allows
                dist = np.full(len(rows), np.inf)
                for pick in (value == value.min(), value > value.min()):
                    if pick.any():
                        pick &= value <= dist.min()
                        dist[pick] = pair_distances(self.genomes, rep, rows[pick], None, self.cfg, structure,
                                                    which[pick])
                best = int(rows[dist == dist.min()].min())
            owner[best] = keys[j]
            best_rows.append(best)
        return best_rows

    def closest_within(self, rows: np.ndarray, rep_rows: np.ndarray, threshold: float) -> np.ndarray:
        """For each of ``rows`` (ascending), the index of the closest of the genomes ``rep_rows``
        (the lowest on ties) when its distance is below ``threshold``, else -1.

        Each genome is first compared with the representatives with the smallest bound of the
        structural part for its structure; the others only when that bound does not exceed the
        nearest distance found."""
        reps = self.genomes.take(rep_rows)
        u, s, lower = self.index.near(reps, np.full(len(reps), threshold))
        keep = np.flatnonzero(lower < threshold)
        u, s, lower = u[keep], s[keep], lower[keep]
        grouped = self._grouped(rows)
        smallest = np.full(len(self.structures), np.inf)
        np.minimum.at(smallest, u, lower)
        first = lower == smallest[u]
        parts = []
        phase = np.flatnonzero(first)
        structure = PairStructure(self.structures, reps, u[phase], s[phase], self.cfg)
        same = structure.identical
        blocks, flat = self._blocks(u[phase][same], s[phase][same], grouped)
        for block_rows, rep_ids in blocks:
            d = self._block(block_rows, reps, rep_ids)
            closest = np.argmin(d, axis=1)  # the first, i.e. lowest, representative of the nearest
            parts.append((block_rows, rep_ids[closest], d[np.arange(len(block_rows)), closest]))
        flat = np.sort(np.concatenate([np.flatnonzero(same)[flat], np.flatnonzero(~same)]))
        parts.append(self._distances(u[phase][flat], s[phase][flat], structure.take(flat), reps, grouped))
        best = np.full(self.n, np.inf)
        for g, _, d in parts:
            np.minimum.at(best, g, d)
        farthest = np.full(len(self.structures), -np.inf)  # the largest nearest distance of a structure's genomes
        np.maximum.at(farthest, self.group[rows], best[rows])
        # only pairs that may come as close: by their bound, with the weight term of the genes every
        # genome has (core genes), then by their structural part
        phase = np.flatnonzero(~first)
        phase = phase[lower[phase] <= farthest[u[phase]]]
        g, which = self._expand(u[phase], grouped)
        bound = lower[phase][which]
        keep = np.flatnonzero(bound <= best[g])
        g, which, bound = g[keep], which[keep], bound[keep]
        core = self._core_weights()
        if core is not None and len(g) and self.cfg.compatibility_weight_coefficient > 0:
            # the sums of groups of core weights first (their differences bound the core genes'), then
            # the core genes themselves for the pairs left
            # float32 differences and sums in the exact distance: a margin for their rounding
            margin = 1 - max(1e-5, (int(self.genomes.size.max()) + 8) * 2.0**-22)
            scale = self.cfg.compatibility_weight_coefficient * margin / np.minimum(
                self.genomes.size[g], reps.size[s[phase][which]])  # at most the smaller genome's genes match
            other = rep_rows[s[phase][which]]
            for weights in core:
                keep = []
                for part in np.array_split(np.arange(len(g)), max(1, len(g) * weights.shape[1] // (1 << 22))):
                    gap = np.abs(weights[g[part]] - weights[other[part]]).sum(axis=1)
                    keep.append(part[bound[part] + scale[part] * gap <= best[g[part]]])
                keep = np.concatenate(keep)
                g, which, bound, scale, other = g[keep], which[keep], bound[keep], scale[keep], other[keep]
        needed, which = np.unique(which, return_inverse=True)
        phase = phase[needed]
        structure = PairStructure(self.structures, reps, u[phase], s[phase], self.cfg)
        keep = np.flatnonzero(structure.value[which] <= best[g])
        g, which = g[keep], which[keep]
        d = pair_distances(self.genomes, reps, g, None, self.cfg, structure, which)
        parts.append((g, s[phase][which], d))
        np.minimum.at(best, g, d)
        g, r, d = (np.concatenate(x) for x in zip(*parts))
        tie = d == best[g]
        closest = np.full(self.n, len(reps), dtype=np.int64)
        np.minimum.at(closest, g[tie], r[tie])
        return np.where(best[rows] < threshold, closest[rows], -1)

    def found(self, rows: np.ndarray, threshold: float):
        """New species among ``rows`` (ascending): the first row still free founds one, which every
        free row closer than ``threshold`` to it joins; yields (founder, member rows) in turn.

        Founders are looked up in blocks: the structures of the next free rows, each with the first
        free row of that structure as its likely founder, whose distances are computed at once."""
        if not len(rows):
            return
        free = np.zeros(self.n, dtype=bool)
        free[rows] = True
        grouped = self._grouped(rows)
        # each structure of a free row, with its first free row, in row order
        groups = self.group[rows]
        order = np.argsort(groups, kind="stable")
        first = np.ones(len(rows), dtype=bool)
        first[1:] = groups[order][1:] != groups[order][:-1]
        queue = rows[np.sort(order[first])].tolist()
        present = groups[order][first]
        sub = StructureIndex(self.structures.take(present), self.cfg)
        looked_up: dict[int, tuple] = {}  # founder row -> (rows near it, their distances)
        done = 0
        for founder in rows.tolist():
            if not free[founder]:
                continue
            while founder not in looked_up and done < len(queue) and queue[done] <= founder:
                block = []
                while done < len(queue) and len(block) < self.BLOCK:
                    if free[queue[done]]:
                        block.append(queue[done])
                    done += 1
                if not block:
                    break
                reps = self.genomes.take(np.asarray(block, dtype=np.int64))
                u, s, structure = sub.candidates(reps, np.full(len(block), threshold), True)
                g, s, d = self._distances(present[u], s, structure, reps, grouped)
                order = np.lexsort((g, s))
                g, s, d = g[order], s[order], d[order]
                cut = np.searchsorted(s, np.arange(len(block) + 1))
                for j, row in enumerate(block):
                    looked_up[row] = (g[cut[j]:cut[j + 1]], d[cut[j]:cut[j + 1]])
            if founder in looked_up:
                g, d = looked_up.pop(founder)
                near = free[g] & ((d < threshold) | (g == founder))
                members = g[near]
                if founder not in members:
                    members = np.sort(np.append(members, founder))
            else:  # a founder the blocks did not foresee (its structure's first free row was taken)
                reps = self.genomes.take([founder])
                u, s, structure = self.index.candidates(reps, np.array([threshold]), True)
                g, _, d = self._distances(u, s, structure, reps, self._grouped(np.flatnonzero(free)))
                members = np.sort(g[(d < threshold) | (g == founder)])
                if founder not in members:
                    members = np.sort(np.append(members, founder))
            free[members] = False
            yield founder, members

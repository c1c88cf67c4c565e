"""Compatibility distance ``delta = c1 E / N + c2 D / N + c3 W`` (NEAT paper, equation 1).

E and D count excess and disjoint connection genes, W is the mean absolute weight difference of
matching genes, and N the gene count of the larger genome (1 below a size threshold, as in the
paper).

Speciation needs the distance of every genome to every representative, but acts on few of them: the
closest representative, and only when it is within the threshold. So the work is split in two:

- The structural part ``(c1 E + c2 D) / N`` depends only on the two lists of innovation numbers, and
  the weight term is never negative (``c3 >= 0``), so it is a lower bound of the distance.
  ``StructureIndex.candidates`` finds the (structure, representative) pairs whose structural part is
  within a limit, where a structure is a distinct list of innovation numbers (``structure_groups``;
  genomes bred from one parent mostly share theirs), without forming every pair: when N is 1, a
  structural part within the limit allows at most ``K`` differing genes, so the pair shares one of
  the representative's ``K + 1`` rarest genes (prefix filtering), or both are tiny.
- ``pair_distances`` / ``structure_distances`` give exact distances of listed pairs only.

Every figure is bit for bit that of the dense formula over every pair (``distance_matrix``): float32
weight differences summed in the same order, integer counts otherwise.
"""

from __future__ import annotations

import numpy as np

from ottorch.neat.config import GenomeConfig
from ottorch.neat.pool import GenePool, segment_index

# Relative slack of computed bounds, far above float64 rounding: a pair is left out only when its
# bound is clearly beyond the limit.
_SLACK = 1e-9
# A representative allowed this many differing genes is compared with every structure directly.
_MAX_PREFIX = 64
# Genes per slice of pairs in exact distance computations (bounds their temporaries).
_CHUNK_GENES = 1 << 21
# Words of the innovation bit sets (``GeneSets.bits``) and log2 of their count.
_WORDS, _WORD_BITS = 2, 1
# Odd 64-bit multipliers of the two polynomial hashes that group genomes by structure.
_HASH = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)


def _offsets(sizes: np.ndarray) -> np.ndarray:
    """Segment starts (n + 1) of consecutive segments of ``sizes``."""
    out = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=out[1:])
    return out


class GeneSets:
    """Segments of sorted innovation numbers (and their weights): genomes, structures or representatives.

    ``starts`` (n + 1) are the segment offsets into ``innov`` / ``weight``; ``span`` bounds the
    innovation numbers of every set compared with these, so ``row * span + innov`` is a sorted key."""

    def __init__(self, innov: np.ndarray, weight: np.ndarray, starts: np.ndarray, span: int) -> None:
        self.innov = np.asarray(innov, dtype=np.int64)
        self.weight = np.asarray(weight, dtype=np.float64)
        self.starts = np.asarray(starts, dtype=np.int64)
        self.span = int(span)
        self.size = np.diff(self.starts)
        self.row = np.repeat(np.arange(len(self.size)), self.size)
        self.last = np.full(len(self.size), -1, dtype=np.int64)
        nonempty = self.size > 0
        self.last[nonempty] = self.innov[self.starts[1:][nonempty] - 1]
        self._key: np.ndarray | None = None
        self._w32: np.ndarray | None = None
        self._bits: np.ndarray | None = None
        self._collisions: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.size)

    @property
    def key(self) -> np.ndarray:
        if self._key is None:
            self._key = self.row * self.span + self.innov
        return self._key

    @property
    def w32(self) -> np.ndarray:
        if self._w32 is None:
            self._w32 = self.weight.astype(np.float32)  # distances need no more precision
        return self._w32

    @property
    def bits(self) -> list[np.ndarray]:
        """Each set's innovation numbers hashed into ``_WORDS`` 64-bit words (one (n,) array per word):
        the common bits of two sets are at least their common innovations."""
        if self._bits is None:
            bit = (self.innov.astype(np.uint64) * np.uint64(_HASH[0])) >> np.uint64(64 - 6 - _WORD_BITS)
            word, bit = np.divmod(bit.astype(np.int64), 64)
            values = np.uint64(1) << bit.astype(np.uint64)
            nonempty = np.flatnonzero(self.size > 0)
            self._bits = []
            for w in range(_WORDS):
                bits = np.zeros(len(self), dtype=np.uint64)
                if len(nonempty):
                    bits[nonempty] = np.bitwise_or.reduceat(np.where(word == w, values, np.uint64(0)),
                                                            self.starts[nonempty])
                self._bits.append(bits)
            self._collisions = self.size - sum(np.bitwise_count(b).astype(np.int64) for b in self._bits)
        return self._bits

    @property
    def collisions(self) -> np.ndarray:
        """Genes of each set that share their bit with another gene of the set."""
        self.bits  # noqa: B018 - computes both
        return self._collisions

    def differing_at_least(self, other: GeneSets, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """A lower bound of the number of differing genes (E + D) of the pairs (``self[a]``, ``other[b]``):
        their common bits, plus the genes a set shares a bit with (hash collisions), bound their
        matching genes from above."""
        shared = np.minimum(self.collisions[a], other.collisions[b])
        for mine, theirs in zip(self.bits, other.bits):
            shared += np.bitwise_count(mine[a] & theirs[b])
        return self.size[a] + other.size[b] - 2 * shared

    @classmethod
    def of_pool(cls, pool: GenePool, span: int | None = None) -> GeneSets:
        if span is None:
            span = int(pool.c_innov.max(initial=-1)) + 2
        return cls(pool.c_innov, pool.c_weight, pool.starts("c"), span)

    @classmethod
    def of_list(cls, sets: list[tuple[np.ndarray, np.ndarray]], span: int) -> GeneSets:
        """Sets given as (sorted innovation numbers, weights)."""
        starts = _offsets(np.array([len(innovs) for innovs, _ in sets], dtype=np.int64))
        innov = np.concatenate([np.asarray(i, dtype=np.int64) for i, _ in sets]) if sets else np.zeros(0, np.int64)
        weight = np.concatenate([np.asarray(w, dtype=np.float64) for _, w in sets]) if sets else np.zeros(0)
        return cls(innov, weight, starts, span)

    def take(self, rows: np.ndarray) -> GeneSets:
        """The sets ``rows`` (in that order)."""
        rows = np.asarray(rows, dtype=np.int64)
        sizes = self.size[rows]
        idx = segment_index(self.starts[rows], sizes)
        return GeneSets(self.innov[idx], self.weight[idx], _offsets(sizes), self.span)

    def match_counts(self, other: GeneSets) -> np.ndarray:
        """Matching genes (len(self), len(other)) of every pair of sets, by a sparse join over
        innovation numbers: an innovation held by at most half of ``other``'s sets adds one to each
        pair that shares it; one held by more adds one to every set of ``self`` that has it and takes
        one off the pairs whose ``other`` set lacks it."""
        U, S = len(self), len(other)
        counts = np.zeros((U, S), dtype=np.int64)
        if U == 0 or S == 0:
            return counts
        holders = np.bincount(other.innov, minlength=self.span)
        common = 2 * holders > S
        a_common = common[self.innov]
        rare = ~a_common
        innov = self.innov[rare]
        lengths = holders[innov]
        by_innov = other.row[np.argsort(other.innov, kind="stable")]
        b = by_innov[segment_index(_offsets(holders)[innov], lengths)]
        a = np.repeat(self.row[rare], lengths)
        flat = counts.reshape(-1)
        flat += np.bincount(a * S + b, minlength=U * S)
        if a_common.any():
            ids = np.flatnonzero(common)
            column = np.full(self.span, -1, dtype=np.int64)
            column[ids] = np.arange(len(ids))
            held = np.zeros((len(ids), S), dtype=bool)
            in_common = common[other.innov]
            held[column[other.innov[in_common]], other.row[in_common]] = True
            lack_id, lack_set = np.nonzero(~held)
            innov = self.innov[a_common]
            lengths = S - holders[innov]
            b = lack_set[segment_index(_offsets(np.bincount(lack_id, minlength=len(ids)))[column[innov]], lengths)]
            a = np.repeat(self.row[a_common], lengths)
            flat -= np.bincount(a * S + b, minlength=U * S)
            counts += np.bincount(self.row[a_common], minlength=U)[:, None]
        return counts

    def lower_bounds(self, other: GeneSets, cfg: GenomeConfig) -> np.ndarray:
        """A lower bound (len(self), len(other)) of the structural part of every pair's distance,
        slightly below it (needs ``c1, c2 > 0``)."""
        matches = self.match_counts(other)
        differing = self.size[:, None] + other.size[None, :] - 2 * matches  # E + D
        scale = min(cfg.compatibility_excess_coefficient, cfg.compatibility_disjoint_coefficient) * (1 - _SLACK)
        big = np.maximum(self.size[:, None], other.size[None, :])
        if not (big >= cfg.compatibility_normalize_threshold).any():
            return differing * scale
        norm = np.where(big < cfg.compatibility_normalize_threshold, 1.0, np.maximum(big, 1))
        return differing * scale / norm


def _structure_keys(innov: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(size, hash, hash) of each segment's innovation list: two polynomial hashes modulo 2**64."""
    n = len(starts) - 1
    sizes = np.diff(starts)
    keys = [sizes]
    if n == 0:
        return sizes, np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.uint64)
    pos = np.arange(len(innov)) - np.repeat(starts[:-1], sizes)
    nonempty = np.flatnonzero(sizes > 0)
    for multiplier in _HASH:
        powers = np.cumprod(np.full(max(int(sizes.max()), 1), multiplier, dtype=np.uint64))  # wraps mod 2**64
        hashed = np.zeros(n, dtype=np.uint64)
        if len(nonempty):
            hashed[nonempty] = np.add.reduceat((innov.astype(np.uint64) + np.uint64(1)) * powers[pos],
                                               starts[nonempty])
        keys.append(hashed)
    return keys[0], keys[1], keys[2]


def structure_groups(innov: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Group segments with identical innovation lists: the group of each segment (n,) and each
    group's first segment (groups,). Hashing finds the groups; they are checked gene by gene."""
    n = len(starts) - 1
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    sizes, h1, h2 = _structure_keys(innov, starts)
    order = np.lexsort((h2, h1, sizes))  # stable: each group's first segment comes first
    new = np.ones(n, dtype=bool)
    new[1:] = (np.diff(sizes[order]) != 0) | (np.diff(h1[order]) != 0) | (np.diff(h2[order]) != 0)
    group = np.empty(n, dtype=np.int64)
    group[order] = np.cumsum(new) - 1
    first = order[new]
    row = np.repeat(np.arange(n), sizes)
    pos = np.arange(len(innov)) - starts[:-1][row]
    if not np.array_equal(innov, innov[starts[first[group[row]]] + pos]):  # a hash collision: no grouping
        return np.arange(n), np.arange(n)
    return group, first


def _chunks(sizes: np.ndarray, limit: int = _CHUNK_GENES):
    """Slices of consecutive pairs whose genes add up to about ``limit`` (bounded temporaries)."""
    if not len(sizes):
        return
    ends = np.searchsorted(np.cumsum(sizes), np.arange(limit, int(sizes.sum()) + limit, limit), side="right")
    start = 0
    for end in np.unique(np.minimum(np.maximum(ends, 1), len(sizes))).tolist():
        if end > start:
            yield slice(start, end)
            start = end
    if start < len(sizes):
        yield slice(start, len(sizes))


class PairStructure:
    """The structural part of the distances of pairs (``sets[u[p]]``, ``reps[s[p]]``), and for each
    gene of ``sets[u[p]]`` (pair after pair) whether ``reps[s[p]]`` has it (``matching``) and its
    weight there (``aligned``, float32; 0 where not matching)."""

    def __init__(self, sets: GeneSets, reps: GeneSets, u: np.ndarray, s: np.ndarray, cfg: GenomeConfig) -> None:
        u, s = np.asarray(u, dtype=np.int64), np.asarray(s, dtype=np.int64)
        P = len(u)
        size, rep_size = sets.size[u], reps.size[s]
        self.size, self.rep_size = size, rep_size
        self.gene_starts = _offsets(size)
        self.matching = np.zeros(int(self.gene_starts[-1]), dtype=bool)
        self.aligned = np.zeros(len(self.matching), dtype=np.float32)
        n_match, beyond = np.zeros(P, dtype=np.int64), np.zeros(P, dtype=np.int64)
        for part in _chunks(size):
            pu, ps, psize = u[part], s[part], size[part]
            pair = np.repeat(np.arange(len(pu)), psize)
            innov = sets.innov[segment_index(sets.starts[pu], psize)]
            genes = slice(int(self.gene_starts[part.start]), int(self.gene_starts[part.stop]))
            if len(reps.key):
                key = ps[pair] * reps.span + innov
                pos = np.minimum(np.searchsorted(reps.key, key), len(reps.key) - 1)
                matching = reps.key[pos] == key
                self.matching[genes] = matching
                self.aligned[genes] = np.where(matching, reps.w32[pos], 0)
                n_match[part] = np.bincount(pair[matching], minlength=len(pu))
            # a non-matching gene is excess when it lies beyond the other genome's last innovation
            beyond[part] = np.bincount(pair[innov > reps.last[ps][pair]], minlength=len(pu))
        self.n_match = n_match.astype(np.float64)
        rep_excess = reps.starts[s + 1] - np.searchsorted(reps.key, s * reps.span + sets.last[u], side="right")
        excess = beyond.astype(np.float64) + rep_excess
        disjoint = (size - self.n_match) + (rep_size - self.n_match) - excess
        big = np.maximum(size, rep_size)
        norm = np.where(big < cfg.compatibility_normalize_threshold, 1.0, np.maximum(big, 1))
        self.value = (cfg.compatibility_excess_coefficient * excess
                      + cfg.compatibility_disjoint_coefficient * disjoint) / norm

    @property
    def identical(self) -> np.ndarray:
        """Pairs of sets with the same innovation list."""
        return (self.n_match == self.size) & (self.size == self.rep_size)

    def take(self, index: np.ndarray) -> PairStructure:
        """The pairs ``index`` (in that order)."""
        out = PairStructure.__new__(PairStructure)
        out.size, out.rep_size = self.size[index], self.rep_size[index]
        out.value, out.n_match = self.value[index], self.n_match[index]
        genes = segment_index(self.gene_starts[index], out.size)
        out.gene_starts = _offsets(out.size)
        out.matching, out.aligned = self.matching[genes], self.aligned[genes]
        return out


def pair_distances(genomes: GeneSets, reps: GeneSets, g: np.ndarray, r: np.ndarray, cfg: GenomeConfig,
                   structure: PairStructure | None = None, which: np.ndarray | None = None) -> np.ndarray:
    """Distances of the pairs (``genomes`` set ``g[p]``, ``reps`` set ``r[p]``).

    With ``structure`` (the ``PairStructure`` of pairs of sets with the same innovation lists, e.g.
    of the genomes' structures) pair p is that of ``structure``'s pair ``which[p]``."""
    g = np.asarray(g, dtype=np.int64)
    if structure is None:
        structure, which = PairStructure(genomes, reps, g, r, cfg), np.arange(len(g))
    which = np.asarray(which, dtype=np.int64)
    size = genomes.size[g]
    # float32 sums over each genome's genes in order (numpy's reduceat: the first gene plus the
    # pairwise sum of the rest), as the dense (genes, representatives) segment sums add them
    sums = np.zeros(len(g), dtype=np.float32)
    for part in _chunks(size):
        psize = size[part]
        local = np.arange(int(psize.sum())) - np.repeat(_offsets(psize)[:-1], psize)
        genes = np.repeat(genomes.starts[g[part]], psize) + local
        at = np.repeat(structure.gene_starts[which[part]], psize) + local
        w_diff = np.abs(genomes.w32[genes] - structure.aligned[at])
        w_diff[~structure.matching[at]] = 0
        nonempty = np.flatnonzero(psize > 0)
        if len(nonempty):
            sums[part][nonempty] = np.add.reduceat(w_diff, _offsets(psize)[nonempty])
    n_match = structure.n_match[which]
    mean_w = np.divide(sums.astype(np.float64), n_match, out=np.zeros(len(g)), where=n_match > 0)
    return structure.value[which] + cfg.compatibility_weight_coefficient * mean_w


class StructureIndex:
    """Structures (``GeneSets``) indexed by innovation number, to find those structurally close to
    representatives."""

    def __init__(self, sets: GeneSets, cfg: GenomeConfig) -> None:
        self.sets, self.cfg = sets, cfg
        c1, c2 = cfg.compatibility_excess_coefficient, cfg.compatibility_disjoint_coefficient
        #: the structural part bounds the distance from below (the weight term is never negative)
        self.bounded = cfg.compatibility_weight_coefficient >= 0
        #: structural parts within a limit can be found from few genes (both coefficients positive)
        self.prefix = self.bounded and c1 > 0 and c2 > 0
        self.cmin = min(c1, c2)
        self.small = sets.size < cfg.compatibility_normalize_threshold
        in_small = self.small[sets.row]
        innov = sets.innov[in_small]
        self.holders = np.bincount(innov, minlength=sets.span)  # small structures holding each innovation
        self.held_by = sets.row[in_small][np.argsort(innov, kind="stable")]
        self.first_holder = _offsets(self.holders)
        small = np.flatnonzero(self.small)
        self.by_size = small[np.argsort(sets.size[small], kind="stable")]
        self._subsets: dict[bool, tuple[np.ndarray, GeneSets]] = {}
        self._keys: dict | None = None

    def identical(self, reps: GeneSets) -> np.ndarray:
        """The structure with each representative's innovation list, or -1."""
        if self._keys is None:
            sizes, h1, h2 = _structure_keys(self.sets.innov, self.sets.starts)
            self._keys = {key: i for i, key in enumerate(zip(sizes.tolist(), h1.tolist(), h2.tolist()))}
        sizes, h1, h2 = _structure_keys(reps.innov, reps.starts)
        found = np.array([self._keys.get(key, -1) for key in zip(sizes.tolist(), h1.tolist(), h2.tolist())],
                         dtype=np.int64)
        # confirm gene by gene (a hash collision is not a match)
        have = np.flatnonzero(found >= 0)
        mine = self.sets.innov[segment_index(self.sets.starts[found[have]], reps.size[have])]
        theirs = reps.innov[segment_index(reps.starts[have], reps.size[have])]
        if not np.array_equal(mine, theirs):
            wrong = np.unique(np.repeat(have, reps.size[have])[mine != theirs])
            found[wrong] = -1
        return found

    def _subset(self, small: bool) -> tuple[np.ndarray, GeneSets]:
        """The small (or large) structures: their indices and sets."""
        if small not in self._subsets:
            rows = np.flatnonzero(self.small == small)
            self._subsets[small] = rows, self.sets.take(rows)
        return self._subsets[small]

    def candidates(self, reps: GeneSets, limit: np.ndarray,
                   strict: bool) -> tuple[np.ndarray, np.ndarray, PairStructure]:
        """The (structure, representative) pairs whose structural part is at most ``limit[s]`` (below
        it with ``strict``), and their ``PairStructure``: every pair whose distance can be within the
        limit (every pair when the coefficients allow no bound)."""
        limit = np.asarray(limit, dtype=np.float64)
        u, s, lower = self.near(reps, limit)
        if self.bounded:
            keep = np.flatnonzero(lower < limit[s] if strict else lower <= limit[s])
            u, s = u[keep], s[keep]
        structure = PairStructure(self.sets, reps, u, s, self.cfg)
        if self.bounded:
            keep = structure.value < limit[s] if strict else structure.value <= limit[s]
            if not keep.all():
                keep = np.flatnonzero(keep)
                u, s, structure = u[keep], s[keep], structure.take(keep)
        return u, s, structure

    def near(self, reps: GeneSets, limit: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """A superset of the (structure, representative) pairs whose structural part is within
        ``limit[s]``, each pair once, with a lower bound of each pair's structural part (every pair,
        bound 0, when the coefficients allow no bound)."""
        U, S = len(self.sets), len(reps)
        if not self.prefix:
            u, s = np.divmod(np.arange(U * S, dtype=np.int64), S)
            return u, s, np.full(len(u), -np.inf)
        nt = self.cfg.compatibility_normalize_threshold
        with np.errstate(invalid="ignore", over="ignore"):
            allowed = np.floor(np.minimum(limit / self.cmin * (1 + _SLACK), _MAX_PREFIX))  # differing genes
        allowed = np.where(limit < 0, -1, allowed).astype(np.int64)
        rep_small = reps.size < nt
        prefixed = rep_small & (allowed >= 0) & (allowed < _MAX_PREFIX)
        us, ss, bounds = [], [], []
        # small pairs (N = 1): they share one of the representative's allowed + 1 rarest genes...
        in_prefixed = prefixed[reps.row]
        rarity = self.holders[reps.innov]
        order = np.lexsort((reps.innov, rarity, reps.row))
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order)) - reps.starts[reps.row[order]]
        use = in_prefixed & (rank <= allowed[reps.row])
        innov = reps.innov[use]
        lengths = self.holders[innov]
        u = self.held_by[segment_index(self.first_holder[innov], lengths)]
        s = np.repeat(reps.row[use], lengths)
        # ...or share none and are both tiny
        room = allowed - reps.size
        tiny = np.flatnonzero(prefixed & (room >= 0))
        lengths = np.searchsorted(self.sets.size[self.by_size], room[tiny], side="right")
        u = np.concatenate([u, self.by_size[segment_index(np.zeros(len(tiny), dtype=np.int64), lengths)]])
        s = np.concatenate([s, np.repeat(tiny, lengths)])
        differing = self.sets.differing_at_least(reps, u, s)
        keep = differing <= allowed[s]
        us.append(u[keep])
        ss.append(s[keep])
        bounds.append(differing[keep] * (self.cmin * (1 - _SLACK)))
        # pairs with a large side (N > 1) or a generous limit: bounds of every such pair
        for small, cols in ((False, np.flatnonzero(allowed >= 0)), (True, np.flatnonzero(~prefixed & (allowed >= 0)))):
            rows, sets = self._subset(small)
            if len(rows) and len(cols):
                lower = sets.lower_bounds(reps.take(cols), self.cfg)
                i, j = np.nonzero(lower <= limit[cols])
                us.append(rows[i])
                ss.append(cols[j])
                bounds.append(lower[i, j])
        pairs, first = np.unique(np.concatenate(us) * S + np.concatenate(ss), return_index=True)
        u, s = np.divmod(pairs, S)
        return u, s, np.concatenate(bounds)[first]

    def nearest(self, reps: GeneSets) -> tuple[np.ndarray, np.ndarray]:
        """For each representative, the structures with the smallest lower bound of the structural part
        (every structure when the coefficients allow no bound): pairs (u, s)."""
        U, S = len(self.sets), len(reps)
        if not self.prefix:
            return np.divmod(np.arange(U * S, dtype=np.int64), S)
        lower = self.sets.lower_bounds(reps, self.cfg)
        u, s = np.nonzero(lower == lower.min(axis=0))
        return u, s


def distance_matrix(pool: GenePool, reps: list[tuple[np.ndarray, np.ndarray]], cfg: GenomeConfig) -> np.ndarray:
    """Distances (genomes, representatives) of every genome of ``pool`` to each representative, given
    as (sorted innovation numbers, weights)."""
    n, k = len(pool), len(reps)
    if k == 0:
        return np.zeros((n, 0))
    span = int(max([pool.c_innov.max(initial=-1)] + [r[0].max(initial=-1) for r in reps])) + 2
    genomes, rep_sets = GeneSets.of_pool(pool, span), GeneSets.of_list(reps, span)
    g, r = np.divmod(np.arange(n * k), k)
    return pair_distances(genomes, rep_sets, g, r, cfg).reshape(n, k)


def distances(pool: GenePool, rep_innovs: np.ndarray, rep_weights: np.ndarray, cfg: GenomeConfig,
              rows: np.ndarray | None = None) -> np.ndarray:
    """Distance of every genome of ``pool`` (or of ``rows``) to one representative."""
    d = distance_matrix(pool, [(np.asarray(rep_innovs, dtype=np.int64), np.asarray(rep_weights))], cfg)[:, 0]
    return d if rows is None else d[rows]


def genes(pool: GenePool, row: int) -> tuple[np.ndarray, np.ndarray]:
    """Sorted innovation numbers and weights of one genome (a representative's description)."""
    seg = pool.conn_slice(row)
    return pool.c_innov[seg].copy(), pool.c_weight[seg].copy()


def distance(pool: GenePool, a: int, b: int, cfg: GenomeConfig) -> float:
    """Distance between the genomes in rows ``a`` and ``b``."""
    return float(distances(pool, *genes(pool, b), cfg, rows=np.array([a]))[0])

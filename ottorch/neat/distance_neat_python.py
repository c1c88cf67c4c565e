"""neat-python's genomic distance (``compatibility_distance = "neat-python"``), and speciation with it.

neat-python compares node genes and connection genes alike: for each kind, ``(c2 * disjoint + c3 *
sum of homologous differences) / the larger gene count``, and adds the two. A node pair differs by
``|bias diff| + |response diff|``, plus 1 for a different activation and 1 for a different aggregation;
a connection pair by ``|weight diff|``, plus ``compatibility_enable_penalty`` when one is enabled and
the other not. Connection genes beyond the other genome's last innovation are excess genes, weighted
by ``compatibility_excess_coefficient`` (neat-python's ``auto`` makes it the disjoint coefficient).
``compatibility_include_node_genes = false`` leaves the node part out.

The genes of the genomes compared are laid out as dense (genomes, columns) matrices over the
innovations and node ids present, and the distances of listed pairs are computed in slices of pairs.
``DenseNearest`` answers the three questions speciation asks (``species._Nearest`` does the same for the
NEAT paper's distance, with bounds that do not hold for this one) by computing them in full.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from ottorch.neat.config import GenomeConfig
from ottorch.neat.pool import GenePool

# Pair-column cells per slice of pairs (bounds the temporaries).
_CELLS = 1 << 22


class DenseGenes:
    """The genes of a pool's genomes as (genomes, columns) matrices over given columns: sorted
    innovation numbers ``innovs`` and node ids ``nodes`` (both must hold every gene of the pool)."""

    def __init__(self, pool: GenePool, innovs: np.ndarray, nodes: np.ndarray) -> None:
        n = len(pool)
        c = np.searchsorted(innovs, pool.c_innov)
        self.has_c = np.zeros((n, len(innovs)), dtype=bool)
        self.has_c[pool.c_row, c] = True
        self.weight = np.zeros((n, len(innovs)))
        self.weight[pool.c_row, c] = pool.c_weight
        self.enabled = np.zeros((n, len(innovs)), dtype=bool)
        self.enabled[pool.c_row, c] = pool.c_enabled
        self.last = np.where(self.has_c.any(axis=1), len(innovs) - 1 - np.argmax(self.has_c[:, ::-1], axis=1), -1)
        self.conn_count = self.has_c.sum(axis=1)
        k = np.searchsorted(nodes, pool.n_id)
        self.has_n = np.zeros((n, len(nodes)), dtype=bool)
        self.has_n[pool.n_row, k] = True
        self.node = np.zeros((4, n, len(nodes)))  # bias, response, activation, aggregation
        for i, column in enumerate((pool.n_bias, pool.n_response, pool.n_act, pool.n_agg)):
            self.node[i][pool.n_row, k] = column
        self.node_count = self.has_n.sum(axis=1)

    @staticmethod
    def columns(pools: list[GenePool]) -> tuple[np.ndarray, np.ndarray]:
        """The innovation and node-id columns that hold every gene of ``pools``."""
        return (np.unique(np.concatenate([p.c_innov for p in pools])),
                np.unique(np.concatenate([p.n_id for p in pools])))


def pair_distances(a: DenseGenes, ai: np.ndarray, b: DenseGenes, bi: np.ndarray, cfg: GenomeConfig) -> np.ndarray:
    """neat-python's distance of each pair (genome ``ai[p]`` of ``a``, genome ``bi[p]`` of ``b``)."""
    ai, bi = np.asarray(ai, dtype=np.int64), np.asarray(bi, dtype=np.int64)
    out = np.zeros(len(ai))
    step = max(1, _CELLS // max(a.has_c.shape[1] + a.has_n.shape[1], 1))
    for lo in range(0, len(ai), step):
        out[lo:lo + step] = _distance(a, ai[lo:lo + step], b, bi[lo:lo + step], cfg)
    return out


def distances_to(a: DenseGenes, rows: np.ndarray | slice, b: DenseGenes, j: int, cfg: GenomeConfig) -> np.ndarray:
    """neat-python's distance of each genome ``rows`` of ``a`` to genome ``j`` of ``b`` (broadcast, no
    gather of ``b``'s genes per pair)."""
    return _distance(a, rows, b, j, cfg)


def _distance(a: DenseGenes, p, b: DenseGenes, q, cfg: GenomeConfig) -> np.ndarray:
    """Pairs (``p``, ``q``) index arrays of equal length, or ``q`` one genome for all of ``p``."""
    out = _connection_part(a, p, b, q, cfg)
    return out + _node_part(a, p, b, q, cfg) if cfg.compatibility_include_node_genes else out


def _connection_part(a: DenseGenes, p: np.ndarray, b: DenseGenes, q: np.ndarray, cfg: GenomeConfig) -> np.ndarray:
    has_a, has_b = a.has_c[p], b.has_c[q]
    both = has_a & has_b
    differ = np.abs(a.weight[p] - b.weight[q])
    if cfg.compatibility_enable_penalty:
        differ += cfg.compatibility_enable_penalty * (a.enabled[p] != b.enabled[q])
    homologous = np.where(both, differ, 0.0).sum(axis=1)
    columns = np.arange(has_a.shape[1])
    only_a, only_b = has_a > has_b, has_b > has_a
    excess = ((only_a & (columns > np.reshape(b.last[q], (-1, 1)))).sum(axis=1)
              + (only_b & (columns > np.reshape(a.last[p], (-1, 1)))).sum(axis=1))
    count_a, count_b = a.conn_count[p], b.conn_count[q]
    shared = both.sum(axis=1)
    disjoint = count_a + count_b - 2 * shared - excess
    larger = np.maximum(count_a, count_b)
    total = (cfg.compatibility_weight_coefficient * homologous + cfg.compatibility_disjoint_coefficient * disjoint
             + cfg.compatibility_excess_coefficient * excess)
    return np.divide(total, larger, out=np.zeros(len(total)), where=larger > 0)


def _node_part(a: DenseGenes, p: np.ndarray, b: DenseGenes, q: np.ndarray, cfg: GenomeConfig) -> np.ndarray:
    both = a.has_n[p] & b.has_n[q]
    mine, theirs = a.node[:, p], b.node[:, q]
    differ = (np.abs(mine[0] - theirs[0]) + np.abs(mine[1] - theirs[1]) + (mine[2] != theirs[2])
              + (mine[3] != theirs[3]))
    homologous = np.where(both, differ, 0.0).sum(axis=1)
    count_a, count_b = a.node_count[p], b.node_count[q]
    disjoint = count_a + count_b - 2 * both.sum(axis=1)
    larger = np.maximum(count_a, count_b)
    total = cfg.compatibility_weight_coefficient * homologous + cfg.compatibility_disjoint_coefficient * disjoint
    return np.divide(total, larger, out=np.zeros(len(total)), where=larger > 0)


class DenseNearest:
    """Speciation's three questions about ``pool`` (see ``species._Nearest``), answered with
    neat-python's distance computed in full. Representatives are one-row pools."""

    def __init__(self, pool: GenePool, representatives: list[GenePool], cfg: GenomeConfig) -> None:
        self.cfg = cfg
        self.n = len(pool)
        innovs, nodes = DenseGenes.columns([pool, *representatives])
        self.genomes = DenseGenes(pool, innovs, nodes)
        self.old = DenseGenes(GenePool.concat(representatives), innovs, nodes) if representatives else None

    def _matrix(self, rows: np.ndarray | slice, reps: DenseGenes, rep_rows: np.ndarray) -> np.ndarray:
        """Distances (rows, representatives), one representative at a time against all rows."""
        columns = [distances_to(self.genomes, rows, reps, int(j), self.cfg) for j in rep_rows]
        n = self.n if isinstance(rows, slice) else len(rows)
        return np.stack(columns, axis=1) if columns else np.zeros((n, 0))

    def claim_closest(self, owner: np.ndarray, keys: list[int]) -> list[int]:
        """For each old representative in turn, the unowned genome closest to it (lowest row on ties),
        which ``owner`` then records as species ``keys[j]``."""
        if self.old is None:
            return []
        d = self._matrix(slice(None), self.old, np.arange(len(keys)))
        best_rows = []
        for j, key in enumerate(keys):
            column = np.where(owner < 0, d[:, j], np.inf)
            best = int(np.argmin(column))
            owner[best] = key
            best_rows.append(best)
        return best_rows

    def closest_within(self, rows: np.ndarray, rep_rows: np.ndarray, threshold: float) -> np.ndarray:
        """For each of ``rows``, the index of the closest of the genomes ``rep_rows`` (the lowest on
        ties) when its distance is below ``threshold``, else -1."""
        d = self._matrix(rows, self.genomes, rep_rows)
        closest = np.argmin(d, axis=1)
        return np.where(d[np.arange(len(rows)), closest] < threshold, closest, -1)

    def found(self, rows: np.ndarray, threshold: float) -> Iterator[tuple[int, np.ndarray]]:
        """New species among ``rows`` (ascending): the first row still free founds one, which every
        free row closer than ``threshold`` to it joins; yields (founder, member rows) in turn."""
        free = np.zeros(self.n, dtype=bool)
        free[rows] = True
        for founder in rows.tolist():
            if not free[founder]:
                continue
            candidates = np.flatnonzero(free)
            d = distances_to(self.genomes, candidates, self.genomes, founder, self.cfg)
            members = candidates[(d < threshold) | (candidates == founder)]
            free[members] = False
            yield founder, members

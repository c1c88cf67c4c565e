"""neat-python's genomic distance (``compatibility_distance = "neat-python"``), and speciation with it.

neat-python compares node genes and connection genes alike: for each kind, ``(c2 * disjoint + c3 *
sum of homologous differences) / the larger gene count``, and adds the two. A node pair differs by
``|bias diff| + |response diff|``, plus 1 for a different activation and 1 for a different aggregation;
a connection pair by ``|weight diff|``, plus ``compatibility_enable_penalty`` when one is enabled and
the other not. Connection genes beyond the other genome's last innovation are excess genes, weighted
by ``compatibility_excess_coefficient`` (neat-python's ``auto`` makes it the disjoint coefficient).
``compatibility_include_node_genes = false`` leaves the node part out.

``distances_to`` gives the distance of every genome of a pool to one genome: each gene of the pool is
looked up among that genome's (one ``searchsorted``) and the per-genome sums are ``bincount``s, so the
work is one pass over the pool's genes. ``FullNearest`` answers the three questions speciation asks
(``species._Nearest`` does the same for the NEAT paper's distance, with bounds that do not hold for this
one) with distances to every genome.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ottorch.neat.config import GenomeConfig
from ottorch.neat.pool import GenePool


@dataclass(frozen=True)
class Genes:
    """One genome's genes, sorted: connection innovations with weights and enabled flags, node ids with
    bias, response, activation and aggregation (rows of ``node``)."""

    innov: np.ndarray
    weight: np.ndarray
    enabled: np.ndarray
    node_id: np.ndarray
    node: np.ndarray  # (4, nodes)

    @classmethod
    def of(cls, pool: GenePool, row: int) -> Genes:
        c, n = pool.conn_slice(row), pool.node_slice(row)
        return cls(pool.c_innov[c], pool.c_weight[c], pool.c_enabled[c], pool.n_id[n],
                   np.stack([pool.n_bias[n], pool.n_response[n], pool.n_act[n], pool.n_agg[n]]).astype(np.float64))


def distances_to(pool: GenePool, other: Genes, cfg: GenomeConfig) -> np.ndarray:
    """neat-python's distance of every genome of ``pool`` to the genome ``other``."""
    out = _connection_part(pool, other, cfg)
    return out + _node_part(pool, other, cfg) if cfg.compatibility_include_node_genes else out


def _lookup(keys: np.ndarray, sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``keys`` sits in ``sorted_keys``, and whether it is there."""
    if not len(sorted_keys):
        return np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=bool)
    pos = np.minimum(np.searchsorted(sorted_keys, keys), len(sorted_keys) - 1)
    return pos, sorted_keys[pos] == keys


def _connection_part(pool: GenePool, other: Genes, cfg: GenomeConfig) -> np.ndarray:
    n, rows = len(pool), pool.c_row
    starts = pool.starts("c")
    count = np.diff(starts)
    last = np.where(count > 0, pool.c_innov[np.maximum(starts[1:] - 1, 0)], -1)
    pos, match = _lookup(pool.c_innov, other.innov)
    differ = np.abs(pool.c_weight[match] - other.weight[pos[match]])
    if cfg.compatibility_enable_penalty:
        differ += cfg.compatibility_enable_penalty * (pool.c_enabled[match] != other.enabled[pos[match]])
    homologous = np.bincount(rows[match], differ, minlength=n)
    shared = np.bincount(rows[match], minlength=n)
    their_last = other.innov[-1] if len(other.innov) else -1
    # excess: my genes beyond their last innovation, and theirs beyond mine (none of which I have)
    excess = (np.bincount(rows[~match & (pool.c_innov > their_last)], minlength=n)
              + len(other.innov) - np.searchsorted(other.innov, last, side="right"))
    disjoint = count + len(other.innov) - 2 * shared - excess
    larger = np.maximum(count, len(other.innov))
    total = (cfg.compatibility_weight_coefficient * homologous + cfg.compatibility_disjoint_coefficient * disjoint
             + cfg.compatibility_excess_coefficient * excess)
    return np.divide(total, larger, out=np.zeros(n), where=larger > 0)


def _node_part(pool: GenePool, other: Genes, cfg: GenomeConfig) -> np.ndarray:
    n, rows = len(pool), pool.n_row
    count = np.diff(pool.starts("n"))
    pos, match = _lookup(pool.n_id, other.node_id)
    theirs = other.node[:, pos[match]]
    differ = (np.abs(pool.n_bias[match] - theirs[0]) + np.abs(pool.n_response[match] - theirs[1])
              + (pool.n_act[match] != theirs[2]) + (pool.n_agg[match] != theirs[3]))
    homologous = np.bincount(rows[match], differ, minlength=n)
    disjoint = count + len(other.node_id) - 2 * np.bincount(rows[match], minlength=n)
    larger = np.maximum(count, len(other.node_id))
    total = cfg.compatibility_weight_coefficient * homologous + cfg.compatibility_disjoint_coefficient * disjoint
    return np.divide(total, larger, out=np.zeros(n), where=larger > 0)


class FullNearest:
    """Speciation's three questions about ``pool`` (see ``species._Nearest``), answered with
    neat-python's distance to every genome. Old representatives are one-row pools."""

    def __init__(self, pool: GenePool, representatives: list[GenePool], cfg: GenomeConfig) -> None:
        self.pool, self.cfg, self.n = pool, cfg, len(pool)
        self.old = [Genes.of(rep, 0) for rep in representatives]

    def claim_closest(self, owner: np.ndarray, keys: list[int]) -> list[int]:
        """For each old representative in turn, the unowned genome closest to it (lowest row on ties),
        which ``owner`` then records as species ``keys[j]``."""
        best_rows = []
        for rep, key in zip(self.old, keys):
            d = np.where(owner < 0, distances_to(self.pool, rep, self.cfg), np.inf)
            best = int(np.argmin(d))
            owner[best] = key
            best_rows.append(best)
        return best_rows

    def closest_within(self, rows: np.ndarray, rep_rows: np.ndarray, threshold: float) -> np.ndarray:
        """For each of ``rows``, the index of the closest of the genomes ``rep_rows`` (the lowest on
        ties) when its distance is below ``threshold``, else -1."""
        d = np.stack([distances_to(self.pool, Genes.of(self.pool, int(r)), self.cfg)[rows] for r in rep_rows], axis=1)
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
            d = distances_to(self.pool, Genes.of(self.pool, founder), self.cfg)
            members = np.flatnonzero(free & ((d < threshold) | (np.arange(self.n) == founder)))
            free[members] = False
            yield founder, members

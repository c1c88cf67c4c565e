"""Compatibility distance ``delta = c1 E / N + c2 D / N + c3 W`` (NEAT paper, equation 1).

E and D count excess and disjoint connection genes, W is the mean absolute weight difference of
matching genes, and N the gene count of the larger genome (1 below a size threshold, as in the
paper). Distances of all genomes to one representative are computed at once.
"""

from __future__ import annotations

import numpy as np

from ottorch.neat.config import GenomeConfig
from ottorch.neat.pool import GenePool


def distance_matrix(pool: GenePool, reps: list[tuple[np.ndarray, np.ndarray]], cfg: GenomeConfig) -> np.ndarray:
    """Distances (genomes, representatives) of every genome of ``pool`` to each representative, given
    as (sorted innovation numbers, weights). All representatives are handled in one pass over the
    gene table: the work is linear in (genes present) x (representatives)."""
    n, k = len(pool), len(reps)
    if k == 0:
        return np.zeros((n, 0))
    span = int(max([pool.c_innov.max(initial=-1)] + [r[0].max(initial=-1) for r in reps])) + 1
    # (innovation, representative) tables; genes x representatives arrays keep the representatives
    # innermost, so the per-genome segment sums below run over contiguous memory
    in_rep = np.zeros((span, k), dtype=bool)
    rep_w = np.zeros((span, k), dtype=np.float32)  # distances need no more precision
    rep_last = np.full(k, -1)
    rep_size = np.zeros(k, dtype=np.int64)
    for j, (innovs, weights) in enumerate(reps):
        in_rep[innovs, j] = True
        rep_w[innovs, j] = weights
        rep_size[j] = len(innovs)
        if len(innovs):
            rep_last[j] = innovs[-1]
    starts = pool.starts("c")
    size = np.diff(starts)
    matching = in_rep[pool.c_innov]  # (genes, k)
    w_diff = np.abs(pool.c_weight.astype(np.float32)[:, None] - rep_w[pool.c_innov])
    w_diff *= matching
    beyond = ~matching & (pool.c_innov[:, None] > rep_last)

    def per_genome(values: np.ndarray) -> np.ndarray:
        if values.shape[0] == 0:
            return np.zeros((n, k))
        # segment sums; reduceat returns the first row for empty segments, so mask those
        acc = np.int32 if values.dtype == np.int8 else values.dtype  # int8 would overflow past 127 genes
        sums = np.add.reduceat(values, np.minimum(starts[:-1], values.shape[0] - 1), axis=0, dtype=acc)
        return np.where(size[:, None] > 0, sums, 0).astype(np.float64)

    n_match = per_genome(matching.view(np.int8))
    mean_w = np.divide(per_genome(w_diff), n_match, out=np.zeros((n, k)), where=n_match > 0)
    last = np.where(size > 0, pool.c_innov[np.maximum(starts[1:] - 1, 0)] if len(pool.c_innov) else -1, -1)
    # a non-matching gene is excess when it lies beyond the other genome's last innovation
    rep_excess = np.stack([len(r[0]) - np.searchsorted(r[0], last, side="right") for r in reps], axis=1)
    excess = per_genome(beyond.view(np.int8)) + rep_excess
    disjoint = (size[:, None] - n_match) + (rep_size - n_match) - excess
    big = np.maximum(size[:, None], rep_size)
    norm = np.where(big < cfg.compatibility_normalize_threshold, 1.0, np.maximum(big, 1))
    return (cfg.compatibility_excess_coefficient * excess + cfg.compatibility_disjoint_coefficient * disjoint) / norm \
        + cfg.compatibility_weight_coefficient * mean_w


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

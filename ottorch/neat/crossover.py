"""Crossover: children of two parents, genes aligned by innovation number (NEAT paper, 3.2).

Matching genes take their attributes from either parent at random; disjoint and excess genes come
from the fitter parent (given as ``fitter``); a gene disabled in either parent stays disabled with
probability ``disable_prob`` (0.75). Node genes follow the fitter parent's structure. All children
are made at once, one row per (fitter, other) pair.
"""

from __future__ import annotations

import numpy as np

from ottorch.neat.pool import GenePool


def _align(child_rows: np.ndarray, child_ids: np.ndarray, other_rows: np.ndarray,
           other_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each child gene: whether the other parent has the same gene, and where (both tables are
    sorted by (row, id), so a combined key makes this one ``searchsorted``)."""
    span = int(max(child_ids.max(initial=0), other_ids.max(initial=0))) + 2
    child_keys = child_rows * span + child_ids + 1
    other_keys = other_rows * span + other_ids + 1
    pos = np.searchsorted(other_keys, child_keys)
    found = pos < len(other_keys)
    found[found] = other_keys[pos[found]] == child_keys[found]
    return found, np.minimum(pos, max(len(other_keys) - 1, 0))


def crossover(pool: GenePool, fitter: np.ndarray, other: np.ndarray, rng: np.random.Generator,
              disable_prob: float = 0.75) -> GenePool:
    """A pool of children; row i is the child of ``fitter[i]`` and ``other[i]``."""
    child, mate = pool.take(fitter), pool.take(other)
    matching, pos = _align(child.c_row, child.c_innov, mate.c_row, mate.c_innov)
    from_mate = matching & (rng.random(len(matching)) < 0.5)
    mate_has = len(mate.c_weight) > 0  # a batch of mates without connection genes matches nothing
    child.c_weight = np.where(from_mate, mate.c_weight[pos] if mate_has else 0.0, child.c_weight)
    mate_enabled = np.where(matching, mate.c_enabled[pos] if mate_has else True, True)
    disabled_either = ~(child.c_enabled & mate_enabled)
    child.c_enabled = ~(disabled_either & (rng.random(len(matching)) < disable_prob))

    node_match, npos = _align(child.n_row, child.n_id, mate.n_row, mate.n_id)
    node_from_mate = node_match & (rng.random(len(node_match)) < 0.5)
    for name in ("n_bias", "n_response", "n_act", "n_agg"):
        theirs = getattr(mate, name)[npos] if len(mate.n_id) else 0
        setattr(child, name, np.where(node_from_mate, theirs, getattr(child, name)).astype(getattr(child, name).dtype))
    return child

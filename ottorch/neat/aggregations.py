"""Node aggregation functions with neat-python's definitions: how a node combines its weighted inputs
``t_i = w_i * value_i`` before ``activation(bias + response * aggregate)``.

Each function works on masked arrays, reducing over the last axis: ``terms (..., K)`` with ``mask``
broadcastable to it (True where a connection exists). Rows hold different numbers of terms, padded
to K. Each entry is ``(f, df)``: ``f(terms, mask)`` gives ``(...)`` and ``df(terms, mask)`` the
derivative of each output with respect to each of its terms ``(..., K)`` (0 for padding), used by the
genome network primitive and fine-tuning. With no terms, ``product`` gives 1 (neat-python reduces
from 1.0) and every other function 0.

- ``sum``, ``mean``: the terms added left to right (``np.add.accumulate``, as the float policy does);
- ``product``: multiplied left to right; its derivative is the product of the other terms, so a zero
  term still passes gradient to the others;
- ``max``, ``min``, ``maxabs`` (the term of largest magnitude, sign kept): the first such term (or the
  first NaN) is chosen and gets the whole gradient;
- ``median``: the middle term, or the mean of the two middle terms of an even count (neat-python's
  ``median2``); the gradient goes to the term(s) chosen.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def _count(terms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.broadcast_to(mask, terms.shape).sum(axis=-1)


def _total(terms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if terms.shape[-1] == 0:
        return np.zeros(terms.shape[:-1], dtype=terms.dtype)
    return np.add.accumulate(np.where(mask, terms, 0.0), axis=-1)[..., -1]


def _mean(terms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return _total(terms, mask) / np.maximum(_count(terms, mask), 1)


def _d_mean(terms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.broadcast_to(mask, terms.shape) / np.maximum(_count(terms, mask), 1)[..., None].astype(terms.dtype)


def _product(terms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    if terms.shape[-1] == 0:
        return np.ones(terms.shape[:-1], dtype=terms.dtype)
    return np.multiply.accumulate(np.where(mask, terms, 1.0), axis=-1)[..., -1]


def _d_product(terms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    filled = np.where(mask, terms, 1.0)
    ones = np.ones(terms.shape[:-1] + (1,), dtype=terms.dtype)
    # product of the terms before and after each one: no division, so zero terms are fine
    before = np.cumprod(np.concatenate([ones, filled[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, filled[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    return np.where(mask, before * after, 0.0)


def _pick(terms: np.ndarray, index: np.ndarray, present: np.ndarray) -> np.ndarray:
    chosen = np.take_along_axis(terms, index[..., None], axis=-1)[..., 0] if terms.shape[-1] else index * 0.0
    return np.where(present, chosen, 0.0).astype(terms.dtype)


def _one_hot(terms: np.ndarray, index: np.ndarray, present: np.ndarray) -> np.ndarray:
    out = np.zeros(terms.shape, dtype=terms.dtype)
    if terms.shape[-1]:
        np.put_along_axis(out, index[..., None], present[..., None].astype(terms.dtype), axis=-1)
    return out


def _selector(key: Callable[[np.ndarray], np.ndarray]):
    """``(f, df)`` of an aggregation that returns the first term whose ``key`` is the largest among the
    present terms (a NaN key counts as the largest, as in ``np.max``). Padding never takes part, so the
    choice does not depend on how a row is padded."""

    def where_(terms, mask):
        mask = np.broadcast_to(mask, terms.shape)
        keys = np.where(mask, key(terms), -np.inf)
        best = keys.max(axis=-1, keepdims=True) if terms.shape[-1] else keys[..., :1]
        chosen = mask & np.where(np.isnan(best), np.isnan(keys), keys == best)
        index = np.argmax(chosen, axis=-1) if terms.shape[-1] else np.zeros(terms.shape[:-1], dtype=np.int64)
        return index, mask.any(axis=-1)

    return (lambda terms, mask: _pick(terms, *where_(terms, mask)),
            lambda terms, mask: _one_hot(terms, *where_(terms, mask)))


def _median_index(terms: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The positions of the lower and upper middle terms, and the term counts."""
    # present terms first, in value order (NaN after +inf), then padding
    order = np.lexsort((terms, ~np.broadcast_to(mask, terms.shape)), axis=-1)
    k = _count(terms, mask)
    upper = np.take_along_axis(order, (k // 2)[..., None], axis=-1)[..., 0] if terms.shape[-1] else k * 0
    lower = np.take_along_axis(order, np.maximum((k - 1) // 2, 0)[..., None], axis=-1)[..., 0] \
        if terms.shape[-1] else k * 0
    return lower, upper, k


def _median(terms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    lower, upper, k = _median_index(terms, mask)
    present = k > 0
    return np.where(k % 2 == 1, _pick(terms, upper, present),
                    (_pick(terms, lower, present) + _pick(terms, upper, present)) / 2.0).astype(terms.dtype)


def _d_median(terms: np.ndarray, mask: np.ndarray) -> np.ndarray:
    lower, upper, k = _median_index(terms, mask)
    present = k > 0
    odd, even = present & (k % 2 == 1), present & (k % 2 == 0)
    return _one_hot(terms, upper, odd) + 0.5 * (_one_hot(terms, lower, even) + _one_hot(terms, upper, even))


_max = _selector(lambda t: t)
_min = _selector(lambda t: -t)
_maxabs = _selector(np.abs)

AGGREGATION_FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "sum": (_total, lambda terms, mask: np.broadcast_to(mask, terms.shape).astype(terms.dtype)),
    "product": (_product, _d_product),
    "max": _max,
    "min": _min,
    "maxabs": _maxabs,
    "median": (_median, _d_median),
    "mean": (_mean, _d_mean),
}

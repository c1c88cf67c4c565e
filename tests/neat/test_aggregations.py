"""Node aggregation functions, from a table: forward against neat-python's definitions on Python lists,
derivatives against finite differences in float64, and independence from padding."""

import math
from functools import reduce
from operator import mul

import numpy as np
import pytest

from ottorch.neat.aggregations import AGGREGATION_FUNCTIONS
from ottorch.neat.config import AGGREGATIONS


def _median2(xs):
    xs = sorted(xs)
    k = len(xs)
    return xs[k // 2] if k % 2 else (xs[k // 2 - 1] + xs[k // 2]) / 2.0


# neat-python's aggregations.py, written out on lists (empty inputs give 0, product 1)
REFERENCE = {
    "sum": lambda xs: sum(xs),
    "product": lambda xs: reduce(mul, xs, 1.0),
    "max": lambda xs: max(xs) if xs else 0.0,
    "min": lambda xs: min(xs) if xs else 0.0,
    "maxabs": lambda xs: max(xs, key=abs) if xs else 0.0,
    "median": lambda xs: _median2(xs) if xs else 0.0,
    "mean": lambda xs: sum(xs) / len(xs) if xs else 0.0,
}


def padded_rows(seed=0, rows=9, width=7):
    """Terms (rows, width) and a mask with 0 .. width present terms per row, at scattered positions."""
    rng = np.random.default_rng(seed)
    terms = rng.normal(size=(3, rows, width))
    mask = np.zeros((rows, width), dtype=bool)
    for r in range(rows):
        mask[r, rng.permutation(width)[: r % (width + 1)]] = True
    return terms, mask


def test_every_aggregation_is_in_the_table():
    assert set(AGGREGATION_FUNCTIONS) == set(AGGREGATIONS) == set(REFERENCE)
    assert AGGREGATIONS[0] == "sum"  # index 0 of the gene tables' aggregation column


@pytest.mark.parametrize("name", AGGREGATIONS)
def test_forward_matches_neat_python(name):
    terms, mask = padded_rows()
    out = AGGREGATION_FUNCTIONS[name][0](terms, mask)
    assert out.shape == terms.shape[:2]
    for b in range(terms.shape[0]):
        for r in range(terms.shape[1]):
            present = terms[b, r, mask[r]].tolist()
            assert math.isclose(out[b, r], REFERENCE[name](present), rel_tol=1e-12, abs_tol=1e-12), (b, r)


@pytest.mark.parametrize("name", AGGREGATIONS)
def test_derivative_matches_finite_differences(name):
    terms, mask = padded_rows(seed=1)
    f, df = AGGREGATION_FUNCTIONS[name]
    analytic = df(terms, mask)
    numeric = np.zeros_like(terms)
    eps = 1e-6
    for index in np.ndindex(terms.shape):
        up, down = terms.copy(), terms.copy()
        up[index] += eps
        down[index] -= eps
        numeric[index] = (f(up, mask)[index[:2]] - f(down, mask)[index[:2]]) / (2 * eps)
    np.testing.assert_allclose(analytic, numeric, atol=1e-6)
    assert (analytic[:, ~mask] == 0).all()  # padding gets no gradient


def test_product_passes_gradient_past_a_zero_term():
    terms, mask = np.array([[2.0, 0.0, 3.0]]), np.ones((1, 3), dtype=bool)
    np.testing.assert_array_equal(AGGREGATION_FUNCTIONS["product"][1](terms, mask), [[0.0, 6.0, 0.0]])


@pytest.mark.parametrize("name", AGGREGATIONS)
def test_padding_changes_no_bit(name):
    # the lock-step policy pads each node's terms to the columns its depth level reads; the float
    # policy aggregates just the present terms: both must give the same bits, overflow included
    rng = np.random.default_rng(2)
    values = np.concatenate([rng.normal(size=40) * 1e3, [np.inf, -np.inf, np.nan, 0.0, -0.0, 1e308, -1e308]])
    f = AGGREGATION_FUNCTIONS[name][0]
    for _ in range(300):
        k = int(rng.integers(0, 6))
        present = rng.choice(values, k)
        width = k + int(rng.integers(0, 4))
        slots = np.sort(rng.permutation(width)[:k])
        padded = rng.choice(values, width)  # padding holds whatever the buffer had
        padded[slots] = present
        mask = np.zeros(width, dtype=bool)
        mask[slots] = True
        with np.errstate(all="ignore"):
            alone = f(present[None], np.ones((1, k), dtype=bool))[0]
            together = f(padded[None], mask[None])[0]
        assert np.array_equal(alone, together, equal_nan=True), (name, present, padded, mask)

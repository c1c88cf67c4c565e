"""ottorch.datasets.playground: the TensorFlow Playground / Backprop NEAT 2-D classification sets."""

import numpy as np
import pytest

import ottorch
from ottorch import datasets as D

GENERATORS = [D.make_circle, D.make_xor2d, D.make_gaussian, D.make_spiral]
IDS = [f.__name__ for f in GENERATORS]


def draw(make, n=200, noise=0.5, seed=0):
    x, y = make(n, noise=noise, generator=np.random.default_rng(seed))
    return x.numpy(), y.numpy()


@pytest.mark.parametrize("make", GENERATORS, ids=IDS)
def test_shapes_dtypes_and_labels(make):
    x, y = make(201, generator=np.random.default_rng(0))
    assert x.shape == (201, 2) and x.dtype == ottorch.float32
    assert y.shape == (201,) and y.dtype == ottorch.float32
    y = y.numpy()
    assert set(np.unique(y).tolist()) == {0.0, 1.0}
    assert np.all(np.abs(x.numpy()) < 12)


@pytest.mark.parametrize("make", [D.make_circle, D.make_gaussian, D.make_spiral], ids=IDS[0:1] + IDS[2:])
def test_classes_are_balanced_and_shuffled(make):
    _, y = draw(make, n=201)
    assert (y == 1).sum() == 100 and (y == 0).sum() == 101
    assert np.any(np.diff(y) > 0) and np.any(np.diff(y) < 0)  # classes interleave


def test_xor_classes_are_roughly_balanced():
    _, y = draw(D.make_xor2d, n=400)
    assert 0.4 < y.mean() < 0.6


@pytest.mark.parametrize("make", GENERATORS, ids=IDS)
def test_a_seed_gives_the_same_data_and_another_seed_other_data(make):
    x, y = draw(make, seed=3)
    x2, y2 = draw(make, seed=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    assert not np.array_equal(draw(make, seed=4)[0], x)


@pytest.mark.parametrize("make", GENERATORS, ids=IDS)
def test_noise_moves_the_points(make):
    clean, _ = draw(make, noise=0.0)
    noisy, _ = draw(make, noise=0.5)
    assert not np.allclose(clean, noisy)


def test_circle_without_noise_is_a_disc_inside_a_ring():
    x, y = draw(D.make_circle, noise=0.0)
    r = np.hypot(x[:, 0], x[:, 1])
    assert r[y == 1].max() <= 2.5 + 1e-5
    assert 3.75 - 1e-5 <= r[y == 0].min() and r[y == 0].max() <= 5 + 1e-5


def test_xor_labels_follow_the_quadrant_of_the_noisy_point():
    x, y = draw(D.make_xor2d, noise=1.0)
    np.testing.assert_array_equal(y == 1, x[:, 0] * x[:, 1] > 0)


def test_gaussian_centres_and_spread():
    x, y = draw(D.make_gaussian, n=4000, noise=0.5)
    np.testing.assert_allclose(x[y == 1].mean(axis=0), [2, 2], atol=0.15)
    np.testing.assert_allclose(x[y == 0].mean(axis=0), [-2, -2], atol=0.15)
    np.testing.assert_allclose(x[y == 1].std(axis=0), [1.5, 1.5], atol=0.1)


def test_spiral_arms_without_noise_are_each_others_half_turn():
    x, y = draw(D.make_spiral, noise=0.0)
    one, zero = x[y == 1], x[y == 0]
    order = lambda a: a[np.lexsort(a.T)]  # noqa: E731
    np.testing.assert_allclose(order(one), order(-zero), atol=1e-5)
    assert np.hypot(x[:, 0], x[:, 1]).max() < 6


def test_too_few_points_raise():
    with pytest.raises(ValueError, match="at least 2"):
        D.make_spiral(1, generator=np.random.default_rng(0))

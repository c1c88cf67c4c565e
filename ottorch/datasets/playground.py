"""The four 2-D binary classification sets of the TensorFlow Playground (circle, XOR, two Gaussians,
spiral) as the Backprop NEAT demo defines them.

Sources: the Playground's ``src/dataset.ts`` (github.com/tensorflow/playground: classifyCircleData,
classifyXORData, classifyTwoGaussData, classifySpiralData) and the Backprop NEAT demo's adaptation
of it (github.com/hardmaru/backprop-neat-js, ``datafit-neat.js``, otoro.net 2016), which uses
noise 0.5, 200 training and 400 test points. Coordinates lie in about [-6, 6]. Noise here is
the demo's: it displaces points and never changes a label, so the classes stay (nearly) separable.
The Playground itself differs for three sets: its circle and XOR noise flips labels (the label is
that of a randomly shifted copy of the point), its Gaussian variance goes from 0.5 to 4 as noise
goes from 0 to 0.5, and its spiral reaches radius 5 instead of 6.

Each generator returns ``Data`` (unpacks as ``x, y``) with the points of both classes shuffled together.
"""

from __future__ import annotations

import numpy as np

from ottorch._tensor_base import _make
from ottorch.datasets.base import Data
from ottorch.random import as_numpy_generator

#: Radius of the circle set's outer ring (the inner disc has half of it).
CIRCLE_RADIUS = 5.0
#: Outer radius of the spiral arms.
SPIRAL_RADIUS = 6.0
#: Turns of each spiral arm.
SPIRAL_TURNS = 1.75


def _split(n: int) -> tuple[int, int]:
    """Points of class 1 and class 0 (class 0 gets the extra point of an odd ``n``)."""
    if n < 2:
        raise ValueError(f"need at least 2 points (one per class), got {n}")
    return n // 2, n - n // 2


def _shuffled(rng: np.random.Generator, x: np.ndarray, y: np.ndarray) -> Data:
    order = rng.permutation(len(x))
    return Data(_make(x[order].astype(np.float32), False, None), _make(y[order].astype(np.float32), False, None))


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Points (len, 2) at radius ``r`` and ``angle``, measured from the y axis as the Playground does."""
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)


def make_circle(n: int = 200, noise: float = 0.5, generator=None) -> Data:
    """A disc (label 1, radius uniform in [0, 2.5]) inside a ring (label 0, radius uniform in
    [3.75, 5]); each coordinate is then shifted by uniform(-5, 5) * noise / 3.
    x (n, 2) float32, y (n,) float32 of 0/1. ``generator``: a numpy or ottorch Generator (None:
    ottorch's default generator)."""
    rng = as_numpy_generator(generator)
    n1, n0 = _split(n)
    r = np.concatenate([rng.uniform(0.0, 0.5 * CIRCLE_RADIUS, n1),
                        rng.uniform(0.75 * CIRCLE_RADIUS, CIRCLE_RADIUS, n0)])
    x = _polar(r, rng.uniform(0.0, 2 * np.pi, n))
    x += rng.uniform(-CIRCLE_RADIUS, CIRCLE_RADIUS, (n, 2)) * (noise / 3)
    return _shuffled(rng, x, np.repeat([1.0, 0.0], [n1, n0]))


def make_xor2d(n: int = 200, noise: float = 0.5, generator=None) -> Data:
    """Points uniform in [-5, 5]^2 plus Gaussian noise of standard deviation ``noise`` per coordinate;
    label 1 where both (displaced) coordinates have the same sign, 0 elsewhere.
    x (n, 2) float32, y (n,) float32 of 0/1; classes are balanced only on average."""
    rng = as_numpy_generator(generator)
    x = rng.uniform(-5.0, 5.0, (n, 2)) + noise * rng.standard_normal((n, 2))
    return _shuffled(rng, x, (x[:, 0] * x[:, 1] > 0).astype(np.float32))


def make_gaussian(n: int = 200, noise: float = 0.5, generator=None) -> Data:
    """Two Gaussian clouds of standard deviation ``1 + noise`` per coordinate, centred at (2, 2)
    (label 1) and (-2, -2) (label 0). x (n, 2) float32, y (n,) float32 of 0/1."""
    rng = as_numpy_generator(generator)
    n1, n0 = _split(n)
    centre = np.repeat([[2.0, 2.0], [-2.0, -2.0]], [n1, n0], axis=0)
    x = centre + (1.0 + noise) * rng.standard_normal((n, 2))
    return _shuffled(rng, x, np.repeat([1.0, 0.0], [n1, n0]))


def make_spiral(n: int = 200, noise: float = 0.5, generator=None) -> Data:
    """Two interleaved spiral arms of 1.75 turns from the origin out to radius 6, the second rotated
    by pi: point i of an arm of m points is at radius 6 i / m, angle 3.5 pi i / m. The arm at angle
    offset pi is label 1, the other label 0 (as in the Backprop NEAT demo). Each coordinate is then
    shifted by uniform(-1, 1) * noise. x (n, 2) float32, y (n,) float32 of 0/1."""
    rng = as_numpy_generator(generator)
    n1, n0 = _split(n)
    # Points are evenly spaced along each arm: only the noise is random.
    arms = []
    for m, offset in ((n1, np.pi), (n0, 0.0)):
        t = np.arange(m) / m
        arms.append(_polar(SPIRAL_RADIUS * t, 2 * np.pi * SPIRAL_TURNS * t + offset))
    x = np.concatenate(arms) + rng.uniform(-1.0, 1.0, (n, 2)) * noise
    return _shuffled(rng, x, np.repeat([1.0, 0.0], [n1, n0]))

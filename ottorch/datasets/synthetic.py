"""Synthetic tasks generated from a seed: XOR, sine regression and bit parity."""

from __future__ import annotations

import numpy as np

from ottorch._tensor_base import _make
from ottorch.datasets.base import Data
from ottorch.random import as_numpy_generator


def _data(x: np.ndarray, y: np.ndarray) -> Data:
    return Data(_make(x, False, None), _make(y, False, None))


def make_xor() -> Data:
    """The four XOR patterns: x (4, 2) float32, y (4,) int64."""
    return _data(np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32), np.array([0, 1, 1, 0]))


def make_sine(n: int = 256, low: float = -np.pi, high: float = np.pi, noise: float = 0.0,
              generator=None) -> Data:
    """``y = sin(x)`` (+ Gaussian noise) at ``n`` uniform points: x (n, 1), y (n, 1), float32."""
    rng = as_numpy_generator(generator)
    x = rng.uniform(low, high, (n, 1))
    y = np.sin(x) + noise * rng.standard_normal((n, 1))
    return _data(x.astype(np.float32), y.astype(np.float32))


def make_parity(n: int, length: int, generator=None) -> Data:
    """Random bit sequences and their parity: x (n, length, 1) float32, y (n,) int64 (1 = odd)."""
    if length < 1:
        raise ValueError(f"length must be positive, got {length}")
    bits = as_numpy_generator(generator).integers(0, 2, (n, length))
    return _data(bits[..., None].astype(np.float32), (bits.sum(axis=1) % 2).astype(np.int64))


def make_parity_varlen(n: int, min_length: int, max_length: int, generator=None) -> tuple[list, np.ndarray]:
    """Bit sequences of lengths drawn uniformly from ``[min_length, max_length]`` and their parity.

    Returns ``(sequences, labels)``: a list of float32 arrays of shape (L_i, 1) and an int64 array,
    ready for ``ottorch.utils.data.VarLenDataset``.
    """
    if not 1 <= min_length <= max_length:
        raise ValueError(f"need 1 <= min_length <= max_length, got {min_length}, {max_length}")
    rng = as_numpy_generator(generator)
    lengths = rng.integers(min_length, max_length + 1, n)
    bits = rng.integers(0, 2, (n, max_length))
    sequences = [bits[i, :length, None].astype(np.float32) for i, length in enumerate(lengths)]
    labels = np.array([int(s.sum()) % 2 for s in sequences], dtype=np.int64)
    return sequences, labels

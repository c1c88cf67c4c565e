"""Seeded (stratified) train/test splits and standardisation fitted on the training split."""

from __future__ import annotations

import numpy as np

from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.random import as_numpy_generator


def train_test_split(x: Tensor, y: Tensor, test_size: float = 0.2, stratify: bool = False,
                     generator=None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Shuffle and split into ``(x_train, x_test, y_train, y_test)``.

    ``test_size`` is a fraction (0, 1) or a count. With ``stratify`` (integer class targets) every
    class keeps its proportion in both parts, rounding per class.
    """
    n = len(x)
    if len(y) != n:
        raise ValueError(f"x has {n} samples but y has {len(y)}")
    n_test = round(test_size * n) if isinstance(test_size, float) else int(test_size)
    if not 0 < n_test < n:
        raise ValueError(f"test_size={test_size} leaves an empty train or test split of {n} samples")
    rng = as_numpy_generator(generator)
    if stratify:
        labels = y._data
        if labels.dtype.kind not in "iub":
            raise TypeError(f"stratify needs integer class targets, got dtype {labels.dtype}")
        test = []
        for c in np.unique(labels):
            members = rng.permutation(np.flatnonzero(labels == c))
            test.append(members[: round(len(members) * n_test / n)])
        test_idx = rng.permutation(np.concatenate(test))
    else:
        test_idx = rng.permutation(n)[:n_test]
    mask = np.ones(n, dtype=bool)
    mask[test_idx] = False
    train_idx = rng.permutation(np.flatnonzero(mask))
    return x[train_idx], x[test_idx], y[train_idx], y[test_idx]


class StandardScaler:
    """Zero mean and unit variance per feature, with statistics from ``fit`` (the training split)."""

    def __init__(self) -> None:
        self.mean: np.ndarray | None = None
        self.std: np.ndarray | None = None

    def fit(self, x: Tensor) -> StandardScaler:
        data = x._data.astype(np.float64)
        self.mean = data.mean(axis=0)
        std = data.std(axis=0)
        self.std = np.where(std > 0, std, 1.0)  # constant features stay constant instead of nan
        return self

    def transform(self, x: Tensor) -> Tensor:
        if self.mean is None:
            raise RuntimeError("StandardScaler.transform called before fit")
        if x.shape[-1] != self.mean.shape[-1]:
            raise ValueError(f"fitted on {self.mean.shape[-1]} features, got {x.shape[-1]}")
        return _make(((x._data - self.mean) / self.std).astype(x._data.dtype), False, None)

    def fit_transform(self, x: Tensor) -> Tensor:
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Tensor) -> Tensor:
        if self.mean is None:
            raise RuntimeError("StandardScaler.inverse_transform called before fit")
        return _make((x._data * self.std + self.mean).astype(x._data.dtype), False, None)

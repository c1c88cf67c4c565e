"""Datasets (PyTorch's ``torch.utils.data.dataset``): ``Dataset``, ``IterableDataset``, ``TensorDataset``,
``Subset``, ``ConcatDataset``, ``ChainDataset`` and ``random_split``.

Batched fetch: PyTorch 2.x lets a map-style dataset define ``__getitems__(indices)``, which the
``DataLoader`` calls once per batch instead of ``__getitem__`` once per sample. ``TensorDataset`` (and
``Subset`` over it) answer with a :class:`StackedBatch`: the batch stored column by column, one
fancy-index per tensor. ``default_collate`` returns those columns as they are, so the common
``DataLoader(TensorDataset(x, y), batch_size=...)`` loop does no per-sample Python work.
"""

from __future__ import annotations

import bisect
import itertools
import math
import warnings
from collections.abc import Iterable, Iterator, Sequence
from typing import Generic, TypeVar

import numpy as np

from ottorch._creation import from_numpy, randperm
from ottorch._tensor import Tensor

T_co = TypeVar("T_co", covariant=True)


class StackedBatch(Sequence):
    """A batch of tuple samples stored column-wise: sample ``i`` is ``tuple(c[i] for c in columns)``.

    Returned by the ``__getitems__`` of ``TensorDataset``, ``Subset`` and ``VarLenDataset``.
    ``default_collate`` turns it into ``list(columns)`` without touching single samples; any other
    collate function gets the plain list of sample tuples from the ``DataLoader``, as in PyTorch.
    ``columns`` are already-batched values (tensors whose first dimension is the batch).
    """

    __slots__ = ("columns",)

    def __init__(self, columns: Sequence) -> None:
        self.columns = tuple(columns)
        if not self.columns:
            raise ValueError("StackedBatch needs at least one column")
        sizes = {len(c) for c in self.columns}
        if len(sizes) != 1:
            raise ValueError(f"StackedBatch columns must share their first dimension, got sizes {sorted(sizes)}")

    def __len__(self) -> int:
        return len(self.columns[0])

    def __getitem__(self, i):
        if isinstance(i, slice):
            return StackedBatch([c[i] for c in self.columns])
        return tuple(c[i] for c in self.columns)

    def __repr__(self) -> str:
        return f"StackedBatch(len={len(self)}, columns={len(self.columns)})"


class Dataset(Generic[T_co]):
    """A map-style dataset: subclasses implement ``__getitem__`` (and usually ``__len__``).

    They may also implement ``__getitems__(indices)`` to fetch a whole batch at once; the
    ``DataLoader`` then calls it once per batch and passes its result to ``collate_fn``.
    ``a + b`` concatenates two datasets into a ``ConcatDataset``.
    """

    def __getitem__(self, index) -> T_co:
        raise NotImplementedError("Subclasses of Dataset should implement __getitem__.")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset[T_co], Iterable):
    """A dataset that is a stream: subclasses implement ``__iter__``. ``a + b`` chains two streams."""

    def __iter__(self) -> Iterator[T_co]:
        raise NotImplementedError("Subclasses of IterableDataset should implement __iter__.")

    def __add__(self, other: Dataset) -> ChainDataset:
        return ChainDataset([self, other])


def _as_tensor_column(t, position: int) -> Tensor:
    if isinstance(t, Tensor):
        return t
    if isinstance(t, np.ndarray):
        return from_numpy(t)
    raise TypeError(f"TensorDataset: argument {position} must be a Tensor or numpy array, got {type(t).__name__}")


def _index_array(indices) -> np.ndarray:
    """Batch indices (a list of ints, an integer array or tensor) as an integer numpy array."""
    idx = np.asarray(indices._data if isinstance(indices, Tensor) else indices)
    if idx.size == 0:
        return idx.astype(np.intp)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"batch indices must be integers, got an array of dtype {idx.dtype}")
    return idx


class TensorDataset(Dataset):
    """Samples are slices along the first dimension: ``ds[i] == tuple(t[i] for t in tensors)``.

    All tensors must have the same size in dimension 0 (numpy arrays are wrapped without a copy).
    ``__getitems__`` fetches a batch with one fancy-index per tensor and returns a ``StackedBatch``.
    """

    def __init__(self, *tensors: Tensor) -> None:
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        tensors = tuple(_as_tensor_column(t, i) for i, t in enumerate(tensors))
        for i, t in enumerate(tensors):
            if t.ndim == 0:
                raise ValueError(f"TensorDataset: tensor {i} is 0-dimensional; every tensor needs a first dimension")
        sizes = [t.shape[0] for t in tensors]
        if len(set(sizes)) != 1:
            shapes = ", ".join(str(list(t.shape)) for t in tensors)
            raise ValueError(f"Size mismatch between tensors: first dimensions differ (shapes {shapes})")
        self.tensors = tensors

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __getitems__(self, indices: Sequence[int]) -> StackedBatch:
        idx = _index_array(indices)
        return StackedBatch([t[idx] for t in self.tensors])

    def __len__(self) -> int:
        return self.tensors[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices`` (``subset[i] == dataset[indices[i]]``)."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset = dataset
        self.indices = indices

    @property
    def indices(self) -> Sequence[int]:
        return self._indices

    @indices.setter
    def indices(self, value: Sequence[int]) -> None:
        # A cached integer array makes every batch lookup one vectorised gather.
        self._indices = value
        self._index_array = _index_array(value).reshape(-1)

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[self._index_array[idx].tolist()]
        return self.dataset[int(self._index_array[idx])]

    def __getitems__(self, indices: Sequence[int]):
        if type(self).__getitem__ is not Subset.__getitem__:
            # A subclass that customises __getitem__ must keep its per-sample behaviour.
            return [self[i] for i in indices]
        mapped = self._index_array[_index_array(indices)].tolist()
        getitems = getattr(self.dataset, "__getitems__", None)
        if callable(getitems):
            return getitems(mapped)
        return [self.dataset[i] for i in mapped]

    def __len__(self) -> int:
        return len(self._index_array)


class ConcatDataset(Dataset):
    """The concatenation of map-style datasets; ``cumulative_sizes[k]`` is the length of the first k+1."""

    @staticmethod
    def cumsum(sequence: Iterable[Dataset]) -> list[int]:
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("datasets should not be an empty iterable")
        for i, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise TypeError(f"ConcatDataset does not support IterableDataset (datasets[{i}] is one)")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx: int):
        n = len(self)
        if idx < 0:
            if -idx > n:
                raise ValueError("absolute value of index should not exceed dataset length")
            idx += n
        if idx >= n:
            raise IndexError(f"index {idx} is out of range for a ConcatDataset of length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, idx)
        return self.datasets[d][idx - (self.cumulative_sizes[d - 1] if d else 0)]


class ChainDataset(IterableDataset):
    """Iterable datasets chained one after the other."""

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)

    def __iter__(self) -> Iterator:
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset (datasets[{i}] is not one)")
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)


def _fraction_lengths(n: int, fractions: Sequence[float]) -> list[int]:
    """PyTorch's split of ``n`` items by fractions: floor each share, then hand out the remainder round-robin."""
    for i, f in enumerate(fractions):
        if f < 0 or f > 1:
            raise ValueError(f"Fraction at index {i} is not between 0 and 1")
    lengths = (np.floor(n * np.asarray(fractions, dtype=np.float64))).astype(np.int64)
    remainder = n - int(lengths.sum())
    lengths += np.arange(len(lengths)) < remainder % len(lengths)
    lengths += remainder // len(lengths)
    for i in np.flatnonzero(lengths == 0):
        warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.", stacklevel=3)
    return lengths.tolist()


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random ``Subset``s of the given lengths.

    ``lengths`` are sample counts summing to ``len(dataset)``, or fractions summing to 1 (each floored,
    the remainder handed out one by one from the first split). ``generator`` (an ``ottorch.Generator``
    or numpy Generator; default: ottorch's default generator) makes the split reproducible.
    """
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths must not be empty")
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        lengths = _fraction_lengths(len(dataset), lengths)
    elif any(not isinstance(x, (int, np.integer)) or isinstance(x, bool) for x in lengths):
        raise ValueError(f"random_split: lengths must be ints or fractions summing to 1, got {lengths}")
    if any(x < 0 for x in lengths):
        raise ValueError(f"random_split: lengths must be non-negative, got {lengths}")
    if sum(lengths) != len(dataset):
        raise ValueError(
            f"Sum of input lengths ({sum(lengths)}) does not equal the length of the input dataset ({len(dataset)})!"
        )
    perm = randperm(sum(lengths), generator=generator)._data
    ends = np.cumsum(lengths)
    return [Subset(dataset, perm[end - n : end].tolist()) for end, n in zip(ends.tolist(), lengths)]

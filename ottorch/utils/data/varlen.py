"""Variable-length sequences without padding (after only_torch's ``VarLenDataset`` and
``BucketedDataLoader``): samples of equal length are batched together, so every batch is one dense
``(B, L, F)`` tensor that recurrent layers with ``batch_first=True`` take directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np

from ottorch._creation import as_tensor
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.random import as_numpy_generator
from ottorch.utils.data.dataloader import DataLoader, default_collate
from ottorch.utils.data.dataset import Dataset, StackedBatch
from ottorch.utils.data.sampler import Sampler, _is_positive_int


def _as_array(x) -> np.ndarray:
    """The numpy data of a tensor or array; other data is converted like ``ottorch.tensor`` does."""
    return as_tensor(x)._data


def _group_by_length(lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sample indices sorted by length (stable), and per distinct length its value, start and count."""
    order = np.argsort(lengths, kind="stable")
    values, starts, counts = np.unique(lengths[order], return_index=True, return_counts=True)
    return order, values, starts, counts


class VarLenDataset(Dataset):
    """Sequences of different lengths with one label each.

    ``sequences[i]`` is a tensor, array or nested list of shape ``(L_i,)`` or ``(L_i, F)`` (``L_i >= 1``,
    one ``F`` for all); a 1-D sequence counts as ``F = 1``. ``labels`` has one entry per sequence (a
    tensor, array or list; Python data converts like ``ottorch.tensor``). ``ds[i]`` is
    ``(x, y)`` with ``x`` of shape ``(L_i, F)``; ``lengths`` is the int64 numpy array of the ``L_i``.

    The data is copied into one ``(n_L, L, F)`` block per distinct length, so ``__getitems__`` serves a
    batch of equal-length samples with one fancy-index (a ``StackedBatch`` of ``x`` ``(B, L, F)`` and
    the stacked labels); for mixed lengths it returns the list of samples, for a padding ``collate_fn``.
    """

    def __init__(self, sequences: Sequence, labels) -> None:
        arrays = [_as_array(s) for s in sequences]
        if not arrays:
            raise ValueError("VarLenDataset needs at least one sequence")
        bad = next((i for i, a in enumerate(arrays) if a.ndim not in (1, 2)), None)
        if bad is not None:
            raise ValueError(f"sequence {bad} has shape {list(arrays[bad].shape)}; expected (L,) or (L, F)")
        arrays = [a[:, None] if a.ndim == 1 else a for a in arrays]
        features = np.array([a.shape[1] for a in arrays])
        self.lengths = np.array([a.shape[0] for a in arrays], dtype=np.int64)
        if (features != features[0]).any():
            bad = int(np.flatnonzero(features != features[0])[0])
            raise ValueError(
                f"all sequences need the same feature size: sequence 0 has {features[0]}, sequence {bad} has "
                f"{features[bad]}"
            )
        if (self.lengths == 0).any():
            raise ValueError(f"sequence {int(np.flatnonzero(self.lengths == 0)[0])} is empty; lengths must be >= 1")
        self.feature_size = int(features[0])

        self.labels = as_tensor(labels)
        if self.labels.ndim == 0 or len(self.labels) != len(arrays):
            raise ValueError(
                f"labels must have one entry per sequence: {len(arrays)} sequences, labels of shape "
                f"{list(self.labels.shape)}"
            )

        dtype = np.result_type(*{a.dtype for a in arrays})
        order, values, starts, counts = _group_by_length(self.lengths)
        self._blocks = [
            np.stack([arrays[i] for i in order[s : s + c]]).astype(dtype, copy=False)
            for s, c in zip(starts.tolist(), counts.tolist())
        ]
        # Where sample i lives: block _block_of[i], row _row_of[i].
        self._block_of = np.empty(len(arrays), dtype=np.intp)
        self._row_of = np.empty(len(arrays), dtype=np.intp)
        self._block_of[order] = np.repeat(np.arange(len(values)), counts)
        self._row_of[order] = np.arange(len(arrays)) - np.repeat(starts, counts)

    def __len__(self) -> int:
        return len(self.lengths)

    def __getitem__(self, index: int) -> tuple[Tensor, Tensor]:
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"index {index} is out of range for a VarLenDataset of length {n}")
        index %= n
        x = self._blocks[self._block_of[index]][self._row_of[index]]
        return _make(x, False, None), self.labels[index]

    def __getitems__(self, indices: Sequence[int]) -> StackedBatch | list:
        idx = np.asarray(indices, dtype=np.intp).reshape(-1)
        n = len(self)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"batch indices out of range for a VarLenDataset of length {n}")
        idx = idx % n
        blocks = self._block_of[idx]
        if idx.size == 0 or (blocks != blocks[0]).any():
            return [self[i] for i in idx.tolist()]
        x = self._blocks[blocks[0]][self._row_of[idx]]
        return StackedBatch([_make(x, False, None), self.labels[idx]])


class BucketBatchSampler(Sampler[list[int]]):
    """Batches of indices whose ``lengths`` are all equal, at most ``batch_size`` per batch.

    With ``shuffle``, every epoch shuffles the samples within each length and the order of all batches,
    drawing from ``generator`` (default: ottorch's default generator, looked up each epoch); without
    it, batches come in order of increasing length. ``drop_last`` drops each length's short last batch.
    """

    def __init__(self, lengths, batch_size: int, shuffle: bool = True, drop_last: bool = False,
                 generator=None) -> None:
        if not _is_positive_int(batch_size):
            raise ValueError(f"batch_size should be a positive integer value, but got batch_size={batch_size}")
        self.lengths = np.asarray(lengths._data if isinstance(lengths, Tensor) else lengths).reshape(-1)
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        _, _, self._starts, self._counts = _group_by_length(self.lengths)
        per_bucket = self._counts // self.batch_size if self.drop_last else -(-self._counts // self.batch_size)
        # Batch b covers positions [_batch_start[b], _batch_end[b]) of the length-sorted order.
        bucket = np.repeat(np.arange(len(self._counts)), per_bucket)
        rank = np.arange(len(bucket)) - np.repeat(np.cumsum(per_bucket) - per_bucket, per_bucket)
        self._batch_start = self._starts[bucket] + rank * self.batch_size
        self._batch_end = np.minimum(self._batch_start + self.batch_size, (self._starts + self._counts)[bucket])

    def __iter__(self) -> Iterator[list[int]]:
        batch_order = np.arange(len(self._batch_start))
        if self.shuffle:
            rng = as_numpy_generator(self.generator)
            # Sorting by (length, random key) shuffles within every length in one pass.
            order = np.lexsort((rng.random(len(self.lengths)), self.lengths))
            batch_order = rng.permutation(batch_order)
        else:
            order = np.argsort(self.lengths, kind="stable")
        for start, end in zip(self._batch_start[batch_order].tolist(), self._batch_end[batch_order].tolist()):
            yield order[start:end].tolist()

    def __len__(self) -> int:
        return len(self._batch_start)


def _collate_pair(batch) -> tuple:
    return tuple(default_collate(batch))


class BucketedDataLoader(DataLoader):
    """A ``DataLoader`` over a ``VarLenDataset`` whose batches hold samples of one length only.

    Each batch is a tuple ``(x, y)``: ``x`` of shape ``(B, L, F)`` (``F = 1`` for 1-D sequences) with
    ``B <= batch_size``, and ``y`` the stacked labels, so no padding is needed. With ``shuffle``, the
    samples within each length and the order of the batches are reshuffled every epoch from
    ``generator`` (seeded = reproducible). ``len(loader)`` is the number of batches per epoch. Any
    dataset with a ``lengths`` attribute (one length per sample) works; the batches come from
    ``BucketBatchSampler``.
    """

    def __init__(self, dataset: Dataset, batch_size: int, shuffle: bool = True, drop_last: bool = False,
                 generator=None) -> None:
        lengths = getattr(dataset, "lengths", None)
        if lengths is None:
            raise TypeError(
                f"BucketedDataLoader needs a dataset with a `lengths` attribute (e.g. VarLenDataset), "
                f"got {type(dataset).__name__}"
            )
        if len(lengths) != len(dataset):
            raise ValueError(f"dataset.lengths has {len(lengths)} entries for {len(dataset)} samples")
        sampler = BucketBatchSampler(lengths, batch_size, shuffle=shuffle, drop_last=drop_last, generator=generator)
        super().__init__(dataset, batch_sampler=sampler, collate_fn=_collate_pair, generator=generator)
        self._columnar_collate = True
        # DataLoader freezes these; a bucketed loader reports its maximal batch size and drop_last.
        object.__setattr__(self, "batch_size", sampler.batch_size)
        object.__setattr__(self, "drop_last", sampler.drop_last)
        self.shuffle = sampler.shuffle

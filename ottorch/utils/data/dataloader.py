"""``DataLoader`` and the collate functions (PyTorch's ``torch.utils.data.dataloader``).

Everything runs in the calling process: ottorch parallelises training with Ray, not with DataLoader
worker processes. ``num_workers > 0`` is accepted and behaves like a single worker running in-process
(see ``DataLoader``).
"""

from __future__ import annotations

import collections.abc
import copy
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import islice
from typing import Generic, TypeVar

import numpy as np

from ottorch import _dtype
from ottorch._creation import tensor
from ottorch._functions import stack
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make
from ottorch.autograd.grad_mode import state as _grad_state
from ottorch.random import as_numpy_generator
from ottorch.utils.data.dataset import Dataset, IterableDataset, StackedBatch
from ottorch.utils.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler

T_co = TypeVar("T_co", covariant=True)

# numpy dtype strings of byte/unicode strings and Python objects, which do not become tensors.
_NP_STR_OBJ = re.compile(r"[SaUO]")
_COLLATE_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _array_tensor(array: np.ndarray) -> Tensor:
    _dtype.from_numpy(array.dtype)  # a clear TypeError for dtypes ottorch has no tensor type for
    return _make(array, False, None)


def _stack_tensors(batch: Sequence[Tensor]) -> Tensor:
    """``ottorch.stack`` of the samples; stacks the raw arrays when no gradient has to flow."""
    if _grad_state.enabled and any(t._requires_grad for t in batch):
        return stack(batch)
    try:
        return _array_tensor(np.stack([t._data for t in batch]))
    except ValueError:
        return stack(batch)  # raises PyTorch's "stack expects each tensor to be equal size" error


def default_collate(batch):
    """Merge a list of samples into a batch, like PyTorch's ``default_collate``.

    Tensors and numpy arrays are stacked along a new first dimension; Python ints become an int64
    tensor, floats a float64 tensor (as in PyTorch), bools a bool tensor, numpy scalars a tensor of
    their dtype; strings and bytes stay a list. Dicts, namedtuples, tuples and lists are collated
    field by field (tuples come back as lists, as in PyTorch). A ``StackedBatch`` (from a dataset's
    ``__getitems__``) is already batched: its columns are returned as a list.
    """
    if isinstance(batch, StackedBatch):
        return list(batch.columns)
    elem = batch[0]
    elem_type = type(elem)
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        if _NP_STR_OBJ.search(elem.dtype.str) is not None:
            raise TypeError(_COLLATE_ERR.format(elem.dtype))
        return _array_tensor(np.stack(batch))
    if isinstance(elem, np.generic) and not isinstance(elem, (np.str_, np.bytes_)):
        return _array_tensor(np.asarray(batch))
    if isinstance(elem, float):
        return tensor(batch, dtype=_dtype.float64)
    if isinstance(elem, int):
        return tensor(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(collated)
            return clone
        try:
            return elem_type(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):
        return elem_type(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(sample) != size for sample in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        fields = [default_collate(list(field)) for field in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            clone[:] = fields
            return clone
        try:
            return elem_type(fields)
        except TypeError:
            return fields
    raise TypeError(_COLLATE_ERR.format(elem_type))


def default_convert(data):
    """Turn numpy arrays and scalars inside ``data`` into tensors, keeping its structure (PyTorch's
    ``default_convert``, the collate function when automatic batching is off). Tuples become lists."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _NP_STR_OBJ.search(data.dtype.str) is not None else _array_tensor(data)
    if isinstance(data, np.generic) and not isinstance(data, (np.str_, np.bytes_)):
        return _array_tensor(np.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data


@dataclass(frozen=True)
class WorkerInfo:
    """What ``get_worker_info()`` reports inside a (simulated) worker."""

    id: int
    num_workers: int
    seed: int
    dataset: Dataset


_current_worker: list[WorkerInfo | None] = [None]


def get_worker_info() -> WorkerInfo | None:
    """The ``WorkerInfo`` while a ``DataLoader`` with ``num_workers > 0`` fetches data, else None."""
    return _current_worker[0]


@contextmanager
def _as_worker(info: WorkerInfo | None):
    previous = _current_worker[0]
    _current_worker[0] = info
    try:
        yield
    finally:
        _current_worker[0] = previous


class _InfiniteConstantSampler(Sampler):
    """The placeholder sampler of an ``IterableDataset``, whose samples come from iterating it."""

    def __iter__(self) -> Iterator[None]:
        while True:
            yield None


_END = object()  # marks an exhausted IterableDataset
_FROZEN_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset", "persistent_workers")


class DataLoader(Generic[T_co]):
    """Iterate over a dataset in batches (PyTorch's ``torch.utils.data.DataLoader``), in this process.

    Arguments and errors are PyTorch's: ``shuffle`` draws a new permutation each epoch from
    ``generator`` (an ``ottorch.Generator`` or numpy Generator; default: ottorch's default generator,
    looked up at each epoch), so two loaders with equally seeded generators give identical batches.
    ``sampler``/``batch_sampler`` replace the default index order; ``batch_size=None`` turns automatic
    batching off (samples pass through ``default_convert``). ``len(loader)`` is the number of batches.

    Map-style datasets with ``__getitems__`` are fetched one batch at a time, as in PyTorch 2.x. When
    that returns a ``StackedBatch`` (``TensorDataset``, ``Subset``), the default collate returns its
    columns directly; a custom ``collate_fn`` receives the list of sample tuples, as in PyTorch.

    Single process only: ottorch parallelises with Ray, not DataLoader workers. ``num_workers > 0`` is
    accepted and acts like one worker running in this process: at the start of each epoch (only the
    first one with ``persistent_workers``) ``worker_init_fn(0)`` is called, and while data is fetched
    ``get_worker_info()`` returns ``WorkerInfo(id=0, num_workers=1, seed, dataset)`` with a seed drawn
    from ``generator``. The process's random state is not reseeded. ``pin_memory``, ``timeout``,
    ``prefetch_factor``, ``multiprocessing_context``, ``pin_memory_device`` and ``in_order`` are
    validated like PyTorch and otherwise have no effect (CPU only, nothing runs in the background).
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler: Sampler | Iterable | None = None,
        batch_sampler: Sampler | Iterable | None = None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable[[int], None] | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        object.__setattr__(self, "_initialized", False)
        if num_workers < 0:
            raise ValueError(
                "num_workers option should be non-negative; use num_workers=0 to disable multiprocessing."
            )
        if timeout < 0:
            raise ValueError("timeout option should be non-negative")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError(
                "prefetch_factor option could only be specified in multiprocessing. let num_workers > 0 to "
                "enable multiprocessing, otherwise set prefetch_factor to None."
            )
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers option needs num_workers > 0")
        if multiprocessing_context is not None and num_workers == 0:
            raise ValueError(
                "multiprocessing_context can only be used with multi-process loading (num_workers > 0), "
                f"but got num_workers={num_workers}"
            )

        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (False, None):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None:
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified sampler option, but got sampler={sampler}"
                )
            if batch_sampler is not None:
                raise ValueError(
                    "DataLoader with IterableDataset: expected unspecified batch_sampler option, "
                    f"but got batch_sampler={batch_sampler}"
                )
        shuffle = bool(shuffle)
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError(
                    "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
                )
            batch_size, drop_last = None, False
        elif batch_size is None and drop_last:
            raise ValueError(
                "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"
            )

        if sampler is None:
            if self._iterable:
                sampler = _InfiniteConstantSampler()
            else:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
        if batch_size is not None and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)

        self.dataset = dataset
        self.batch_size = batch_size
        self.drop_last = drop_last
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        self._auto_collation = batch_sampler is not None
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn
        # Whether collate_fn takes a StackedBatch as it is (otherwise it gets the list of samples).
        self._columnar_collate = collate_fn is default_collate
        self._worker_started = False
        self._initialized = True

    def __setattr__(self, attr: str, value) -> None:
        if self._initialized and attr in _FROZEN_AFTER_INIT:
            raise ValueError(f"{attr} attribute should not be set after {type(self).__name__} is initialized")
        object.__setattr__(self, attr, value)

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self._auto_collation else self.sampler)

    def __iter__(self) -> Iterator:
        return self._epoch(self._start_worker())

    def _start_worker(self) -> WorkerInfo | None:
        """The simulated worker of this epoch (None with ``num_workers=0``), initialised as PyTorch would."""
        if self.num_workers == 0:
            return None
        seed = int(as_numpy_generator(self.generator).integers(0, 2**63 - 1))
        info = WorkerInfo(id=0, num_workers=1, seed=seed, dataset=self.dataset)
        if self.worker_init_fn is not None and not (self.persistent_workers and self._worker_started):
            with _as_worker(info):
                self.worker_init_fn(0)
        self._worker_started = True
        return info

    def _epoch(self, worker: WorkerInfo | None) -> Iterator:
        if self._iterable:
            yield from self._iterable_epoch(worker)
            return
        if not self._auto_collation:
            for index in self.sampler:
                with _as_worker(worker):
                    sample = self.dataset[index]
                yield self.collate_fn(sample)
            return
        for indices in self.batch_sampler:
            with _as_worker(worker):
                data = self._fetch(indices)
            yield self.collate_fn(data)

    def _fetch(self, indices: list[int]):
        getitems = getattr(self.dataset, "__getitems__", None)
        if not callable(getitems):
            return [self.dataset[i] for i in indices]
        data = getitems(indices)
        if isinstance(data, StackedBatch) and not self._columnar_collate:
            return list(data)
        return data

    def _iterable_epoch(self, worker: WorkerInfo | None) -> Iterator:
        with _as_worker(worker):
            it = iter(self.dataset)
        while True:
            with _as_worker(worker):
                if self.batch_size is None:
                    data = next(it, _END)
                else:
                    data = list(islice(it, self.batch_size))
                    if not data or (self.drop_last and len(data) < self.batch_size):
                        data = _END
            if data is _END:
                return
            yield self.collate_fn(data)


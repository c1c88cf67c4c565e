"""Tensor factories (PyTorch's ``torch.tensor``, ``zeros``, ``rand``, ...).

Random factories draw from ``generator`` (an ``ottorch.Generator`` or ``numpy.random.Generator``),
or from ottorch's default generator; numpy's global random state is never used.
"""

from __future__ import annotations

import numpy as np

from ottorch import _dtype
from ottorch._tensor import Tensor
from ottorch._tensor_base import _make, _shape_args
from ottorch.random import as_numpy_generator


def _check_device(device) -> None:
    if device is not None and str(device) != "cpu":
        raise ValueError(f"ottorch is CPU only; got device={device!r}")


def _finish(arr: np.ndarray, requires_grad: bool) -> Tensor:
    t = _make(arr, False, None)
    if requires_grad:
        t.requires_grad = True
    return t


def _float(dtype) -> np.dtype:
    return _dtype.get_default_dtype().numpy if dtype is None else _dtype.to_numpy(dtype)


def _plain(data):
    """Replace tensors nested in lists or tuples by their arrays."""
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, (list, tuple)):
        return [_plain(x) for x in data]
    return data


def _infer(arr: np.ndarray, from_numpy_array: bool) -> np.ndarray:
    """PyTorch's dtype inference: Python floats give the default float dtype, ints give int64."""
    if arr.dtype == object or arr.dtype.kind not in "biuf":
        raise TypeError(f"can't build a tensor from data of dtype {arr.dtype}")
    if from_numpy_array:
        return arr if arr.dtype in _dtype._FROM_NUMPY else arr.astype(np.float64 if arr.dtype.kind == "f" else np.int64)
    if arr.dtype.kind == "f":
        return arr.astype(_dtype.get_default_dtype().numpy, copy=False)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    return arr


def tensor(data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (nested lists, numbers, arrays or tensors)."""
    _check_device(device)
    is_array = isinstance(data, (np.ndarray, np.generic, Tensor))
    arr = np.array(_plain(data))
    arr = _infer(arr, is_array) if dtype is None else arr.astype(_dtype.to_numpy(dtype))
    return _finish(arr, requires_grad)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """Like ``tensor`` but shares memory with a numpy array (or tensor) when no cast is needed."""
    _check_device(device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.type(dtype)
    if isinstance(data, np.ndarray) and (dtype is None or _dtype.to_numpy(dtype) == data.dtype):
        _dtype.from_numpy(data.dtype)
        return _make(data, False, None)
    return tensor(data, dtype=dtype)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (which keeps its dtype)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    _dtype.from_numpy(array.dtype)
    return _make(array, False, None)


def zeros(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    _check_device(device)
    return _finish(np.zeros(_shape_args(size), dtype=_float(dtype)), requires_grad)


def ones(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    _check_device(device)
    return _finish(np.ones(_shape_args(size), dtype=_float(dtype)), requires_grad)


def empty(*size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Like PyTorch's ``empty`` but zero-filled, so results never depend on stale memory."""
    return zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    _check_device(device)
    if dtype is None:
        dtype = _infer(np.asarray(fill_value), False).dtype
    return _finish(np.full(_shape_args((size,)), fill_value, dtype=_dtype.to_numpy(dtype)), requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    _check_device(device)
    if end is None:
        start, end = 0, start
    if dtype is None:
        all_int = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if all_int else _dtype.get_default_dtype().numpy
    return _finish(np.arange(start, end, step, dtype=_dtype.to_numpy(dtype)), requires_grad)


def linspace(start, end, steps: int, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    _check_device(device)
    return _finish(np.linspace(start, end, steps).astype(_float(dtype)), requires_grad)


def eye(n: int, m: int | None = None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    _check_device(device)
    return _finish(np.eye(n, m, dtype=_float(dtype)), requires_grad)


def zeros_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def ones_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return ones(t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def empty_like(t: Tensor, dtype=None, requires_grad: bool = False) -> Tensor:
    return zeros_like(t, dtype=dtype, requires_grad=requires_grad)


def full_like(t: Tensor, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


# ----------------------------------------------------------------------------- random


def rand(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Uniform samples from [0, 1)."""
    _check_device(device)
    rng = as_numpy_generator(generator)
    return _finish(rng.random(_shape_args(size)).astype(_float(dtype)), requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples."""
    _check_device(device)
    rng = as_numpy_generator(generator)
    return _finish(rng.standard_normal(_shape_args(size)).astype(_float(dtype)), requires_grad)


def randint(low, high=None, size=None, *, generator=None, dtype=None, device=None) -> Tensor:
    """Integers uniform in [low, high); ``randint(high, size)`` starts at 0 as in PyTorch."""
    _check_device(device)
    if size is None:
        if not isinstance(high, (tuple, list)):
            raise TypeError("randint() missing the required argument 'size'")
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    rng = as_numpy_generator(generator)
    dt = np.int64 if dtype is None else _dtype.to_numpy(dtype)
    return _make(rng.integers(low, high, _shape_args((size,))).astype(dt), False, None)


def randperm(n: int, *, generator=None, dtype=None, device=None) -> Tensor:
    """A random permutation of 0..n-1."""
    _check_device(device)
    dt = np.int64 if dtype is None else _dtype.to_numpy(dtype)
    return _make(as_numpy_generator(generator).permutation(n).astype(dt), False, None)


def rand_like(t: Tensor, dtype=None, generator=None) -> Tensor:
    return rand(t.shape, dtype=dtype or t.dtype, generator=generator)


def randn_like(t: Tensor, dtype=None, generator=None) -> Tensor:
    return randn(t.shape, dtype=dtype or t.dtype, generator=generator)


def normal(mean, std, size=None, *, generator=None) -> Tensor:
    """Normal samples; ``mean``/``std`` are floats (with ``size``) or tensors broadcast together."""
    rng = as_numpy_generator(generator)
    m = mean._data if isinstance(mean, Tensor) else mean
    s = std._data if isinstance(std, Tensor) else std
    shape = _shape_args((size,)) if size is not None else np.broadcast_shapes(np.shape(m), np.shape(s))
    like = m if isinstance(mean, Tensor) else s if isinstance(std, Tensor) else None
    dt = like.dtype if like is not None else _dtype.get_default_dtype().numpy
    return _make((m + s * rng.standard_normal(shape)).astype(dt), False, None)


def bernoulli(p: Tensor, *, generator=None) -> Tensor:
    """0/1 samples with probabilities ``p``, in ``p``'s dtype."""
    rng = as_numpy_generator(generator)
    return _make((rng.random(p.shape) < p._data).astype(p._data.dtype), False, None)


def multinomial(probs: Tensor, num_samples: int, replacement: bool = False, *, generator=None) -> Tensor:
    """Indices drawn from each row of (unnormalised) ``probs``."""
    rng = as_numpy_generator(generator)
    p = np.atleast_2d(probs._data).astype(np.float64)
    p = p / p.sum(axis=-1, keepdims=True)
    out = np.stack([rng.choice(p.shape[-1], num_samples, replace=replacement, p=row) for row in p])
    return _make(out.reshape(probs.shape[:-1] + (num_samples,)).astype(np.int64), False, None)

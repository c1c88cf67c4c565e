"""Tensor reductions (sum, mean, max, var, logsumexp, ...) and softmax."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ottorch import ops as _ops
from ottorch._tensor_base import (
    TensorBase,
    _axes,
    _axis,
    _make,
    return_types_max,
    return_types_min,
)

if TYPE_CHECKING:
    from ottorch._tensor import Tensor


class TensorReduce:
    """Mixin of ``ottorch.Tensor``; see that class."""

    # ------------------------------------------------------------------ reductions

    def sum(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        t = self if dtype is None else self.type(dtype)
        if t._data.dtype.kind == "b":
            t = t.long()
        return _ops.Sum.apply(t, axes=_axes(dim, t.ndim, "sum"), keepdim=keepdim)

    def mean(self, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:
        t = self if dtype is None else self.type(dtype)
        if t._data.dtype.kind != "f":
            raise RuntimeError(
                f"mean(): could not infer output dtype. Input dtype must be floating point, got {t.dtype}"
            )
        return _ops.Mean.apply(t, axes=_axes(dim, t._data.ndim, "mean"), keepdim=keepdim)

    def prod(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        axis = None if dim is None else _axis(dim, self.ndim, "prod")
        return _ops.Prod.apply(self, axis=axis, keepdim=keepdim)

    def _extreme(self, name, full_cls, arg_fn, ret, dim, keepdim):
        if isinstance(dim, TensorBase):
            return self.maximum(dim) if name == "max" else self.minimum(dim)
        if dim is None:
            if self._data.size == 0:
                raise RuntimeError(f"{name}(): expected a non-empty tensor")
            return full_cls.apply(self, axes=None, keepdim=False)
        axis = _axis(dim, self.ndim, name)
        idx = np.expand_dims(arg_fn(self._data, axis=axis), axis)
        values = _ops.Gather.apply(self, idx, axis=axis)
        if not keepdim:
            values = values.squeeze(axis)
            idx = np.squeeze(idx, axis)
        return ret(values, _make(idx, False, None))

    def max(self, dim=None, keepdim: bool = False):
        """Largest element; with ``dim``, a ``(values, indices)`` pair; with a tensor, ``maximum``."""
        return self._extreme("max", _ops.Amax, np.argmax, return_types_max, dim, keepdim)

    def min(self, dim=None, keepdim: bool = False):
        """Smallest element; with ``dim``, a ``(values, indices)`` pair; with a tensor, ``minimum``."""
        return self._extreme("min", _ops.Amin, np.argmin, return_types_min, dim, keepdim)

    def amax(self, dim=(), keepdim: bool = False) -> Tensor:
        return _ops.Amax.apply(self, axes=_axes(dim, self.ndim, "amax"), keepdim=keepdim)

    def amin(self, dim=(), keepdim: bool = False) -> Tensor:
        return _ops.Amin.apply(self, axes=_axes(dim, self.ndim, "amin"), keepdim=keepdim)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._arg(np.argmax, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        return self._arg(np.argmin, dim, keepdim)

    def _arg(self, fn, dim, keepdim) -> Tensor:
        if dim is None:
            out = np.asarray(fn(self._data), dtype=np.int64)
            return _make(out.reshape((1,) * self.ndim) if keepdim else out, False, None)
        axis = _axis(dim, self.ndim, fn.__name__)
        return _make(np.asarray(fn(self._data, axis=axis, keepdims=keepdim), dtype=np.int64), False, None)

    def var(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None) -> Tensor:
        """Variance with Bessel's correction by default (``correction=1``, as in PyTorch)."""
        if correction is None:
            correction = 0 if unbiased is False else 1
        axes = _axes(dim, self.ndim, "var")
        n = self._data.size if axes is None else int(np.prod([self._data.shape[a] for a in axes]))
        centred = self - self.mean(dim=axes, keepdim=True)
        return (centred * centred).sum(dim=axes, keepdim=keepdim) / max(n - correction, 0)

    def std(self, dim=None, unbiased: bool | None = None, keepdim: bool = False, *, correction=None) -> Tensor:
        return self.var(dim, unbiased, keepdim, correction=correction).sqrt()

    def logsumexp(self, dim, keepdim: bool = False) -> Tensor:
        axes = _axes(dim, self.ndim, "logsumexp")
        m = self.detach().amax(dim=axes, keepdim=True)
        m = m.masked_fill(~m.isfinite(), 0.0)
        out = (self - m).exp().sum(dim=axes, keepdim=True).log() + m
        return out if keepdim else out.squeeze(axes if axes is not None else tuple(range(self.ndim)))

    def norm(self, p=2, dim=None, keepdim: bool = False) -> Tensor:
        if p == "fro" or p == 2:
            return (self * self).sum(dim=dim, keepdim=keepdim).sqrt()
        if p == 1:
            return self.abs().sum(dim=dim, keepdim=keepdim)
        if p == float("inf"):
            return self.abs().amax(dim=() if dim is None else dim, keepdim=keepdim)
        return (self.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)

    def softmax(self, dim: int) -> Tensor:
        if self._data.dtype.kind != "f":
            raise TypeError(f"softmax: unsupported dtype {self.dtype}; expected a floating-point tensor")
        return _ops.Softmax.apply(self, axis=_axis(dim, self.ndim, "softmax"))

    def log_softmax(self, dim: int) -> Tensor:
        if self._data.dtype.kind != "f":
            raise TypeError(f"log_softmax: unsupported dtype {self.dtype}; expected a floating-point tensor")
        return _ops.LogSoftmax.apply(self, axis=_axis(dim, self.ndim, "log_softmax"))

"""Tensor shape and layout methods: reshape, permute, expand, repeat, split, gather, ..."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ottorch import ops as _ops
from ottorch._tensor_base import (
    _axes,
    _axis,
    _index_array,
    _pyint,
    _resolve_shape,
    _shape_args,
)

if TYPE_CHECKING:
    from ottorch._tensor import Tensor


class TensorShape:
    """Mixin of ``ottorch.Tensor``; see that class."""

    # ------------------------------------------------------------------ shape

    def reshape(self, *shape) -> Tensor:
        shape = _shape_args(shape)
        try:
            target = _resolve_shape(self._data.shape, shape)
        except ValueError as e:
            raise RuntimeError(
                f"reshape: shape {list(shape)} is invalid for input of size {self._data.size} "
                f"(shape {list(self._data.shape)}): {e}"
            ) from None
        if target == self._data.shape:
            return self
        return _ops.Reshape.apply(self, shape=target)

    view = reshape

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        if self.ndim == 0:
            return self.reshape(1)
        s, e = _axis(start_dim, self.ndim, "flatten"), _axis(end_dim, self.ndim, "flatten")
        shape = self._data.shape
        return self.reshape(shape[:s] + (-1,) + shape[e + 1 :])

    def unflatten(self, dim: int, sizes) -> Tensor:
        d = _axis(dim, self.ndim, "unflatten")
        return self.reshape(self._data.shape[:d] + tuple(sizes) + self._data.shape[d + 1 :])

    def squeeze(self, dim=None) -> Tensor:
        shape = self._data.shape
        axes = _axes(dim, self.ndim, "squeeze") if dim is not None else tuple(range(self.ndim))
        keep = tuple(n for i, n in enumerate(shape) if not (i in axes and n == 1))
        return self.reshape(keep) if keep != shape else self

    def unsqueeze(self, dim: int) -> Tensor:
        d = _axis(dim, self.ndim + 1, "unsqueeze")
        shape = self._data.shape
        return self.reshape(shape[:d] + (1,) + shape[d:])

    def permute(self, *dims) -> Tensor:
        dims = _shape_args(dims)
        if sorted(_axis(d, self.ndim, "permute") for d in dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {list(dims)} are not a permutation of {self.ndim} dimensions")
        return _ops.Permute.apply(self, dims=tuple(d % max(self.ndim, 1) for d in dims))

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        if self.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
            return self
        dims = list(range(self.ndim))
        a, b = _axis(dim0, self.ndim, "transpose"), _axis(dim1, self.ndim, "transpose")
        dims[a], dims[b] = dims[b], dims[a]
        return _ops.Permute.apply(self, dims=tuple(dims))

    swapaxes = transpose

    def t(self) -> Tensor:
        if self.ndim > 2:
            raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is {self.ndim}D")
        return self.transpose(0, -1) if self.ndim == 2 else self

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch name
        n = self._data.ndim
        return _ops.Permute.apply(self, dims=(1, 0) if n == 2 else tuple(range(n - 1, -1, -1))) if n > 1 else self

    @property
    def mT(self) -> Tensor:  # noqa: N802 - PyTorch name
        return self.transpose(-2, -1)

    def expand(self, *sizes) -> Tensor:
        sizes = _shape_args(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(
                f"expand: the number of sizes provided ({len(sizes)}) must be greater or equal to "
                f"the number of dimensions in the tensor ({self.ndim})"
            )
        lead = len(sizes) - self.ndim
        target = tuple(
            self._data.shape[i - lead] if s == -1 and i >= lead else s for i, s in enumerate(sizes)
        )
        for i in range(self.ndim):
            have, want = self._data.shape[i], target[lead + i]
            if have != 1 and have != want:
                raise RuntimeError(
                    f"expand: the expanded size of the tensor ({want}) must match the existing size "
                    f"({have}) at non-singleton dimension {lead + i}; target sizes {list(sizes)}, "
                    f"tensor shape {list(self._data.shape)}"
                )
        if target == self._data.shape:
            return self
        return _ops.Expand.apply(self, shape=target)

    def expand_as(self, other: Tensor) -> Tensor:
        return self.expand(other.shape)

    broadcast_to = expand

    def repeat(self, *sizes) -> Tensor:
        """Tile the tensor ``sizes[i]`` times along dimension i (PyTorch's ``repeat``)."""
        reps = _shape_args(sizes)
        if len(reps) < self.ndim:
            raise RuntimeError(
                "repeat: number of repeat dims can not be smaller than number of dimensions of tensor"
            )
        shape = (1,) * (len(reps) - self.ndim) + self._data.shape
        interleaved = tuple(x for s in shape for x in (1, s))
        expanded = tuple(x for r, s in zip(reps, shape) for x in (r, s))
        return self.reshape(interleaved).expand(expanded).reshape(tuple(r * s for r, s in zip(reps, shape)))

    def tile(self, *dims) -> Tensor:
        dims = _shape_args(dims)
        return self.repeat((1,) * (self.ndim - len(dims)) + dims)

    def flip(self, *dims) -> Tensor:
        return _ops.Flip.apply(self, axes=tuple(_axis(d, self.ndim, "flip") for d in _shape_args(dims)))

    def narrow(self, dim: int, start: int, length: int) -> Tensor:
        d = _axis(dim, self.ndim, "narrow")
        return self[(slice(None),) * d + (slice(start, start + length),)]

    def split(self, split_size_or_sections, dim: int = 0) -> tuple:
        d = _axis(dim, self.ndim, "split")
        n = self._data.shape[d]
        if isinstance(split_size_or_sections, _pyint):
            step = split_size_or_sections
            if step <= 0:
                raise RuntimeError(f"split: split_size must be positive, got {step}")
            sizes = [min(step, n - s) for s in range(0, n, step)] or [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(f"split: sizes {sizes} do not sum to the dimension size {n}")
        out, start = [], 0
        for s in sizes:
            out.append(self.narrow(d, start, s))
            start += s
        return tuple(out)

    def chunk(self, chunks: int, dim: int = 0) -> tuple:
        n = self._data.shape[_axis(dim, self.ndim, "chunk")]
        return self.split(max(-(-n // chunks), 1), dim)

    def unbind(self, dim: int = 0) -> tuple:
        d = _axis(dim, self.ndim, "unbind")
        return tuple(self[(slice(None),) * d + (i,)] for i in range(self._data.shape[d]))

    def gather(self, dim: int, index: Tensor) -> Tensor:
        idx = _index_array(index)
        if idx.ndim != self.ndim:
            raise RuntimeError(
                f"gather: index {tuple(idx.shape)} and input {tuple(self.shape)} must have the same "
                "number of dimensions"
            )
        return _ops.Gather.apply(self, idx.astype(np.int64, copy=False), axis=_axis(dim, self.ndim, "gather"))

    def index_select(self, dim: int, index: Tensor) -> Tensor:
        d = _axis(dim, self.ndim, "index_select")
        return self[(slice(None),) * d + (_index_array(index),)]

"""Shape and indexing primitives: reshape, permute, expand, indexing, index_put, cat, gather, pad."""

from __future__ import annotations

import numpy as np

from ottorch.autograd.engine import SliceGrad, sum_to_shape
from ottorch.autograd.function import Primitive


class Reshape(Primitive):
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    def backward(ctx, g):
        return g.reshape(ctx.shape)


class Permute(Primitive):
    def forward(ctx, a, dims):
        ctx.dims = dims
        return a.transpose(dims)

    def backward(ctx, g):
        return g.transpose(np.argsort(ctx.dims))


class Expand(Primitive):
    """Broadcast to a larger shape; the engine's broadcast reduction is exactly its backward."""

    def forward(ctx, a, shape):
        return np.broadcast_to(a, shape)

    def backward(ctx, g):
        return g


def is_basic_index(index) -> bool:
    """True when ``index`` selects without integer or boolean arrays (a view, no duplicates)."""
    for i in index if type(index) is tuple else (index,):
        t = type(i)
        if not (t is slice or t is int or i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice))):
            return False
    return True


class GetItem(Primitive):
    def forward(ctx, a, index):
        ctx.shape, ctx.dtype, ctx.index = a.shape, a.dtype, index
        return a[index]

    def backward(ctx, g):
        if is_basic_index(ctx.index):
            # Zero outside the view; the engine adds it into the input's gradient as a slice.
            return SliceGrad(ctx.shape, ctx.index, g)
        grad = np.zeros(ctx.shape, dtype=g.dtype)
        if _is_mask(ctx.index) or _unique_array_index(ctx.index):
            grad[ctx.index] = g
        else:
            # Integer arrays may repeat an element; unbuffered add accumulates every occurrence.
            np.add.at(grad, ctx.index, g)
        return grad


def _unique_array_index(index) -> bool:
    """True for an index with one 1-D integer array (others basic) whose entries are distinct, so
    plain assignment scatters the gradient correctly (much faster than ``np.add.at``)."""
    items = index if type(index) is tuple else (index,)
    arrays = [i for i in items if isinstance(i, np.ndarray)]
    if len(arrays) != 1 or arrays[0].ndim != 1 or arrays[0].dtype.kind not in "iu":
        return False
    if not all(i is None or i is Ellipsis or isinstance(i, (int, np.integer, slice, np.ndarray)) for i in items):
        return False
    return len(np.unique(arrays[0])) == len(arrays[0])


def _is_mask(index) -> bool:
    return isinstance(index, np.ndarray) and index.dtype == np.bool_


class IndexPut(Primitive):
    """``out = a.copy(); out[index] = value``: the functional form of ``a[index] = value``."""

    def forward(ctx, a, value, index):
        ctx.index = index
        ctx.value_shape = np.shape(value)
        out = a.copy()
        out[index] = value
        return out

    def backward(ctx, g):
        ga = g.copy()
        ga[ctx.index] = 0
        gv = None
        if ctx.needs_input_grad[1]:
            selected = g[ctx.index]
            # The value was broadcast into the slice, so reduce its gradient to the value's shape.
            gv = sum_to_shape(selected, ctx.value_shape)
        return ga, gv


class Cat(Primitive):
    def forward(ctx, *arrays, axis):
        out = np.concatenate(arrays, axis=axis)
        ctx.axis = axis % out.ndim
        ctx.sizes = [a.shape[axis] for a in arrays]
        return out

    def backward(ctx, g):
        # Views of ``g``, one per input (np.split's Python overhead is several times this).
        lead = (slice(None),) * ctx.axis
        parts, start = [], 0
        for n in ctx.sizes:
            parts.append(g[lead + (slice(start, start + n),)])
            start += n
        return tuple(parts)


class Gather(Primitive):
    """``out[i][j] = a[i][index[i][j]]`` along ``axis`` (PyTorch's ``gather``)."""

    def forward(ctx, a, index, axis):
        if a.ndim == 0 or index.ndim != a.ndim:
            return np.take_along_axis(a, index, axis)  # raises numpy's error
        # take_along_axis's own fancy index, built once here and reused by backward.
        nd = a.ndim
        full = [np.arange(n).reshape((1,) * i + (n,) + (1,) * (nd - i - 1)) for i, n in enumerate(a.shape)]
        full[axis] = index
        ctx.save_for_backward(*full)
        # With one pick per line along ``axis`` (cross-entropy's case) no element is picked twice.
        ctx.shape, ctx.unique = a.shape, index.shape[axis] == 1
        return a[tuple(full)]

    def backward(ctx, g):
        full = ctx.saved_tensors
        grad = np.zeros(ctx.shape, dtype=g.dtype)
        if ctx.unique:
            grad[full] = g
        else:
            np.add.at(grad, full, g)
        return grad, None


class Pad(Primitive):
    """Constant padding; ``pad_width`` is numpy's per-axis ``(before, after)`` list."""

    def forward(ctx, a, pad_width, value=0.0):
        ctx.slices = tuple(slice(b, b + n) for (b, _), n in zip(pad_width, a.shape))
        return np.pad(a, pad_width, constant_values=value)

    def backward(ctx, g):
        return g[ctx.slices]


class Flip(Primitive):
    def forward(ctx, a, axes):
        ctx.axes = axes
        return np.flip(a, axes)

    def backward(ctx, g):
        return np.flip(g, ctx.axes)

"""Reduction primitives. ``axes`` is a tuple of non-negative axes, or None for all axes."""

from __future__ import annotations

import numpy as np

from ottorch.autograd.function import Primitive


def _restore(g: np.ndarray, shape: tuple, axes, keepdim: bool) -> np.ndarray:
    """Re-insert the reduced axes of ``g`` as size-1 axes so it broadcasts against ``shape``."""
    if keepdim:
        return g
    if axes is None:
        return g.reshape((1,) * len(shape))
    return g.reshape(tuple(1 if i in axes else n for i, n in enumerate(shape)))


def _expand(g: np.ndarray, shape: tuple) -> np.ndarray:
    """``g`` broadcast into a new, writeable array of ``shape`` (cheaper than ``broadcast_to``
    for small arrays, and leaf gradients must own their memory anyway)."""
    out = np.empty(shape, dtype=g.dtype)
    out[...] = g
    return out


class Sum(Primitive):
    def forward(ctx, a, axes=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim)

    def backward(ctx, g):
        return _expand(_restore(g, ctx.shape, ctx.axes, ctx.keepdim), ctx.shape)


class Mean(Primitive):
    def forward(ctx, a, axes=None, keepdim=False):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        count = a.size if axes is None else int(np.prod([a.shape[i] for i in axes]))
        ctx.count = count
        if a.dtype.kind == "f" and a.dtype.itemsize >= 4 and count:
            # What ndarray.mean computes for these dtypes (sum in the dtype, then divide), without
            # its Python-level overhead.
            total = a.sum(axis=axes, keepdims=keepdim)
            return np.true_divide(total, count, out=total) if type(total) is np.ndarray else total / count
        return a.mean(axis=axes, keepdims=keepdim)

    def backward(ctx, g):
        return _expand(_restore(g, ctx.shape, ctx.axes, ctx.keepdim) / ctx.count, ctx.shape)


class Prod(Primitive):
    def forward(ctx, a, axis=None, keepdim=False):
        ctx.save_for_backward(a)
        ctx.axis, ctx.keepdim = axis, keepdim
        return a.prod(axis=axis, keepdims=keepdim)

    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        axis = ctx.axis
        x = a.reshape(-1) if axis is None else np.moveaxis(a, axis, -1)
        # Product of all the other elements, from exclusive cumulative products on both sides, so
        # zeros in the input need no special case.
        ones = np.ones(x.shape[:-1] + (1,), dtype=x.dtype)
        left = np.cumprod(np.concatenate([ones, x[..., :-1]], axis=-1), axis=-1)
        right = np.cumprod(np.concatenate([ones, x[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
        others = left * right
        if axis is None:
            return g * others.reshape(a.shape)
        g = g if ctx.keepdim else np.expand_dims(g, axis)
        return g * np.moveaxis(others, -1, axis)


class Amax(Primitive):
    """Maximum over ``axes``; tied maxima share the gradient evenly (PyTorch's ``amax`` rule)."""

    reduce = staticmethod(np.max)

    def forward(ctx, a, axes=None, keepdim=False):
        out = type(ctx).reduce(a, axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else (out.reshape(()) if axes is None else np.squeeze(out, axes))

    def backward(ctx, g):
        a, out = ctx.saved_tensors
        hit = a == out
        count = hit.sum(axis=ctx.axes, keepdims=True)
        return _restore(g, a.shape, ctx.axes, ctx.keepdim) * hit / count


class Amin(Amax):
    reduce = staticmethod(np.min)

"""Neural-network primitives: softmax, log-softmax, conv2d and 2-D pooling.

Convolution views the padded input as columns with ``as_strided`` and does one batched BLAS matmul.
Pooling and every backward loop only over the kernel offsets (e.g. 4 for a 2x2 window, 25 for a
5x5 kernel), each step a vectorised operation over all images, channels and positions; there is
never a loop over pixels or batch elements.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ottorch.autograd.function import Primitive


class Softmax(Primitive):
    def forward(ctx, a, axis):
        e = np.exp(a - a.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return out * (g - (g * out).sum(axis=ctx.axis, keepdims=True))


class LogSoftmax(Primitive):
    def forward(ctx, a, axis):
        shifted = a - a.max(axis=axis, keepdims=True)
        out = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
        ctx.save_for_backward(out)
        ctx.axis = axis
        return out

    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g - np.exp(out) * g.sum(axis=ctx.axis, keepdims=True)


# ----------------------------------------------------------------------------- windows


def out_size(size: int, k: int, s: int, p: int, d: int, ceil: bool = False) -> int:
    """Output length of a sliding window (PyTorch's formula, including its ``ceil_mode`` rule)."""
    span = size + 2 * p - d * (k - 1) - 1
    if span < 0:
        return 0
    n = (-(-span // s) if ceil else span // s) + 1
    if ceil and (n - 1) * s >= size + p:
        n -= 1  # the last window must start inside the input or the left padding
    return n


def _offsets(k, s, d, oh: int, ow: int):
    """For each kernel offset (i, j): the strided slices of the padded input it reads for all
    output positions. Looping over these (KH * KW iterations) replaces loops over pixels."""
    for i in range(k[0]):
        for j in range(k[1]):
            r, c = i * d[0], j * d[1]
            yield i, j, (slice(None), slice(None), slice(r, r + s[0] * (oh - 1) + 1, s[0]),
                         slice(c, c + s[1] * (ow - 1) + 1, s[1]))


def _im2col(xp: np.ndarray, oh: int, ow: int, k, s, d) -> np.ndarray:
    """Columns ``(C * KH * KW, N * OH * OW)`` of the padded input: one strided view, one copy.

    This layout makes the forward, the weight gradient and the column gradient one GEMM each, and
    output positions are innermost, so for stride 1 the copy moves contiguous runs.
    """
    n, c = xp.shape[:2]
    sn, sc, sh, sw = xp.strides
    view = as_strided(xp, shape=(c, k[0], k[1], n, oh, ow),
                      strides=(sc, sh * d[0], sw * d[1], sn, sh * s[0], sw * s[1]), writeable=False)
    return view.reshape(c * k[0] * k[1], n * oh * ow)


def _col2im(cols: np.ndarray, padded_shape: tuple, oh: int, ow: int, k, s, d) -> np.ndarray:
    """Adjoint of ``_im2col``: add ``(C, KH, KW, N, OH, OW)`` columns back onto the padded input.

    Accumulates in (C, N, H, W) order so every add reads and writes matching layouts, and returns
    an (N, C, H, W) view of it.
    """
    n, c = padded_shape[:2]
    dxp = np.zeros((c, n) + tuple(padded_shape[2:]), dtype=cols.dtype)
    for i, j, window in _offsets(k, s, d, oh, ow):
        dxp[window] += cols[:, i, j]
    return dxp.transpose(1, 0, 2, 3)


def _pad2d(x: np.ndarray, pads, value=0.0) -> np.ndarray:
    """Pad H and W by ``pads = (top, bottom, left, right)``; no copy when all are zero."""
    if not any(pads):
        return x
    return np.pad(x, ((0, 0), (0, 0), pads[:2], pads[2:]), constant_values=value)


def _crop2d(dxp: np.ndarray, pads) -> np.ndarray:
    top, bottom, left, right = pads
    h, w = dxp.shape[2:]
    return dxp[:, :, top : h - bottom, left : w - right]


# ----------------------------------------------------------------------------- convolution


class Conv2d(Primitive):
    """2-D cross-correlation: ``x (N, C, H, W)``, ``weight (O, C/groups, KH, KW)``, ``bias (O,)``.

    Per group: ``out (O/G, N*OH*OW) = W (O/G, C/G*KH*KW) @ cols (C/G*KH*KW, N*OH*OW)``.
    """

    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        n = x.shape[0]
        o, cg, kh, kw = weight.shape
        pads = (padding[0], padding[0], padding[1], padding[1])
        xp = _pad2d(x, pads)
        oh = out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
        ow = out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
        cols = _im2col(xp, oh, ow, (kh, kw), stride, dilation).reshape(groups, cg * kh * kw, -1)
        w = weight.reshape(groups, o // groups, cg * kh * kw)
        out = np.matmul(w, cols).reshape(o, n * oh * ow)
        if bias is not None:
            out += bias[:, None]
        ctx.save_for_backward(cols, w)
        ctx.geometry = (xp.shape, pads, oh, ow, (kh, kw), stride, dilation)
        return out.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(ctx, g):
        cols, w = ctx.saved_tensors
        padded_shape, pads, oh, ow, k, stride, dilation = ctx.geometry
        need_x, need_w, need_b = ctx.needs_input_grad
        c = padded_shape[1]
        groups = w.shape[0]
        g2 = g.transpose(1, 0, 2, 3).reshape(groups, w.shape[1], -1)  # (G, O/G, N*OH*OW)
        gx = gw = gb = None
        if need_w:
            # (cols @ g2^T)^T: OpenBLAS runs this orientation about twice as fast as g2 @ cols^T
            gw = np.matmul(cols, g2.transpose(0, 2, 1)).transpose(0, 2, 1).reshape((-1, c // groups) + k)
        if need_b:
            gb = g.sum(axis=(0, 2, 3))
        if need_x:
            gcols = np.matmul(w.transpose(0, 2, 1), g2).reshape((c,) + k + (padded_shape[0], oh, ow))
            gx = _crop2d(_col2im(gcols, padded_shape, oh, ow, k, stride, dilation), pads)
        return gx, gw, gb


# ----------------------------------------------------------------------------- pooling


def _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode):
    h, w = x.shape[2:]
    oh = out_size(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    ow = out_size(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    # ceil_mode may need extra room on the bottom/right beyond the symmetric padding.
    extra_h = max(0, (oh - 1) * stride[0] + dilation[0] * (kernel[0] - 1) + 1 - (h + 2 * padding[0]))
    extra_w = max(0, (ow - 1) * stride[1] + dilation[1] * (kernel[1] - 1) + 1 - (w + 2 * padding[1]))
    pads = (padding[0], padding[0] + extra_h, padding[1], padding[1] + extra_w)
    return oh, ow, pads


class MaxPool2d(Primitive):
    """Max over each window, found by one running maximum per kernel offset; the gradient goes to
    the first maximal element of the window (row-major), as in PyTorch."""

    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode):
        if x.dtype.kind != "f":
            raise TypeError(f"max_pool2d: unsupported dtype {x.dtype}; expected a floating-point tensor")
        oh, ow, pads = _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode)
        xp = _pad2d(x, pads, -np.inf)
        best = arg = None
        for i, j, window in _offsets(kernel, stride, dilation, oh, ow):
            cand = xp[window]
            if best is None:
                best = cand.copy()
                arg = np.zeros(cand.shape, dtype=np.int8 if kernel[0] * kernel[1] <= 127 else np.int32)
            else:
                better = cand > best  # strict, so ties keep the first offset
                np.maximum(best, cand, out=best)
                np.putmask(arg, better, i * kernel[1] + j)
        ctx.save_for_backward(arg)
        ctx.geometry = (xp.shape, pads, oh, ow, kernel, stride, dilation)
        return best

    def backward(ctx, g):
        (arg,) = ctx.saved_tensors
        padded_shape, pads, oh, ow, k, stride, dilation = ctx.geometry
        n, c, hp, wp = padded_shape
        # Flat position of each window's maximum in the padded input: plane + window corner + offset.
        corner = (np.arange(oh) * (stride[0] * wp))[:, None] + np.arange(ow) * stride[1]
        offset = (arg // k[1]) * (dilation[0] * wp) + (arg % k[1]) * dilation[1]
        idx = (np.arange(n * c) * (hp * wp)).reshape(n, c, 1, 1) + corner + offset
        size = n * c * hp * wp
        if stride[0] >= dilation[0] * (k[0] - 1) + 1 and stride[1] >= dilation[1] * (k[1] - 1) + 1:
            dxp = np.zeros(size, dtype=g.dtype)  # windows do not overlap: each position is hit once
            dxp[idx.reshape(-1)] = g.reshape(-1)
        else:
            dxp = np.bincount(idx.reshape(-1), weights=g.reshape(-1), minlength=size).astype(g.dtype)
        return _crop2d(dxp.reshape(padded_shape), pads)


class AvgPool2d(Primitive):
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        if x.dtype.kind != "f":
            raise TypeError(f"avg_pool2d: unsupported dtype {x.dtype}; expected a floating-point tensor")
        one = (1, 1)
        oh, ow, pads = _pool_geometry(x, kernel, stride, padding, one, ceil_mode)
        xp = _pad2d(x, pads)
        if divisor_override:
            divisor = np.asarray(divisor_override, dtype=x.dtype)
        else:
            # Count, per window, the cells that belong to the input (or its symmetric padding when
            # count_include_pad); the extra ceil_mode margin never counts, as in PyTorch.
            h, w = x.shape[2:]
            p = padding if count_include_pad else (0, 0)
            mask = np.zeros((1, 1) + xp.shape[2:], dtype=x.dtype)
            mask[..., pads[0] - p[0] : pads[0] + h + p[0], pads[2] - p[1] : pads[2] + w + p[1]] = 1
            divisor = sum(mask[window] for _, _, window in _offsets(kernel, stride, one, oh, ow))
        total = sum(xp[window] for _, _, window in _offsets(kernel, stride, one, oh, ow))
        ctx.save_for_backward(divisor)
        ctx.geometry = (xp.shape, pads, oh, ow, kernel, stride)
        return total / divisor

    def backward(ctx, g):
        (divisor,) = ctx.saved_tensors
        padded_shape, pads, oh, ow, k, stride = ctx.geometry
        share = g / divisor
        dxp = np.zeros(padded_shape, dtype=g.dtype)
        for _, _, window in _offsets(k, stride, (1, 1), oh, ow):
            dxp[window] += share
        return _crop2d(dxp, pads)

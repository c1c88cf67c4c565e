"""Neural-network primitives: softmax, log-softmax, conv2d and 2-D pooling.

Convolution and pooling view the padded input as windows with ``as_strided`` (no copy), then do
the work with one BLAS matmul or one vectorised reduction. Backward loops only over the kernel
offsets (e.g. 25 for a 5x5 kernel), never over pixels or batch elements.
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


def _windows(xp: np.ndarray, oh: int, ow: int, k, s, d) -> np.ndarray:
    """A read-only (N, C, OH, OW, KH, KW) view of the padded input ``xp``."""
    n, c = xp.shape[:2]
    sn, sc, sh, sw = xp.strides
    return as_strided(
        xp,
        shape=(n, c, oh, ow, k[0], k[1]),
        strides=(sn, sc, sh * s[0], sw * s[1], sh * d[0], sw * d[1]),
        writeable=False,
    )


def _scatter_windows(gw: np.ndarray, padded_shape: tuple, oh: int, ow: int, k, s, d) -> np.ndarray:
    """Adjoint of ``_windows``: add a (N, C, OH, OW, KH, KW) gradient back onto the padded input."""
    dxp = np.zeros(padded_shape, dtype=gw.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            r, c = i * d[0], j * d[1]
            dxp[:, :, r : r + s[0] * (oh - 1) + 1 : s[0], c : c + s[1] * (ow - 1) + 1 : s[1]] += gw[..., i, j]
    return dxp


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
    """2-D cross-correlation: ``x (N, C, H, W)``, ``weight (O, C/groups, KH, KW)``, ``bias (O,)``."""

    def forward(ctx, x, weight, bias, stride, padding, dilation, groups):
        n = x.shape[0]
        o, cg, kh, kw = weight.shape
        pads = (padding[0], padding[0], padding[1], padding[1])
        xp = _pad2d(x, pads)
        oh = out_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
        ow = out_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
        # (N, OH, OW, C, KH, KW) -> rows of im2col; the reshape is the only copy of the input.
        cols = _windows(xp, oh, ow, (kh, kw), stride, dilation).transpose(0, 2, 3, 1, 4, 5)
        cols = cols.reshape(n * oh * ow, groups, cg * kh * kw)
        w = weight.reshape(groups, o // groups, cg * kh * kw)
        if groups == 1:
            out = cols[:, 0] @ w[0].T
        else:
            out = np.matmul(cols.transpose(1, 0, 2), w.transpose(0, 2, 1)).transpose(1, 0, 2)
        out = out.reshape(n, oh, ow, o)
        if bias is not None:
            out = out + bias
        ctx.save_for_backward(cols, w)
        ctx.geometry = (xp.shape, pads, oh, ow, (kh, kw), stride, dilation, groups)
        return out.transpose(0, 3, 1, 2)

    def backward(ctx, g):
        cols, w = ctx.saved_tensors
        padded_shape, pads, oh, ow, k, stride, dilation, groups = ctx.geometry
        need_x, need_w, need_b = ctx.needs_input_grad
        n, c = padded_shape[:2]
        # (N, O, OH, OW) -> (N*OH*OW, G, O/G)
        g2 = g.transpose(0, 2, 3, 1).reshape(n * oh * ow, groups, -1)
        gx = gw = gb = None
        if need_w:
            if groups == 1:
                gw = g2[:, 0].T @ cols[:, 0]
            else:
                gw = np.matmul(g2.transpose(1, 2, 0), cols.transpose(1, 0, 2))
            gw = gw.reshape((-1, c // groups) + k)
        if need_b:
            gb = g.sum(axis=(0, 2, 3))
        if need_x:
            if groups == 1:
                gcols = g2[:, 0] @ w[0]
            else:
                gcols = np.matmul(g2.transpose(1, 0, 2), w).transpose(1, 0, 2)
            gcols = gcols.reshape(n, oh, ow, c, k[0], k[1]).transpose(0, 3, 1, 2, 4, 5)
            gx = _crop2d(_scatter_windows(gcols, padded_shape, oh, ow, k, stride, dilation), pads)
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
    def forward(ctx, x, kernel, stride, padding, dilation, ceil_mode):
        if x.dtype.kind != "f":
            raise TypeError(f"max_pool2d: unsupported dtype {x.dtype}; expected a floating-point tensor")
        oh, ow, pads = _pool_geometry(x, kernel, stride, padding, dilation, ceil_mode)
        xp = _pad2d(x, pads, -np.inf)
        win = _windows(xp, oh, ow, kernel, stride, dilation)
        flat = win.reshape(win.shape[:4] + (-1,))
        arg = flat.argmax(axis=-1)[..., None]
        ctx.save_for_backward(arg)
        ctx.geometry = (xp.shape, pads, oh, ow, kernel, stride, dilation)
        return np.take_along_axis(flat, arg, -1)[..., 0]

    def backward(ctx, g):
        (arg,) = ctx.saved_tensors
        padded_shape, pads, oh, ow, k, stride, dilation = ctx.geometry
        gw = np.zeros(arg.shape[:4] + (k[0] * k[1],), dtype=g.dtype)
        np.put_along_axis(gw, arg, g[..., None], -1)
        gw = gw.reshape(arg.shape[:4] + tuple(k))
        return _crop2d(_scatter_windows(gw, padded_shape, oh, ow, k, stride, dilation), pads)


class AvgPool2d(Primitive):
    def forward(ctx, x, kernel, stride, padding, ceil_mode, count_include_pad, divisor_override):
        if x.dtype.kind != "f":
            raise TypeError(f"avg_pool2d: unsupported dtype {x.dtype}; expected a floating-point tensor")
        one = (1, 1)
        oh, ow, pads = _pool_geometry(x, kernel, stride, padding, one, ceil_mode)
        xp = _pad2d(x, pads)
        total = _windows(xp, oh, ow, kernel, stride, one).sum(axis=(-2, -1))
        if divisor_override:
            divisor = np.asarray(divisor_override, dtype=x.dtype)
        else:
            # Count, per window, the cells that belong to the input (or its symmetric padding when
            # count_include_pad); the extra ceil_mode margin never counts, as in PyTorch.
            h, w = x.shape[2:]
            p = padding if count_include_pad else (0, 0)
            mask = np.zeros((1, 1) + xp.shape[2:], dtype=x.dtype)
            mask[..., pads[0] - p[0] : pads[0] + h + p[0], pads[2] - p[1] : pads[2] + w + p[1]] = 1
            divisor = _windows(mask, oh, ow, kernel, stride, one).sum(axis=(-2, -1))
        ctx.save_for_backward(divisor)
        ctx.geometry = (xp.shape, pads, oh, ow, kernel, stride)
        return total / divisor

    def backward(ctx, g):
        (divisor,) = ctx.saved_tensors
        padded_shape, pads, oh, ow, k, stride = ctx.geometry
        gw = np.broadcast_to((g / divisor)[..., None, None], g.shape + tuple(k))
        return _crop2d(_scatter_windows(gw, padded_shape, oh, ow, k, stride, (1, 1)), pads)

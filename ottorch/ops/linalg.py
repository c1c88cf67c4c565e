"""Matrix primitives: ``matmul`` with numpy's 1-D and batched rules, and the fused ``linear``."""

from __future__ import annotations

import numpy as np

from ottorch.autograd.function import Primitive


class Matmul(Primitive):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a @ b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        need_a, need_b = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (g * b if need_a else None), (g * a if need_b else None)
        # Promote 1-D operands to matrices as matmul does, then drop the added axis again.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            g = np.expand_dims(g, -2)
        if b.ndim == 1:
            g = g[..., None]
        ga = gb = None
        if need_a:
            ga = g @ np.swapaxes(b2, -1, -2)
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if need_b:
            gb = np.swapaxes(a2, -1, -2) @ g
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb


class Linear(Primitive):
    """``x @ weight.T + bias`` in one node, with ``x`` of shape ``(*, in)`` and weight ``(out, in)``.

    ``bias`` is usually ``(out,)``; any array that broadcasts to the output's shape works too (as
    ``addmm``): a recurrent layer passes its precomputed input projection ``(N, out)`` there.
    """

    def forward(ctx, x, weight, bias=None):
        ctx.save_for_backward(x, weight)
        # np.dot is much faster than matmul for 2-D operands with a tiny inner dimension.
        out = np.dot(x, weight.T) if x.ndim == 2 else x @ weight.T
        if bias is not None:
            out += bias
            ctx.vector_bias = np.ndim(bias) == 1
        return out

    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        need_x, need_w = ctx.needs_input_grad[:2]
        gx = None
        if need_x:
            gx = np.dot(g, weight) if g.ndim == 2 else g @ weight
        gw = None
        if need_w:
            g2 = g.reshape(-1, g.shape[-1])
            gw = np.dot(g2.T, x.reshape(-1, x.shape[-1]))
        gb = None
        if len(ctx.needs_input_grad) == 3 and ctx.needs_input_grad[2]:
            # A broadcast bias gets ``g`` whole; the engine sums it down to the bias's shape.
            gb = g.reshape(-1, g.shape[-1]).sum(axis=0) if ctx.vector_bias else g
        return gx, gw, gb
